import { randomUUID } from "node:crypto";
import { redactAuditDetails } from "@coursebase/db/queries/audit";
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

const at = (iso: string) => new Date(iso);

// audit.list: filters, keyset paging (ties on `at` included), tenant scope and roles.
describe("audit.list", () => {
  let database: TestDatabase;
  let services: ReturnType<typeof createTestServices>;
  const admin = () => callerAs(services, as.northwindAdmin);
  const tokenId = randomUUID();

  beforeAll(async () => {
    database = await createTestDatabase();
    await loadFixture(database.db);
    services = createTestServices(database);
    // Hand-made trail. e1..e3 share one instant (as entries of one transaction do).
    const entries: Array<[string, string | null, string | null, string, string, string | null, string]> = [
      // [institution, actor user, actor token, action, target type, target id, at]
      [ids.northwind, ids.admin, null, "user.create", "user", ids.sam, "2026-10-01T08:00:00.000001Z"],
      [ids.northwind, ids.admin, null, "user.update", "user", ids.sam, "2026-10-01T08:00:00.000001Z"],
      [ids.northwind, ids.admin, null, "user.update", "user", ids.alex, "2026-10-01T08:00:00.000001Z"],
      [ids.northwind, null, tokenId, "enrollment.create", "enrollment", ids.c1, "2026-10-02T09:00:00Z"],
      [ids.northwind, ids.ada, null, "grade.update", "grade", ids.c1, "2026-10-03T10:00:00.5Z"],
      [ids.northwind, ids.admin, null, "course.publish", "course", ids.c2, "2026-10-04T11:00:00Z"],
      [ids.southbank, ids.grace, null, "user.update", "user", ids.bea, "2026-10-02T12:00:00Z"],
    ];
    for (const [institution, actor, token, action, targetType, targetId, when] of entries) {
      await database.db.execute(
        sql`insert into audit_log (institution_id, actor_user_id, actor_token_id, action, target_type, target_id, at)
            values (${institution}::uuid, ${actor}::uuid, ${token}::uuid, ${action}, ${targetType}, ${targetId}, ${when}::timestamptz)`,
      );
    }
  });
  afterAll(() => database.destroy());

  const actions = (result: { entries: Array<{ action: string; targetId: string | null }> }) =>
    result.entries.map((e) => `${e.action}:${e.targetId === ids.sam ? "sam" : e.targetId === ids.alex ? "alex" : "-"}`);

  it("lists the institution's trail newest first, with the actor's name", async () => {
    const result = await admin().audit.list({});
    expect(actions(result)).toEqual([
      "course.publish:-",
      "grade.update:-",
      "enrollment.create:-",
      "user.update:alex",
      "user.update:sam",
      "user.create:sam",
    ]);
    expect(result.entries[1]).toMatchObject({ actor: { userId: ids.ada, tokenId: null, name: "Ada Lovelace" } });
    expect(result.entries[2]).toMatchObject({ actor: { userId: null, tokenId, name: null } });
    expect(result.entries[1]?.at).toEqual(at("2026-10-03T10:00:00.500Z"));
    expect(result.pagination).toEqual({ limit: 20, hasMore: false, nextCursor: null });
  });

  it("filters by actor, action (exact or kind), target and time range", async () => {
    expect(actions(await admin().audit.list({ actorUserId: ids.ada }))).toEqual(["grade.update:-"]);
    expect(actions(await admin().audit.list({ actorTokenId: tokenId }))).toEqual(["enrollment.create:-"]);
    expect(actions(await admin().audit.list({ action: "user.update" }))).toEqual([
      "user.update:alex",
      "user.update:sam",
    ]);
    expect(actions(await admin().audit.list({ action: "user." }))).toEqual([
      "user.update:alex",
      "user.update:sam",
      "user.create:sam",
    ]);
    expect(actions(await admin().audit.list({ targetType: "user", targetId: ids.sam }))).toEqual([
      "user.update:sam",
      "user.create:sam",
    ]);
    // [from, to): Date objects or ISO strings.
    expect(
      actions(await admin().audit.list({ from: at("2026-10-02T09:00:00Z"), to: at("2026-10-04T11:00:00Z") })),
    ).toEqual(["grade.update:-", "enrollment.create:-"]);
    expect(
      actions(
        await admin().audit.list({
          from: "2026-10-01T00:00:00Z" as unknown as Date,
          to: "2026-10-02T00:00:00+00:00" as unknown as Date,
          action: "user.",
          actorUserId: ids.admin,
        }),
      ),
    ).toEqual(["user.update:alex", "user.update:sam", "user.create:sam"]);
  });

  it("pages by keyset without losing or repeating entries that share an instant", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await admin().audit.list({ limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.entries.map((e) => e.id));
      cursor = page.pagination.nextCursor ?? undefined;
      pages += 1;
    } while (cursor);
    const all = (await admin().audit.list({})).entries.map((e) => e.id);
    expect(pages).toBe(3);
    expect(seen).toEqual(all);
    // A filtered list pages too.
    const first = await admin().audit.list({ action: "user.", limit: 1 });
    const second = await admin().audit.list({ action: "user.", limit: 1, cursor: String(first.pagination.nextCursor) });
    expect(actions(first).concat(actions(second))).toEqual(["user.update:alex", "user.update:sam"]);
  });

  it("keeps to the tenant, refuses bad input, and is for administrators only", async () => {
    const southbank = await callerAs(services, as.southbankToken).audit.list({});
    expect(southbank.entries.map((e) => e.targetId)).toEqual([ids.bea]);
    expect((await admin().audit.list({ actorUserId: ids.grace })).entries).toEqual([]);

    expect(await outcome(admin().audit.list({ cursor: "bm90IGEgY3Vyc29y" }))).toBe("BAD_REQUEST");
    expect(
      await outcome(admin().audit.list({ cursor: Buffer.from('["1; drop table x",1]').toString("base64url") })),
    ).toBe("BAD_REQUEST");
    expect(
      await outcome(admin().audit.list({ from: at("2026-10-02T00:00:00Z"), to: at("2026-10-01T00:00:00Z") })),
    ).toBe("BAD_REQUEST");
    expect(await outcome(admin().audit.list({ from: new Date(Number.NaN) }))).toBe("BAD_REQUEST");
    expect(await outcome(admin().audit.list({ action: "User Update" }))).toBe("BAD_REQUEST");
    expect(await outcome(admin().audit.list({ limit: 101 }))).toBe("BAD_REQUEST");
    expect(await outcome(admin().audit.list({ actorUserId: "admin" }))).toBe("BAD_REQUEST");
    for (const who of [as.sam, as.ada, as.tom]) {
      expect(await outcome(callerAs(services, who).audit.list({}))).toBe("FORBIDDEN");
    }
    expect(await outcome(callerAs(services, null).audit.list({}))).toBe("UNAUTHORIZED");
  });

  it("recordAudit keeps emails and secrets out of the details, at any depth", () => {
    expect(
      redactAuditDetails({
        changed: ["name", "email"],
        email: "sam@northwind.edu",
        nested: { note: "reach me at sam@northwind.edu", count: 3, password: "hunter2" },
        list: [{ token: "cbt_x" }, "plain"],
      }),
    ).toEqual({ changed: ["name", "email"], nested: { note: "[redacted]", count: 3 }, list: [{}, "plain"] });
  });
});
