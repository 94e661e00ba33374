import { queryOne } from "@coursebase/db";
import { createInstitution, createInstitutionInput } from "@coursebase/db/queries/institutions";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { ids, loadFixture } from "../support/fixture.ts";
import { as } from "../support/principals.ts";
import { callerAs, createTestServices } from "../support/services.ts";
import { auditEntries, refusal } from "./support.ts";

let database: TestDatabase;
let services: ReturnType<typeof createTestServices>;
const api = (principal: Parameters<typeof callerAs>[1]) => callerAs(services, principal);

beforeAll(async () => {
  database = await createTestDatabase();
  await loadFixture(database.db);
  services = createTestServices(database);
});
afterAll(() => database.destroy());

describe("institutions: the caller's own", () => {
  it("get returns the admin's institution with its counts", async () => {
    const institution = await api(as.northwindAdmin).institutions.get();
    expect(institution).toMatchObject({
      id: ids.northwind,
      name: "Northwind University",
      domain: "northwind.edu",
      type: "UNIVERSITY",
      timeZone: "UTC",
      // Fixture: 2 departments; admin, Ada, Tom, Sam, Alex, Noel; C1-C4.
      counts: { departments: 2, users: 6, activeUsers: 6, courses: 4 },
    });
    const southbank = await api(as.southbankToken).institutions.get();
    expect(southbank).toMatchObject({
      id: ids.southbank,
      timeZone: "America/New_York",
      counts: { users: 2, courses: 1 },
    });
  });

  it("only administrators may read or change it", async () => {
    for (const principal of [as.ada, as.tom, as.sam]) {
      expect((await refusal(api(principal).institutions.get())).code).toBe("FORBIDDEN");
      expect((await refusal(api(principal).institutions.rename({ name: "Hijacked" }))).code).toBe("FORBIDDEN");
    }
    expect((await refusal(api(null).institutions.get())).code).toBe("UNAUTHORIZED");
  });

  it("rename changes the name and is audited in the same institution", async () => {
    const renamed = await api(as.northwindAdmin).institutions.rename({ name: "  Northwind University of Tech  " });
    expect(renamed.name).toBe("Northwind University of Tech");
    const [entry] = await auditEntries(database.db, "institution.rename");
    expect(entry).toMatchObject({
      institutionId: ids.northwind,
      actorUserId: ids.admin,
      details: { from: "Northwind University", to: "Northwind University of Tech" },
    });
    expect((await refusal(api(as.northwindAdmin).institutions.rename({ name: "N" }))).message).toBe(
      "name: must be at least 2 characters",
    );
  });

  it("settings: an IANA time zone, type, locale and week start; other settings keys survive", async () => {
    await database.db.execute(
      sql`update institutions set settings = '{"keepMe": 1}'::jsonb where id = ${ids.southbank}`,
    );
    const updated = await api(as.southbankToken).institutions.updateSettings({
      timeZone: "Europe/London",
      locale: "en-GB",
      weekStartsOn: 1,
    });
    expect(updated).toMatchObject({ timeZone: "Europe/London", type: "COLLEGE" });
    expect(updated.settings).toEqual({ keepMe: 1, locale: "en-GB", weekStartsOn: 1 });
    expect((await api(as.southbankToken).institutions.updateSettings({ type: "SCHOOL" })).type).toBe("SCHOOL");

    for (const timeZone of ["Mars/Olympus", "+02:00", "EST5EDT,M3.2.0", "utc", "Europe/../etc"]) {
      const refused = await refusal(api(as.southbankToken).institutions.updateSettings({ timeZone }));
      expect(refused).toEqual({
        code: "BAD_REQUEST",
        message: "timeZone: must be an IANA time zone such as Europe/Paris or UTC",
      });
    }
    expect((await refusal(api(as.southbankToken).institutions.updateSettings({}))).message).toBe(
      "(input): give at least one setting",
    );
    expect((await refusal(api(as.southbankToken).institutions.updateSettings({ weekStartsOn: 7 }))).message).toBe(
      "weekStartsOn: must be 0 (Sunday) to 6",
    );
    // The zone is one PostgreSQL knows: analytics cut days with it.
    const zone = await queryOne<{ zone: string; hour: number }>(
      database.db,
      sql`select time_zone as zone, extract(hour from timestamptz '2026-07-01 12:00Z' at time zone time_zone)::int as hour
          from institutions where id = ${ids.southbank}`,
    );
    expect(zone).toEqual({ zone: "Europe/London", hour: 13 });
  });
});

describe("creating an institution (platform operator, as the owner)", () => {
  it("creates it, audited under the new institution with no actor, and refuses a taken domain", async () => {
    const input = createInstitutionInput.parse({
      name: "Eastgate Academy",
      domain: "EastGate.example.org",
      type: "SCHOOL",
    });
    const created = await createInstitution(database.db, input);
    expect(created).toMatchObject({
      name: "Eastgate Academy",
      domain: "eastgate.example.org",
      type: "SCHOOL",
      timeZone: "UTC",
      counts: { departments: 0, users: 0, activeUsers: 0, courses: 0 },
    });
    const entries = await auditEntries(database.db, "institution.create");
    expect(entries).toEqual([
      expect.objectContaining({ institutionId: created.id, actorUserId: null, targetId: created.id }),
    ]);
    await expect(createInstitution(database.db, { ...input, name: "Copycat" })).rejects.toThrow(
      "domain: already in use",
    );
    expect(createInstitutionInput.safeParse({ name: "X Y", domain: "not a domain", type: "SCHOOL" }).success).toBe(
      false,
    );
  });
});

describe("departments", () => {
  it("create, list, rename; codes are upper-cased and unique per institution", async () => {
    const admin = api(as.northwindAdmin);
    const physics = await admin.departments.create({ name: "Physics", code: "phys" });
    expect(physics).toMatchObject({ name: "Physics", code: "PHYS", userCount: 0, courseCount: 0 });
    expect(await refusal(admin.departments.create({ name: "Physics again", code: "PHYS" }))).toEqual({
      code: "CONFLICT",
      message: "code: already in use in this institution",
    });
    // The same code in another institution is fine.
    expect((await api(as.southbankToken).departments.create({ name: "Physics", code: "PHYS" })).code).toBe("PHYS");

    const list = await admin.departments.list({});
    // Fixture: Mathematics (Ada, C1), Computer Science (C2).
    expect(list.departments.map((d) => [d.code, d.userCount, d.courseCount])).toEqual([
      ["CS", 0, 1],
      ["MATH", 1, 1],
      ["PHYS", 0, 0],
    ]);
    expect(list.pagination).toEqual({ page: 1, limit: 20, total: 3, hasMore: false });

    const renamed = await admin.departments.rename({
      departmentId: physics.id,
      name: "Applied Physics",
      code: "aphys",
    });
    expect(renamed).toMatchObject({ name: "Applied Physics", code: "APHYS" });
    expect((await refusal(admin.departments.rename({ departmentId: physics.id, code: "MATH" }))).code).toBe("CONFLICT");
    expect((await refusal(admin.departments.rename({ departmentId: ids.unknown, name: "Nothing" }))).code).toBe(
      "NOT_FOUND",
    );
  });

  it("remove detaches its people and courses, which keep working", async () => {
    const admin = api(as.northwindAdmin);
    const removed = await admin.departments.remove({ departmentId: ids.deptMath });
    expect(removed).toEqual({ removed: true, detachedUsers: 1, detachedCourses: 1 });
    const ada = await queryOne<{ departmentId: string | null; isActive: boolean }>(
      database.db,
      sql`select department_id as "departmentId", is_active as "isActive" from users where id = ${ids.ada}`,
    );
    expect(ada).toEqual({ departmentId: null, isActive: true });
    const c1 = await admin.courses.get({ courseId: ids.c1 });
    expect(c1.departmentId).toBeNull();
    expect((await auditEntries(database.db, "department.remove")).at(-1)?.details).toMatchObject({ code: "MATH" });
  });

  it("another institution's department is invisible: NOT_FOUND, nothing removed", async () => {
    const refused = await refusal(api(as.southbankToken).departments.remove({ departmentId: ids.deptCs }));
    expect(refused).toEqual({ code: "NOT_FOUND", message: "departmentId: no such department" });
    expect((await api(as.northwindAdmin).departments.list({})).departments.map((d) => d.code)).toContain("CS");
    expect((await refusal(api(as.ada).departments.list({}))).code).toBe("FORBIDDEN");
  });
});
