import { queryOne } from "@coursebase/db";
import { resolveApiToken, resolveSession, setPassword } from "@coursebase/db/queries/auth";
import { hashPassword } from "@coursebase/server/auth/passwords";
import { hashSecret } from "@coursebase/server/auth/secrets";
import { mintApiToken } from "@coursebase/server/auth/tokens";
import type { CookieOptions } from "@coursebase/server/trpc/init";
import { TRPCError } from "@trpc/server";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { ids, loadFixture } from "../support/fixture.ts";
import { callerAs, createTestServices } from "../support/services.ts";

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "OK";
  } catch (error) {
    return error instanceof TRPCError ? error.code : `unexpected: ${(error as Error).message}`;
  }
}

function cookieJar() {
  const set: Array<{ name: string; value: string; options: CookieOptions }> = [];
  return {
    set,
    bridge: {
      ip: "192.0.2.7",
      setCookie: (name: string, value: string, options: CookieOptions) => set.push({ name, value, options }),
    },
  };
}

describe("sign-in, sessions and API tokens", () => {
  let database: TestDatabase;
  let services: ReturnType<typeof createTestServices>;

  beforeAll(async () => {
    database = await createTestDatabase();
    await loadFixture(database.db);
    await setPassword(database.db, ids.sam, await hashPassword("correct horse battery staple"));
    await setPassword(database.db, ids.alex, await hashPassword("alex's password"));
    services = createTestServices(database);
  });
  afterAll(() => database.destroy());

  it("signs in with the right password, sets an httpOnly SameSite cookie, and stores only its hash", async () => {
    const jar = cookieJar();
    const me = await callerAs(services, null, jar.bridge).auth.signIn({
      email: "SAM@northwind.edu",
      password: "correct horse battery staple",
    });
    expect(me.user).toMatchObject({ id: ids.sam, role: "STUDENT", email: "sam@northwind.edu" });
    expect(me.institution).toMatchObject({ id: ids.northwind, domain: "northwind.edu", timeZone: "UTC" });
    const cookie = jar.set[0];
    expect(cookie).toBeDefined();
    expect(cookie?.options).toMatchObject({ httpOnly: true, sameSite: "strict", path: "/" });
    expect(cookie?.value.length).toBeGreaterThan(40);

    const stored = await queryOne<{ token_hash: string; found: boolean }>(
      database.db,
      sql`select token_hash, exists(select 1 from sessions where token_hash = ${cookie?.value}) as found
          from sessions where user_id = ${ids.sam}`,
    );
    expect(stored?.token_hash).toBe(hashSecret(cookie?.value ?? ""));
    expect(stored?.found).toBe(false);
    const principal = await resolveSession(database.db, hashSecret(cookie?.value ?? ""));
    expect(principal).toMatchObject({
      kind: "session",
      userId: ids.sam,
      institutionId: ids.northwind,
      role: "STUDENT",
    });

    const lastLogin = await queryOne<{ recent: boolean }>(
      database.db,
      sql`select last_login_at > now() - interval '1 minute' as recent from users where id = ${ids.sam}`,
    );
    expect(lastLogin?.recent).toBe(true);
  });

  it("refuses a wrong password and an unknown email with the same error, and sets no cookie", async () => {
    const jar = cookieJar();
    const caller = callerAs(services, null, jar.bridge);
    await expect(caller.auth.signIn({ email: "alex@northwind.edu", password: "nope" })).rejects.toThrow(
      "Email or password is incorrect",
    );
    await expect(caller.auth.signIn({ email: "nobody@northwind.edu", password: "nope" })).rejects.toThrow(
      "Email or password is incorrect",
    );
    // Bea has no password set: no way in.
    expect(await codeOf(caller.auth.signIn({ email: "bea@southbank.ac.uk", password: "" }))).toBe("BAD_REQUEST");
    expect(jar.set).toHaveLength(0);
  });

  it("limits attempts per account", async () => {
    const fresh = createTestServices(database);
    const caller = callerAs(fresh, null, { ip: "198.51.100.1" });
    const codes: string[] = [];
    for (let attempt = 0; attempt < 7; attempt++) {
      codes.push(await codeOf(caller.auth.signIn({ email: "alex@northwind.edu", password: `guess ${attempt}` })));
    }
    expect(codes.slice(0, 5)).toEqual(Array(5).fill("UNAUTHORIZED"));
    expect(codes.slice(5)).toEqual(["TOO_MANY_REQUESTS", "TOO_MANY_REQUESTS"]);
    // Even the right password waits out the window.
    expect(await codeOf(caller.auth.signIn({ email: "alex@northwind.edu", password: "alex's password" }))).toBe(
      "TOO_MANY_REQUESTS",
    );
  });

  it("revokes a session on sign-out, server-side", async () => {
    const jar = cookieJar();
    await callerAs(services, null, jar.bridge).auth.signIn({
      email: "sam@northwind.edu",
      password: "correct horse battery staple",
    });
    const secret = jar.set[0]?.value ?? "";
    const principal = await resolveSession(database.db, hashSecret(secret));
    expect(principal).toBeDefined();
    await callerAs(services, principal ?? null, { ...jar.bridge, sessionSecret: secret }).auth.signOut();
    expect(await resolveSession(database.db, hashSecret(secret))).toBeUndefined();
    expect(jar.set.at(-1)).toMatchObject({ value: "", options: { maxAge: 0 } });
  });

  it("refuses sessions of deactivated people", async () => {
    const jar = cookieJar();
    await callerAs(services, null, jar.bridge)
      .auth.signIn({ email: "alex@northwind.edu", password: "alex's password" })
      .catch(() => {});
    // (Alex may be rate limited by the previous test on the shared limiter; sign in with fresh services.)
    const fresh = createTestServices(database);
    await callerAs(fresh, null, jar.bridge).auth.signIn({ email: "alex@northwind.edu", password: "alex's password" });
    const secret = jar.set.at(-1)?.value ?? "";
    expect(await resolveSession(database.db, hashSecret(secret))).toBeDefined();
    await database.db.execute(sql`update users set is_active = false where id = ${ids.alex}`);
    expect(await resolveSession(database.db, hashSecret(secret))).toBeUndefined();
    await database.db.execute(sql`update users set is_active = true where id = ${ids.alex}`);
  });

  it("mints API tokens stored hashed, audited, revocable, with last-used time", async () => {
    const { token, record } = await mintApiToken(database.db, {
      institutionId: ids.northwind,
      role: "ADMIN",
      name: "SIS nightly import",
    });
    expect(token.startsWith("cbt_")).toBe(true);
    const principal = await resolveApiToken(database.db, hashSecret(token));
    expect(principal).toMatchObject({ kind: "token", tokenId: record.id, institutionId: ids.northwind, role: "ADMIN" });
    const row = await queryOne<{ stored_plain: boolean; used: boolean; audited: number }>(
      database.db,
      sql`select token_hash = ${token} as stored_plain, last_used_at is not null as used,
                 (select count(*)::int from audit_log where action = 'api_token.create' and target_id = ${record.id}) as audited
          from api_tokens where id = ${record.id}`,
    );
    expect(row).toEqual({ stored_plain: false, used: true, audited: 1 });
    await database.db.execute(sql`update api_tokens set revoked_at = now() where id = ${record.id}`);
    expect(await resolveApiToken(database.db, hashSecret(token))).toBeUndefined();
    await expect(
      mintApiToken(database.db, { institutionId: ids.northwind, role: "INSTRUCTOR", name: "no person" }),
    ).rejects.toThrow("must act as a person");
  });

  it("answers UNAUTHORIZED without credentials, and me() with them", async () => {
    expect(await codeOf(callerAs(services, null).auth.me())).toBe("UNAUTHORIZED");
    const me = await callerAs(services, {
      kind: "token",
      tokenId: "00000000-0000-4000-8000-00000000000f",
      userId: null,
      institutionId: ids.southbank,
      role: "ADMIN",
    }).auth.me();
    expect(me).toEqual({
      user: null,
      institution: {
        id: ids.southbank,
        name: "Southbank College",
        domain: "southbank.ac.uk",
        timeZone: "America/New_York",
      },
    });
  });
});
