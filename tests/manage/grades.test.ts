import { type Database, queryOne, queryRows, schema } from "@coursebase/db";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { ids, loadFixture } from "../support/fixture.ts";
import { as } from "../support/principals.ts";
import { callerAs, createTestServices, personPrincipal } from "../support/services.ts";
import { refusal } from "./support.ts";

/**
 * Assignments, submissions and grades on the fixture's C1 (instructor Ada; Tom added as TA here).
 * Enrollments in C1: Sam ACTIVE, Alex COMPLETED (grade 88.50 set before any assignment).
 * Assignments created below: A1 10 points due yesterday, A2 30 points due next week, A3 10 points
 * with no due date (course total 50 points, later 90 and 100).
 * The enrollment grade = 100 * sum of best graded points per assignment / total max points.
 */
const DAY = 86_400_000;

describe("assignments, submissions, grades", () => {
  let database: TestDatabase;
  let db: Database;
  const api = (principal: Parameters<typeof callerAs>[1]) => callerAs(createTestServices(database), principal);
  const now = Date.now();
  let a1: string;
  let a2: string;
  let a3: string;
  const submissions: Record<string, string> = {};

  const enrollmentGrade = async (studentId: string) =>
    (
      await queryOne<{ grade: number | null }>(
        db,
        sql`select grade::float8 as grade from enrollments where student_id = ${studentId} and course_id = ${ids.c1}`,
      )
    )?.grade;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = database.db;
    await loadFixture(db);
    await db.insert(schema.courseStaff).values({ courseId: ids.c1, userId: ids.tom, institutionId: ids.northwind });
  });
  afterAll(() => database.destroy());

  describe("assignments", () => {
    it("the course's instructor creates assignments with due dates and max points", async () => {
      const created = await api(as.ada).assignments.create({
        courseId: ids.c1,
        title: "Limits worksheet",
        instructions: "Exercises 1-10",
        dueAt: new Date(now - DAY),
        maxPoints: 10,
      });
      expect(created).toMatchObject({ courseId: ids.c1, title: "Limits worksheet", maxPoints: 10 });
      expect(created.dueAt).toEqual(new Date(now - DAY));
      a1 = created.id;
      a2 = (
        await api(as.tom).assignments.create({
          courseId: ids.c1,
          title: "Derivatives project",
          dueAt: new Date(now + 7 * DAY).toISOString(),
          maxPoints: 30,
        })
      ).id;
      a3 = (await api(as.northwindAdmin).assignments.create({ courseId: ids.c1, title: "Reflection", maxPoints: 10 }))
        .id;
      const actions = await queryRows<{ action: string }>(
        db,
        sql`select action from audit_log where target_type = 'assignment' order by id`,
      );
      expect(actions.map((row) => row.action)).toEqual(["assignment.create", "assignment.create", "assignment.create"]);
    });

    it("refuses bad input and other people's courses", async () => {
      expect(await refusal(api(as.ada).assignments.create({ courseId: ids.c1, title: " ", maxPoints: 0 }))).toEqual({
        code: "BAD_REQUEST",
        message: "title: must not be empty; maxPoints: must be greater than 0",
      });
      // Tom is staff on C1 only; Grace teaches at Southbank; students create nothing.
      expect(await refusal(api(as.tom).assignments.create({ courseId: ids.c2, title: "x", maxPoints: 1 }))).toEqual({
        code: "NOT_FOUND",
        message: "courseId: no such course",
      });
      expect(
        (await refusal(api(as.grace).assignments.create({ courseId: ids.c1, title: "x", maxPoints: 1 }))).code,
      ).toBe("NOT_FOUND");
      expect((await refusal(api(as.sam).assignments.create({ courseId: ids.c1, title: "x", maxPoints: 1 }))).code).toBe(
        "FORBIDDEN",
      );
      expect((await refusal(api(as.grace).assignments.update({ assignmentId: a1, title: "mine" }))).code).toBe(
        "NOT_FOUND",
      );
      const count = await queryOne<{ n: number }>(db, sql`select count(*)::int as n from assignments`);
      expect(count?.n).toBe(3);
    });

    it("lists a course's assignments, soonest due first, to its staff and students only", async () => {
      const list = await api(as.sam).assignments.list({ courseId: ids.c1 });
      expect(list.assignments.map((a) => a.title)).toEqual(["Limits worksheet", "Derivatives project", "Reflection"]);
      expect(list.pagination).toEqual({ page: 1, limit: 20, total: 3, hasMore: false });
      expect((await api(as.ada).assignments.list({ courseId: ids.c1, limit: 1, page: 2 })).assignments[0]?.id).toBe(a2);
      expect(await refusal(api(as.noel).assignments.list({ courseId: ids.c1 }))).toEqual({
        code: "NOT_FOUND",
        message: "courseId: no such course",
      });
      expect((await refusal(api(as.bea).assignments.list({ courseId: ids.c1 }))).code).toBe("NOT_FOUND");
      expect((await refusal(api(as.southbankToken).assignments.list({ courseId: ids.c1 }))).code).toBe("NOT_FOUND");
    });
  });

  describe("submissions", () => {
    it("counts attempts and marks late submissions against the due date", async () => {
      const first = await api(as.sam).submissions.submit({ assignmentId: a1, content: "my answers" });
      const second = await api(as.sam).submissions.submit({ assignmentId: a1, content: "better answers" });
      const onTime = await api(as.sam).submissions.submit({ assignmentId: a2, content: "project" });
      const undated = await api(as.sam).submissions.submit({ assignmentId: a3, content: "thoughts" });
      expect([first, second, onTime, undated].map((s) => [s.attempt, s.isLate, s.studentId])).toEqual([
        [1, true, ids.sam],
        [2, true, ids.sam],
        [1, false, ids.sam],
        [1, false, ids.sam],
      ]);
      submissions.a1First = first.id;
      submissions.a1Second = second.id;
      submissions.a2 = onTime.id;
    });

    it("only a student with an ACTIVE enrollment in the course submits", async () => {
      expect(await refusal(api(as.alex).submissions.submit({ assignmentId: a1, content: "late" }))).toEqual({
        code: "FORBIDDEN",
        message: "assignmentId: only an ACTIVE enrollment may submit; yours is COMPLETED",
      });
      expect(await refusal(api(as.noel).submissions.submit({ assignmentId: a1, content: "x" }))).toEqual({
        code: "FORBIDDEN",
        message: "assignmentId: you are not enrolled in this assignment's course",
      });
      expect(await refusal(api(as.bea).submissions.submit({ assignmentId: a1, content: "x" }))).toEqual({
        code: "NOT_FOUND",
        message: "assignmentId: no such assignment",
      });
      expect((await refusal(api(as.ada).submissions.submit({ assignmentId: a1, content: "x" }))).code).toBe(
        "FORBIDDEN",
      );
      expect((await refusal(api(as.northwindToken).submissions.submit({ assignmentId: a1, content: "x" }))).code).toBe(
        "FORBIDDEN",
      );
      expect(await refusal(api(as.sam).submissions.submit({ assignmentId: a1, content: "" }))).toEqual({
        code: "BAD_REQUEST",
        message: "content: must not be empty",
      });
      const count = await queryOne<{ n: number }>(db, sql`select count(*)::int as n from submissions`);
      expect(count?.n).toBe(4);
    });
  });

  describe("grades", () => {
    it("staff grade within 0..max points and the enrollment grade follows", async () => {
      const g1 = await api(as.ada).grades.grade({ submissionId: submissions.a1First as string, points: 6 });
      // Best of A1 so far 6, of 50 course points.
      expect(g1).toMatchObject({ points: 6, maxPoints: 10, graderId: ids.ada, enrollmentGrade: 12 });
      const g2 = await api(as.ada).grades.grade({
        submissionId: submissions.a1Second as string,
        points: 8,
        feedback: "Much better",
      });
      expect(g2).toMatchObject({ points: 8, feedback: "Much better", enrollmentGrade: 16 });
      const g3 = await api(as.tom).grades.grade({ submissionId: submissions.a2 as string, points: 25 });
      // (8 + 25) / 50
      expect(g3.enrollmentGrade).toBe(66);
      expect(await enrollmentGrade(ids.sam)).toBe(66);
      // Alex has no graded work: the grade set before assignments existed stays.
      expect(await enrollmentGrade(ids.alex)).toBe(88.5);
    });

    it("refuses points outside 0..max points, writing nothing", async () => {
      expect(
        await refusal(api(as.ada).grades.grade({ submissionId: submissions.a1First as string, points: 10.5 })),
      ).toEqual({
        code: "BAD_REQUEST",
        message: "points: must be between 0 and 10 (the assignment's max points)",
      });
      expect(
        await refusal(api(as.ada).grades.grade({ submissionId: submissions.a1First as string, points: -1 })),
      ).toEqual({
        code: "BAD_REQUEST",
        message: "points: must not be negative",
      });
      const grade = await queryOne<{ points: number }>(
        db,
        sql`select points::float8 as points from grades where submission_id = ${submissions.a1First}`,
      );
      expect(grade?.points).toBe(6);
    });

    it("a regrade replaces the grade, is audited, and the best attempt counts", async () => {
      const regrade = await api(as.northwindAdmin).grades.grade({
        submissionId: submissions.a1Second as string,
        points: 5,
      });
      // Best of A1 is now attempt 1's 6: (6 + 25) / 50.
      expect(regrade).toMatchObject({ points: 5, feedback: null, graderId: ids.admin, enrollmentGrade: 62 });
      const audit = await queryRows<{ action: string; points: number; previous: number | null }>(
        db,
        sql`select action, (details->>'points')::float8 as points, (details->>'previousPoints')::float8 as previous
              from audit_log where target_id = ${submissions.a1Second} order by id`,
      );
      expect(audit).toEqual([
        { action: "grade.create", points: 8, previous: null },
        { action: "grade.update", points: 5, previous: 8 },
      ]);
    });

    it("changing the course's max points recomputes the grade; lowering below a grade is refused", async () => {
      await api(as.ada).assignments.update({ assignmentId: a3, maxPoints: 50 });
      // (6 + 25) / 90 = 34.444...
      expect(await enrollmentGrade(ids.sam)).toBe(34.44);
      expect(await refusal(api(as.ada).assignments.update({ assignmentId: a1, maxPoints: 5 }))).toEqual({
        code: "BAD_REQUEST",
        message: "maxPoints: must be at least 6, a grade already given",
      });
      await api(as.ada).assignments.create({ courseId: ids.c1, title: "Final", maxPoints: 10 });
      // (6 + 25) / 100
      expect(await enrollmentGrade(ids.sam)).toBe(31);
    });

    it("only the course's staff or an administrator grades; a token acts for no person", async () => {
      const submissionId = submissions.a2 as string;
      expect((await refusal(api(as.sam).grades.grade({ submissionId, points: 30 }))).code).toBe("FORBIDDEN");
      expect(await refusal(api(as.northwindToken).grades.grade({ submissionId, points: 30 }))).toEqual({
        code: "FORBIDDEN",
        message: "submissionId: grades are given by a person; this API token acts for none",
      });
      expect(await refusal(api(as.grace).grades.grade({ submissionId, points: 30 }))).toEqual({
        code: "NOT_FOUND",
        message: "submissionId: no such submission",
      });
      const southbankAdmin = personPrincipal({ id: ids.grace, institutionId: ids.southbank, role: "ADMIN" });
      expect((await refusal(api(southbankAdmin).grades.grade({ submissionId, points: 30 }))).code).toBe("NOT_FOUND");
      // A TA who is not on C2's staff cannot grade there: add a C2 assignment with a submission.
      await db.insert(schema.assignments).values({
        id: "a5000000-0000-4000-8000-000000000001",
        courseId: ids.c2,
        institutionId: ids.northwind,
        title: "C2 homework",
        instructions: "",
        maxPoints: "10",
      });
      const c2Submission = await api(as.sam).submissions.submit({
        assignmentId: "a5000000-0000-4000-8000-000000000001",
        content: "pointers",
      });
      expect((await refusal(api(as.tom).grades.grade({ submissionId: c2Submission.id, points: 1 }))).code).toBe(
        "NOT_FOUND",
      );
      const grade = await queryOne<{ points: number }>(
        db,
        sql`select points::float8 as points from grades where submission_id = ${submissionId}`,
      );
      expect(grade?.points).toBe(25);
    });
  });

  describe("submissions.list", () => {
    it("staff see the course's submissions with grades; a student only their own", async () => {
      const all = await api(as.tom).submissions.list({ courseId: ids.c1 });
      expect(all.pagination.total).toBe(4);
      const a1List = await api(as.ada).submissions.list({ courseId: ids.c1, assignmentId: a1 });
      expect(a1List.submissions.map((s) => [s.attempt, s.isLate, s.grade?.points])).toEqual([
        [2, true, 5],
        [1, true, 6],
      ]);
      expect((await api(as.sam).submissions.list({ courseId: ids.c1 })).pagination.total).toBe(4);
      expect((await api(as.alex).submissions.list({ courseId: ids.c1 })).submissions).toEqual([]);
      expect(await refusal(api(as.alex).submissions.list({ courseId: ids.c1, studentId: ids.sam }))).toEqual({
        code: "FORBIDDEN",
        message: "studentId: students see only their own submissions",
      });
      expect((await refusal(api(as.grace).submissions.list({ courseId: ids.c1 }))).code).toBe("NOT_FOUND");
      expect((await refusal(api(as.noel).submissions.list({ courseId: ids.c1 }))).code).toBe("NOT_FOUND");
    });
  });
});
