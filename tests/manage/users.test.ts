import { queryOne, queryRows } from "@coursebase/db";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { ids, loadFixture } from "../support/fixture.ts";
import { as } from "../support/principals.ts";
import { callerAs, createTestServices, personPrincipal } from "../support/services.ts";
import { auditEntries, digest, refusal } from "./support.ts";

let database: TestDatabase;
let services: ReturnType<typeof createTestServices>;
const api = (principal: Parameters<typeof callerAs>[1]) => callerAs(services, principal);
const admin = () => api(as.northwindAdmin);
const tables = ["users", "audit_log", "sessions", "api_tokens"];

beforeAll(async () => {
  database = await createTestDatabase();
  await loadFixture(database.db);
  services = createTestServices(database);
});
afterAll(() => database.destroy());

describe("users.list: keyset pages in name order", () => {
  it("pages through the fixture's people by lower(name), then id, without overlap or gap", async () => {
    const names: string[] = [];
    let cursor: string | undefined;
    const hasMore: boolean[] = [];
    do {
      const page = await admin().users.list({ limit: 2, ...(cursor ? { cursor } : {}) });
      names.push(...page.users.map((user) => user.name));
      hasMore.push(page.pagination.hasMore);
      cursor = page.pagination.nextCursor ?? undefined;
    } while (cursor);
    // Northwind: Ada Lovelace, Alex Learner, Noel Newcomer, Nora Admin, Sam Student, Tom Assistant.
    expect(names).toEqual([
      "Ada Lovelace",
      "Alex Learner",
      "Noel Newcomer",
      "Nora Admin",
      "Sam Student",
      "Tom Assistant",
    ]);
    expect(hasMore).toEqual([true, true, false]);
  });

  it("stays stable when people are added or renamed before the cursor", async () => {
    const first = await admin().users.list({ limit: 3 });
    expect(first.users.map((u) => u.name)).toEqual(["Ada Lovelace", "Alex Learner", "Noel Newcomer"]);
    // Someone sorting before the cursor arrives between two page loads: the next page neither
    // repeats nor skips anyone (an OFFSET page would repeat Noel).
    const aaron = await admin().users.create({ email: "aaron@northwind.edu", name: "Aaron Early", role: "STUDENT" });
    const second = await admin().users.list({ limit: 3, cursor: first.pagination.nextCursor ?? "" });
    expect(second.users.map((u) => u.name)).toEqual(["Nora Admin", "Sam Student", "Tom Assistant"]);
    expect(second.pagination).toEqual({ limit: 3, hasMore: false, nextCursor: null });
    await database.db.execute(sql`delete from users where id = ${aaron.id}`);
  });

  it("filters by role, department, activity, name or email prefix and last sign-in", async () => {
    const names = async (filters: Parameters<ReturnType<typeof admin>["users"]["list"]>[0]) =>
      (await admin().users.list(filters)).users.map((u) => u.name);
    expect(await names({ role: "STUDENT" })).toEqual(["Alex Learner", "Noel Newcomer", "Sam Student"]);
    expect(await names({ role: "ADMIN" })).toEqual(["Nora Admin"]);
    expect(await names({ role: "TEACHING_ASSISTANT" })).toEqual(["Tom Assistant"]);
    expect(await names({ departmentId: ids.deptMath })).toEqual(["Ada Lovelace"]);
    expect(await names({ namePrefix: "NO" })).toEqual(["Noel Newcomer", "Nora Admin"]);
    expect(await names({ namePrefix: "nora a" })).toEqual(["Nora Admin"]);
    expect(await names({ namePrefix: "%" })).toEqual([]); // no wildcard
    expect(await names({ emailPrefix: "SA" })).toEqual(["Sam Student"]);
    expect(await names({ isActive: false })).toEqual([]);

    await database.db.execute(
      sql`update users set last_login_at = '2026-11-20T08:00:00Z' where id in (${ids.sam}, ${ids.ada})`,
    );
    await database.db.execute(sql`update users set last_login_at = '2026-10-01T08:00:00Z' where id = ${ids.tom}`);
    expect(await names({ lastLoginFrom: new Date("2026-11-01T00:00:00Z") })).toEqual(["Ada Lovelace", "Sam Student"]);
    expect(await names({ lastLoginTo: new Date("2026-11-01T00:00:00Z") })).toEqual(["Tom Assistant"]);
    expect(
      await names({
        lastLoginFrom: new Date("2026-09-01T00:00:00Z"),
        lastLoginTo: new Date("2026-11-01T00:00:00Z"),
        role: "TEACHING_ASSISTANT",
      }),
    ).toEqual(["Tom Assistant"]);
    const refused = await refusal(
      admin().users.list({
        lastLoginFrom: new Date("2026-11-02T00:00:00Z"),
        lastLoginTo: new Date("2026-11-01T00:00:00Z"),
      }),
    );
    expect(refused).toEqual({ code: "BAD_REQUEST", message: "lastLoginTo: lastLoginFrom must be before lastLoginTo" });
  });

  it("refuses a cursor it did not make", async () => {
    for (const cursor of [
      "garbage",
      Buffer.from('["x"]').toString("base64url"),
      Buffer.from("[1, 2]").toString("base64url"),
    ]) {
      expect(await refusal(admin().users.list({ cursor }))).toEqual({
        code: "BAD_REQUEST",
        message: "cursor: is not a cursor of this list (pass nextCursor unchanged)",
      });
    }
  });

  it("another institution's admin sees only their own people", async () => {
    const southbank = await api(as.southbankToken).users.list({});
    expect(southbank.users.map((u) => u.name)).toEqual(["Bea Scholar", "Grace Hopper"]);
    expect(await refusal(api(as.southbankToken).users.get({ userId: ids.sam }))).toEqual({
      code: "NOT_FOUND",
      message: "userId: no such user",
    });
    for (const principal of [as.ada, as.tom, as.sam, as.grace]) {
      expect((await refusal(api(principal).users.list({}))).code).toBe("FORBIDDEN");
    }
  });
});

describe("users.create and update", () => {
  it("creates a person with a lower-cased email, audited", async () => {
    const created = await admin().users.create({
      email: "  New.Person@Northwind.EDU ",
      name: " New Person ",
      role: "INSTRUCTOR",
      departmentId: ids.deptCs,
      profileData: { title: "Dr" },
    });
    expect(created).toMatchObject({
      email: "new.person@northwind.edu",
      name: "New Person",
      role: "INSTRUCTOR",
      departmentId: ids.deptCs,
      department: { id: ids.deptCs, code: "CS", name: "Computer Science" },
      profileData: { title: "Dr" },
      isActive: true,
      lastLoginAt: null,
    });
    const entry = (await auditEntries(database.db, "user.create")).at(-1);
    expect(entry).toMatchObject({ institutionId: ids.northwind, actorUserId: ids.admin, targetId: created.id });
    expect(JSON.stringify(entry?.details)).not.toContain("new.person"); // no personal values in the trail
  });

  it("refuses a taken email with the same message whoever holds it, and writes nothing", async () => {
    const before = await digest(database.db, tables);
    const ours = await refusal(
      admin().users.create({ email: "SAM@northwind.edu", name: "Sam Again", role: "STUDENT" }),
    );
    const theirs = await refusal(
      admin().users.create({ email: "grace@southbank.ac.uk", name: "Not Grace", role: "STUDENT" }),
    );
    expect(ours).toEqual({ code: "CONFLICT", message: "email: already in use" });
    expect(theirs).toEqual(ours); // nothing says another institution holds it
    const update = await refusal(admin().users.update({ userId: ids.alex, email: "bea@southbank.ac.uk" }));
    expect(update).toEqual({ code: "CONFLICT", message: "email: already in use" });
    expect(await digest(database.db, tables)).toBe(before);
  });

  it("validates fields and departments, naming the field", async () => {
    expect(await refusal(admin().users.create({ email: "not-an-email", name: "X", role: "STUDENT" }))).toEqual({
      code: "BAD_REQUEST",
      message: "email: must be an email address",
    });
    // Another institution's department: invisible, refused like an unknown one.
    const bea = await refusal(
      api(as.southbankToken).users.create({
        email: "z@southbank.ac.uk",
        name: "Zed",
        role: "STUDENT",
        departmentId: ids.deptMath,
      }),
    );
    expect(bea).toEqual({ code: "BAD_REQUEST", message: "departmentId: no such department" });
    expect((await refusal(admin().users.update({ userId: ids.sam }))).message).toBe(
      "(input): give at least one field to change",
    );
  });

  it("updates name, department and profile; null detaches the department", async () => {
    const updated = await admin().users.update({
      userId: ids.sam,
      name: "Samantha Student",
      departmentId: ids.deptMath,
      profileData: { year: 2 },
    });
    expect(updated).toMatchObject({ name: "Samantha Student", departmentId: ids.deptMath, profileData: { year: 2 } });
    const detached = await admin().users.update({ userId: ids.sam, departmentId: null });
    expect(detached.departmentId).toBeNull();
    expect((await auditEntries(database.db, "user.update")).at(-1)?.details).toEqual({ fields: ["departmentId"] });
    expect(await refusal(api(as.southbankToken).users.update({ userId: ids.sam, name: "Hacked" }))).toEqual({
      code: "NOT_FOUND",
      message: "userId: no such user",
    });
  });
});

describe("deactivate, reactivate, change role", () => {
  it("deactivation revokes the person's sessions in the same transaction", async () => {
    const db = database.db;
    await db.execute(sql`insert into sessions (token_hash, user_id, institution_id, expires_at) values
      (${"a".repeat(64)}, ${ids.alex}, ${ids.northwind}, now() + interval '1 day'),
      (${"b".repeat(64)}, ${ids.alex}, ${ids.northwind}, now() + interval '1 day'),
      (${"c".repeat(64)}, ${ids.sam}, ${ids.northwind}, now() + interval '1 day')`);
    const result = await admin().users.deactivate({ userId: ids.alex });
    expect(result.revokedSessions).toBe(2);
    expect(result.user.isActive).toBe(false);
    const sessions = await queryRows<{ userId: string; revoked: boolean }>(
      db,
      sql`select user_id as "userId", revoked_at is not null as revoked from sessions order by token_hash`,
    );
    expect(sessions).toEqual([
      { userId: ids.alex, revoked: true },
      { userId: ids.alex, revoked: true },
      { userId: ids.sam, revoked: false },
    ]);
    expect((await admin().users.list({ isActive: false })).users.map((u) => u.name)).toEqual(["Alex Learner"]);
    // Idempotent: a second call changes and records nothing.
    expect((await admin().users.deactivate({ userId: ids.alex })).revokedSessions).toBe(0);
    expect(await auditEntries(db, "user.deactivate")).toHaveLength(1);

    const back = await admin().users.reactivate({ userId: ids.alex });
    expect(back.isActive).toBe(true);
    expect(await auditEntries(db, "user.reactivate")).toHaveLength(1);
  });

  it("refuses deactivating yourself or the last active administrator", async () => {
    expect(await refusal(admin().users.deactivate({ userId: ids.admin }))).toEqual({
      code: "BAD_REQUEST",
      message: "userId: you cannot deactivate yourself",
    });
    // An institution-wide token is nobody: it may not remove the only administrator either.
    expect(await refusal(api(as.northwindToken).users.deactivate({ userId: ids.admin }))).toEqual({
      code: "PRECONDITION_FAILED",
      message: "userId: deactivating them would leave the institution without an active administrator",
    });
    expect(await refusal(api(as.northwindToken).users.changeRole({ userId: ids.admin, role: "INSTRUCTOR" }))).toEqual({
      code: "PRECONDITION_FAILED",
      message: "userId: demoting them would leave the institution without an active administrator",
    });
  });

  it("changes a role, revoking the person's API tokens of their former role", async () => {
    const db = database.db;
    await db.execute(sql`insert into api_tokens (institution_id, name, role, user_id, token_hash, token_prefix)
      values (${ids.northwind}, 'tom script', 'TEACHING_ASSISTANT', ${ids.tom}, ${"d".repeat(64)}, 'cbt_dddd')`);
    const result = await admin().users.changeRole({ userId: ids.tom, role: "INSTRUCTOR" });
    expect(result).toMatchObject({ revokedTokens: 1, user: { role: "INSTRUCTOR" } });
    const token = await queryOne<{ revoked: boolean }>(
      db,
      sql`select revoked_at is not null as revoked from api_tokens where user_id = ${ids.tom}`,
    );
    expect(token?.revoked).toBe(true);
    expect((await auditEntries(db, "user.changeRole")).at(-1)?.details).toEqual({
      from: "TEACHING_ASSISTANT",
      to: "INSTRUCTOR",
      revokedTokens: 1,
    });
    // With a second administrator, the first may be demoted (by the second).
    const nora2 = await admin().users.create({
      email: "second.admin@northwind.edu",
      name: "Second Admin",
      role: "ADMIN",
    });
    const second = api(personPrincipal({ id: nora2.id, institutionId: ids.northwind, role: "ADMIN" }));
    expect((await second.users.changeRole({ userId: ids.admin, role: "INSTRUCTOR" })).user.role).toBe("INSTRUCTOR");
    expect(await refusal(second.users.changeRole({ userId: nora2.id, role: "STUDENT" }))).toMatchObject({
      code: "PRECONDITION_FAILED",
    });
  });
});
