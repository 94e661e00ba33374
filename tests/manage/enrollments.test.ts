import { type Database, queryOne, queryRows, schema } from "@coursebase/db";
import type { Cache } from "@coursebase/server/cache";
import { createOffCache } from "@coursebase/server/cache/off-cache";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { ids, loadFixture } from "../support/fixture.ts";
import { as } from "../support/principals.ts";
import { callerAs, createTestServices, personPrincipal } from "../support/services.ts";
import { refusal } from "./support.ts";

/**
 * Fixture (tests/support/fixture.ts) plus the rows added below:
 *   C2 Intro to C++ requires C1 "Calculus I: Limits and Derivatives" and C4 "Linear Algebra".
 *   Pat (student): C1 COMPLETED, no C4.   Quinn (student, deactivated).
 *   Existing: Sam C1 ACTIVE 50, Sam C2 ACTIVE 50, Sam C4 DROPPED, Alex C1 COMPLETED 100 (88.50),
 *   Alex C2 SUSPENDED 0; Bea C5 (Southbank).
 * Roster of C1 after this file's setup: Alex (COMPLETED 100), Pat (COMPLETED 100), Sam (ACTIVE 50),
 * plus 25 generated students "Roster Student 01..25" ACTIVE with progress 0, 4, 8, ..., 96.
 */
const pat = "b0000000-0000-4000-8000-000000000101";
const quinn = "b0000000-0000-4000-8000-000000000102";
const rosterStudent = (n: number) => `b0000000-0000-4000-8000-0000000002${String(n).padStart(2, "0")}`;

async function addRows(db: Database) {
  await db.insert(schema.users).values([
    { id: pat, email: "pat@northwind.edu", name: "Pat Prereq", role: "STUDENT", institutionId: ids.northwind },
    {
      id: quinn,
      email: "quinn@northwind.edu",
      name: "Quinn Quiet",
      role: "STUDENT",
      institutionId: ids.northwind,
      isActive: false,
    },
    ...Array.from({ length: 25 }, (_, i) => ({
      id: rosterStudent(i + 1),
      email: `roster${String(i + 1).padStart(2, "0")}@northwind.edu`,
      name: `Roster Student ${String(i + 1).padStart(2, "0")}`,
      role: "STUDENT" as const,
      institutionId: ids.northwind,
    })),
  ]);
  await db.insert(schema.coursePrerequisites).values([
    { courseId: ids.c2, prerequisiteId: ids.c1, institutionId: ids.northwind },
    { courseId: ids.c2, prerequisiteId: ids.c4, institutionId: ids.northwind },
  ]);
  await db.insert(schema.enrollments).values([
    {
      studentId: pat,
      courseId: ids.c1,
      institutionId: ids.northwind,
      status: "COMPLETED",
      progress: 100,
      completedAt: new Date("2026-09-01T00:00:00Z"),
      enrolledAt: new Date("2026-08-01T00:00:00Z"),
    },
    ...Array.from({ length: 25 }, (_, i) => ({
      studentId: rosterStudent(i + 1),
      courseId: ids.c1,
      institutionId: ids.northwind,
      status: "ACTIVE" as const,
      progress: i * 4,
      enrolledAt: new Date(Date.UTC(2026, 10, 1 + i)),
    })),
  ]);
}

describe("enrollments", () => {
  let database: TestDatabase;
  let db: Database;
  const invalidated: string[][] = [];
  let cache: Cache;
  const admin = () => callerAs(createTestServices(database, cache), as.northwindAdmin);
  const token = () => callerAs(createTestServices(database, cache), as.northwindToken);

  const enrollmentOf = (studentId: string, courseId: string) =>
    queryRows<{ id: string; status: string; progress: number }>(
      db,
      sql`select id, status, progress from enrollments where student_id = ${studentId} and course_id = ${courseId}`,
    );
  const auditActions = async (targetId: string) =>
    (
      await queryRows<{ action: string }>(
        db,
        sql`select action from audit_log where target_id = ${targetId} order by id`,
      )
    ).map((row) => row.action);

  beforeAll(async () => {
    database = await createTestDatabase();
    db = database.db;
    await loadFixture(db);
    await addRows(db);
    const off = createOffCache({ dashboardSeconds: 300, analyticsSeconds: 1800 });
    cache = {
      ...off,
      async invalidate(tags) {
        invalidated.push([...tags]);
      },
    };
  });
  afterAll(() => database.destroy());

  describe("enroll", () => {
    it("refuses when prerequisites are not completed, naming every missing course", async () => {
      expect(await refusal(admin().enrollments.enroll({ studentId: ids.noel, courseId: ids.c2 }))).toEqual({
        code: "BAD_REQUEST",
        message: "courseId: prerequisites not completed: Calculus I: Limits and Derivatives, Linear Algebra",
      });
      // Pat completed C1: only Linear Algebra is missing.
      expect(await refusal(admin().enrollments.enroll({ studentId: pat, courseId: ids.c2 }))).toEqual({
        code: "BAD_REQUEST",
        message: "courseId: prerequisites not completed: Linear Algebra",
      });
      expect(await enrollmentOf(pat, ids.c2)).toEqual([]);
    });

    it("enrolls once every prerequisite is COMPLETED, audited, and drops the student's and course's cache", async () => {
      await db.insert(schema.enrollments).values({
        studentId: pat,
        courseId: ids.c4,
        institutionId: ids.northwind,
        status: "COMPLETED",
        progress: 100,
        completedAt: new Date("2026-10-01T00:00:00Z"),
      });
      invalidated.length = 0;
      const result = await token().enrollments.enroll({ studentId: pat, courseId: ids.c2 });
      expect(result.reactivated).toBe(false);
      expect(result.enrollment).toMatchObject({
        studentId: pat,
        courseId: ids.c2,
        status: "ACTIVE",
        progress: 0,
        grade: null,
        completedAt: null,
      });
      expect(await auditActions(result.enrollment.id)).toEqual(["enrollment.enroll"]);
      expect(invalidated).toEqual([[`student:${ids.northwind}:${pat}`, `course:${ids.northwind}:${ids.c2}`]]);
    });

    it("refuses an unpublished course, and writes nothing", async () => {
      expect(await refusal(admin().enrollments.enroll({ studentId: ids.noel, courseId: ids.c3 }))).toEqual({
        code: "BAD_REQUEST",
        message: "courseId: the course is DRAFT; only a PUBLISHED course accepts enrollments",
      });
      expect(await enrollmentOf(ids.noel, ids.c3)).toEqual([]);
    });

    it("refuses a non-student, a deactivated account, and an existing enrollment", async () => {
      expect(await refusal(admin().enrollments.enroll({ studentId: ids.tom, courseId: ids.c1 }))).toEqual({
        code: "BAD_REQUEST",
        message: "studentId: the user is TEACHING_ASSISTANT, not a STUDENT",
      });
      expect(await refusal(admin().enrollments.enroll({ studentId: quinn, courseId: ids.c1 }))).toEqual({
        code: "BAD_REQUEST",
        message: "studentId: the account is deactivated",
      });
      expect(await refusal(admin().enrollments.enroll({ studentId: ids.sam, courseId: ids.c1 }))).toEqual({
        code: "CONFLICT",
        message: "studentId: the student is already enrolled (ACTIVE)",
      });
      expect(await refusal(admin().enrollments.enroll({ studentId: ids.alex, courseId: ids.c2 }))).toEqual({
        code: "CONFLICT",
        message: "studentId: the student is already enrolled (SUSPENDED)",
      });
    });

    it("re-enrolling a DROPPED student reactivates the same enrollment rather than duplicating it", async () => {
      const [before] = await enrollmentOf(ids.sam, ids.c4);
      const result = await admin().enrollments.enroll({ studentId: ids.sam, courseId: ids.c4 });
      expect(result.reactivated).toBe(true);
      expect(result.enrollment.id).toBe(before?.id);
      expect(await enrollmentOf(ids.sam, ids.c4)).toEqual([{ id: before?.id, status: "ACTIVE", progress: 0 }]);
      expect(await auditActions(result.enrollment.id)).toEqual(["enrollment.reenroll"]);
    });

    it("does not see another institution's student or course", async () => {
      expect(await refusal(admin().enrollments.enroll({ studentId: ids.bea, courseId: ids.c1 }))).toEqual({
        code: "NOT_FOUND",
        message: "studentId: no such student",
      });
      expect(await refusal(admin().enrollments.enroll({ studentId: ids.noel, courseId: ids.c5 }))).toEqual({
        code: "NOT_FOUND",
        message: "courseId: no such course",
      });
    });

    it("bad input is a BAD_REQUEST naming the field", async () => {
      expect(await refusal(admin().enrollments.enroll({ studentId: "nope", courseId: ids.c1 }))).toEqual({
        code: "BAD_REQUEST",
        message: "studentId: must be a uuid",
      });
    });
  });

  describe("drop, suspend, reactivate", () => {
    it("walks the lifecycle and refuses the moves it does not allow", async () => {
      const key = { studentId: ids.noel, courseId: ids.c1 };
      const { enrollment } = await admin().enrollments.enroll(key);
      expect((await admin().enrollments.suspend(key)).status).toBe("SUSPENDED");
      expect(await refusal(admin().enrollments.suspend(key))).toEqual({
        code: "BAD_REQUEST",
        message: "status: the enrollment is already SUSPENDED",
      });
      expect((await admin().enrollments.reactivate(key)).status).toBe("ACTIVE");
      expect((await admin().enrollments.drop(key)).status).toBe("DROPPED");
      expect(await refusal(admin().enrollments.suspend(key))).toEqual({
        code: "BAD_REQUEST",
        message: "status: a DROPPED enrollment cannot be suspended",
      });
      expect((await admin().enrollments.reactivate(key)).status).toBe("ACTIVE");
      expect(await auditActions(enrollment.id)).toEqual([
        "enrollment.enroll",
        "enrollment.suspend",
        "enrollment.reactivate",
        "enrollment.drop",
        "enrollment.reactivate",
      ]);
      // Clean up for the roster tests: Noel leaves C1 again.
      await admin().enrollments.drop(key);
      await db.delete(schema.enrollments).where(sql`id = ${enrollment.id}`);
    });

    it("never drops a COMPLETED enrollment; an unknown one is NOT_FOUND", async () => {
      expect(await refusal(admin().enrollments.drop({ studentId: ids.alex, courseId: ids.c1 }))).toEqual({
        code: "BAD_REQUEST",
        message: "status: a COMPLETED enrollment cannot be dropped",
      });
      expect(await refusal(admin().enrollments.drop({ studentId: ids.noel, courseId: ids.c2 }))).toEqual({
        code: "NOT_FOUND",
        message: "courseId: the student is not enrolled in this course",
      });
      expect(
        await queryOne<{ status: string }>(
          db,
          sql`select status from enrollments where student_id = ${ids.alex} and course_id = ${ids.c1}`,
        ),
      ).toEqual({ status: "COMPLETED" });
    });
  });

  describe("roster", () => {
    it("lists a course's students with progress, by name, paginated with the shared envelope", async () => {
      const page1 = await admin().enrollments.roster({ courseId: ids.c1, limit: 5 });
      expect(page1.pagination).toEqual({ page: 1, limit: 5, total: 28, hasMore: true });
      expect(page1.students.map((s) => [s.name, s.status, s.progress])).toEqual([
        ["Alex Learner", "COMPLETED", 100],
        ["Pat Prereq", "COMPLETED", 100],
        ["Roster Student 01", "ACTIVE", 0],
        ["Roster Student 02", "ACTIVE", 4],
        ["Roster Student 03", "ACTIVE", 8],
      ]);
      expect(page1.students[0]).toMatchObject({ email: "alex@northwind.edu", grade: 88.5, studentId: ids.alex });
      expect(page1.students[0]?.enrolledAt).toEqual(new Date("2026-10-01T10:00:00Z"));
      const last = await admin().enrollments.roster({ courseId: ids.c1, limit: 5, page: 6 });
      expect(last.pagination).toEqual({ page: 6, limit: 5, total: 28, hasMore: false });
      expect(last.students.map((s) => s.name)).toEqual(["Roster Student 24", "Roster Student 25", "Sam Student"]);
      const past = await admin().enrollments.roster({ courseId: ids.c1, limit: 5, page: 7 });
      expect(past).toMatchObject({ students: [], pagination: { total: 28, hasMore: false } });
    });

    it("filters by status, progress range and search, and sorts", async () => {
      const completed = await admin().enrollments.roster({ courseId: ids.c1, status: "COMPLETED" });
      expect(completed.students.map((s) => s.name)).toEqual(["Alex Learner", "Pat Prereq"]);
      // Progress 40..52: Roster 11 (40), 12 (44), 13 (48), 14 (52) and Sam (50).
      const band = await admin().enrollments.roster({
        courseId: ids.c1,
        progressMin: 40,
        progressMax: 52,
        sort: "progress",
      });
      expect(band.students.map((s) => [s.name, s.progress])).toEqual([
        ["Roster Student 14", 52],
        ["Sam Student", 50],
        ["Roster Student 13", 48],
        ["Roster Student 12", 44],
        ["Roster Student 11", 40],
      ]);
      expect(band.pagination.total).toBe(5);
      // Search matches name or email, case-insensitive; LIKE wildcards are literal.
      const search = await admin().enrollments.roster({ courseId: ids.c1, search: "ROSTER0" });
      expect(search.pagination.total).toBe(9);
      expect((await admin().enrollments.roster({ courseId: ids.c1, search: "%" })).pagination.total).toBe(0);
      const newest = await admin().enrollments.roster({ courseId: ids.c1, sort: "enrolledAt", limit: 2 });
      expect(newest.students.map((s) => s.name)).toEqual(["Roster Student 25", "Roster Student 24"]);
    });

    it("refuses a contradictory progress range", async () => {
      expect(await refusal(admin().enrollments.roster({ courseId: ids.c1, progressMin: 60, progressMax: 10 }))).toEqual(
        {
          code: "BAD_REQUEST",
          message: "progressMax: must be at least progressMin",
        },
      );
    });
  });

  describe("roles", () => {
    it("enrollment management is for administrators only", async () => {
      const key = { studentId: ids.noel, courseId: ids.c4 };
      for (const principal of [as.ada, as.tom, as.sam]) {
        const api = callerAs(createTestServices(database), principal);
        expect((await refusal(api.enrollments.enroll(key))).code).toBe("FORBIDDEN");
        expect((await refusal(api.enrollments.drop({ studentId: ids.sam, courseId: ids.c1 }))).code).toBe("FORBIDDEN");
      }
      expect((await refusal(callerAs(createTestServices(database), null).enrollments.enroll(key))).code).toBe(
        "UNAUTHORIZED",
      );
      expect(await enrollmentOf(ids.noel, ids.c4)).toEqual([]);
    });

    it("instructors and TAs see the rosters of their own courses only; students none", async () => {
      // Ada teaches C1; Tom is on no course's staff until added; Grace is another institution's.
      expect(
        (await callerAs(createTestServices(database), as.ada).enrollments.roster({ courseId: ids.c1 })).pagination
          .total,
      ).toBe(28);
      expect(
        (await refusal(callerAs(createTestServices(database), as.tom).enrollments.roster({ courseId: ids.c1 }))).code,
      ).toBe("NOT_FOUND");
      await db.insert(schema.courseStaff).values({ courseId: ids.c1, userId: ids.tom, institutionId: ids.northwind });
      expect(
        (await callerAs(createTestServices(database), as.tom).enrollments.roster({ courseId: ids.c1 })).pagination
          .total,
      ).toBe(28);
      expect(
        (await refusal(callerAs(createTestServices(database), as.sam).enrollments.roster({ courseId: ids.c1 }))).code,
      ).toBe("FORBIDDEN");
      const otherTenant = await refusal(
        callerAs(createTestServices(database), as.grace).enrollments.roster({ courseId: ids.c1 }),
      );
      expect(otherTenant).toEqual({ code: "NOT_FOUND", message: "courseId: no such course" });
      const otherAdmin = personPrincipal({ id: ids.grace, institutionId: ids.southbank, role: "ADMIN" });
      expect(
        (await refusal(callerAs(createTestServices(database), otherAdmin).enrollments.roster({ courseId: ids.c1 })))
          .code,
      ).toBe("NOT_FOUND");
      expect(
        (
          await refusal(
            callerAs(createTestServices(database), as.southbankToken).enrollments.drop({
              studentId: ids.sam,
              courseId: ids.c1,
            }),
          )
        ).code,
      ).toBe("NOT_FOUND");
      expect(await enrollmentOf(ids.sam, ids.c1)).toMatchObject([{ status: "ACTIVE" }]);
    });
  });
});
