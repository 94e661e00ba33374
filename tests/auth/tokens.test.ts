import { queryOne } from "@coursebase/db";
import { resolvePrincipal } from "@coursebase/server/auth/principal";
import { hashSecret } from "@coursebase/server/auth/secrets";
import { TRPCError } from "@trpc/server";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { ids, loadFixture } from "../support/fixture.ts";
import { as } from "../support/principals.ts";
import { callerAs, createTestServices } from "../support/services.ts";

async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "OK";
  } catch (error) {
    if (error instanceof TRPCError) return error.code;
    throw error;
  }
}

// The API tokens page: list (never a secret or hash), create (the secret once), revoke; audited.
describe("tokens.list / create / revoke", () => {
  let database: TestDatabase;
  let services: ReturnType<typeof createTestServices>;
  const admin = () => callerAs(services, as.northwindAdmin);

  beforeAll(async () => {
    database = await createTestDatabase();
    await loadFixture(database.db);
    services = createTestServices(database);
  });
  afterAll(() => database.destroy());

  it("creates a token whose secret is shown once, works as a bearer and is listed without its hash", async () => {
    const created = await admin().tokens.create({ name: "registrar export", role: "ADMIN", expiresInDays: 30 });
    expect(created.token).toMatch(/^cbt_[A-Za-z0-9_-]{43}$/);
    expect(created.record).toMatchObject({
      name: "registrar export",
      role: "ADMIN",
      tokenPrefix: created.token.slice(0, 12),
    });
    expect(created.record.expiresAt?.getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);

    const principal = await resolvePrincipal(database.db, { authorization: `Bearer ${created.token}` });
    expect(principal).toMatchObject({
      kind: "token",
      tokenId: created.record.id,
      institutionId: ids.northwind,
      role: "ADMIN",
    });

    const sam = await admin().tokens.create({ name: "quiz sync", role: "STUDENT", userId: ids.sam });
    const list = await admin().tokens.list({});
    expect(list.tokens.map((t) => t.name)).toEqual(["quiz sync", "registrar export"]);
    expect(list.pagination).toEqual({ page: 1, limit: 20, total: 2, hasMore: false });
    expect(list.tokens[0]).toMatchObject({
      id: sam.record.id,
      role: "STUDENT",
      user: { id: ids.sam, name: "Sam Student" },
      createdBy: { id: ids.admin, name: "Nora Admin" },
      lastUsedAt: null,
      revokedAt: null,
    });
    expect(list.tokens[1]?.lastUsedAt).toBeInstanceOf(Date); // the bearer call above used it
    const text = JSON.stringify(list);
    expect(text).not.toContain(hashSecret(created.token));
    expect(text).not.toContain(created.token);
    expect(text).not.toMatch(/hash/i);

    // Another institution sees none of them.
    expect((await callerAs(services, as.southbankToken).tokens.list({})).tokens).toEqual([]);

    const audit = await admin().audit.list({ action: "api_token.create" });
    expect(audit.entries.map((e) => e.targetId).sort()).toEqual([created.record.id, sam.record.id].sort());
    expect(audit.entries[0]?.actor).toEqual({ userId: ids.admin, tokenId: null, name: "Nora Admin" });
  });

  it("refuses tokens that would act as nobody, as the wrong role, or as another institution's person", async () => {
    expect(await outcome(admin().tokens.create({ name: "x", role: "STUDENT" }))).toBe("BAD_REQUEST");
    expect(await outcome(admin().tokens.create({ name: "x", role: "STUDENT", userId: ids.ada }))).toBe("BAD_REQUEST");
    expect(await outcome(admin().tokens.create({ name: "x", role: "STUDENT", userId: ids.bea }))).toBe("NOT_FOUND");
    expect(await outcome(admin().tokens.create({ name: " ", role: "ADMIN" }))).toBe("BAD_REQUEST");
    expect(await outcome(admin().tokens.create({ name: "x", role: "ROOT" as "ADMIN" }))).toBe("BAD_REQUEST");
    expect(await outcome(admin().tokens.create({ name: "x", role: "ADMIN", expiresInDays: 0 }))).toBe("BAD_REQUEST");
    const count = await queryOne<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from api_tokens where name = 'x'`,
    );
    expect(count?.n).toBe(0);
  });

  it("revokes at once and idempotently; another institution's token is not found", async () => {
    const { token, record } = await admin().tokens.create({ name: "to revoke", role: "ADMIN" });
    expect(await outcome(callerAs(services, as.southbankToken).tokens.revoke({ tokenId: record.id }))).toBe(
      "NOT_FOUND",
    );
    const revoked = await admin().tokens.revoke({ tokenId: record.id });
    expect(revoked.revokedAt).toBeInstanceOf(Date);
    expect(await resolvePrincipal(database.db, { authorization: `Bearer ${token}` })).toBeUndefined();
    const again = await admin().tokens.revoke({ tokenId: record.id });
    expect(again.revokedAt).toEqual(revoked.revokedAt);
    expect(await outcome(admin().tokens.revoke({ tokenId: ids.unknown }))).toBe("NOT_FOUND");

    const live = await admin().tokens.list({});
    expect(live.tokens.map((t) => t.name)).not.toContain("to revoke");
    const all = await admin().tokens.list({ includeRevoked: true });
    expect(all.tokens.map((t) => t.name)).toContain("to revoke");
    // One revocation entry, not two.
    const audit = await admin().audit.list({ action: "api_token.revoke" });
    expect(audit.entries.map((e) => e.targetId)).toEqual([record.id]);
  });

  it("is for administrators only", async () => {
    for (const who of [as.sam, as.ada, as.tom]) {
      expect(await outcome(callerAs(services, who).tokens.list({}))).toBe("FORBIDDEN");
      expect(await outcome(callerAs(services, who).tokens.create({ name: "mine", role: "ADMIN" }))).toBe("FORBIDDEN");
      expect(await outcome(callerAs(services, who).tokens.revoke({ tokenId: ids.unknown }))).toBe("FORBIDDEN");
    }
    expect(await outcome(callerAs(services, null).tokens.list({}))).toBe("UNAUTHORIZED");
  });
});
