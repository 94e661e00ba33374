import { getStudentDashboard } from "@coursebase/db/queries/dashboard";
import type { createCaller } from "@coursebase/server";
import { TRPCError } from "@trpc/server";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { type FixtureTimes, ids, loadFixture } from "../support/fixture.ts";
import { as } from "../support/principals.ts";
import { callerAs, createTestServices } from "../support/services.ts";

// Expected values are read off the fixture by hand (tests/support/fixture.ts), not computed.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const ada = { name: "Ada Lovelace", email: "ada@northwind.edu" };
const calculusI = {
  id: ids.c1,
  title: "Calculus I: Limits and Derivatives",
  description: "Limits, continuity and derivatives of functions of one variable, with applications to rates of change.",
  category: "MATHEMATICS",
  difficulty: "BEGINNER",
  estimatedHours: 40,
  instructor: ada,
};
const introCpp = {
  id: ids.c2,
  title: "Introduction to C++ Programming",
  description: "Pointers, classes and the standard library: write fast, safe C++ from your first program.",
  category: "PROGRAMMING",
  difficulty: "INTERMEDIATE",
  estimatedHours: 30,
  instructor: ada,
};

async function rejection(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

/** The validation issues behind a BAD_REQUEST (what the error formatter turns into "path: reason"). */
function inputIssues(error: TRPCError): Array<{ path: string; message: string }> {
  expect(error.cause).toBeInstanceOf(ZodError);
  return (error.cause as ZodError).issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
}

describe("dashboard.student", () => {
  let database: TestDatabase;
  let times: FixtureTimes;
  let api: ReturnType<typeof createCaller>;
  const now = new Date();

  beforeAll(async () => {
    database = await createTestDatabase();
    times = await loadFixture(database.db, now);
    api = callerAs(createTestServices(database), as.northwindAdmin);
  });
  afterAll(() => database.destroy());

  it("Sam: the ACTIVE enrollments newest access first, the last 7 days' completions, all-time totals", async () => {
    const dashboard = await api.dashboard.student({ studentId: ids.sam });

    expect(dashboard.student).toEqual({
      id: ids.sam,
      name: "Sam Student",
      email: "sam@northwind.edu",
      preferences: { theme: "dark" },
    });
    // C2 accessed an hour ago, C1 a day ago; the DROPPED C4 enrollment is left out.
    expect(dashboard.enrollments).toEqual([
      {
        id: expect.any(String),
        courseId: ids.c2,
        status: "ACTIVE",
        progress: 50,
        enrolledAt: new Date("2026-11-10T10:00:00Z"),
        lastAccessAt: new Date(now.getTime() - HOUR),
        course: introCpp,
      },
      {
        id: expect.any(String),
        courseId: ids.c1,
        status: "ACTIVE",
        progress: 50,
        enrolledAt: new Date("2026-11-01T10:00:00Z"),
        lastAccessAt: times.samL1Completed,
        course: calculusI,
      },
    ]);
    // L1 (1 day ago) then L2 (2 days ago); L6 (9 days ago) is outside the window, and the
    // uncompleted L3 and L5 are not completions.
    expect(dashboard.recentProgress).toEqual([
      {
        lessonId: ids.l1,
        completedAt: times.samL1Completed,
        timeSpent: 600,
        score: "80.00",
        lesson: { title: "What is a limit?", type: "VIDEO" },
        module: { title: "Limits" },
        course: { id: ids.c1, title: calculusI.title },
      },
      {
        lessonId: ids.l2,
        completedAt: times.samL2Completed,
        timeSpent: 900,
        score: "90.00",
        lesson: { title: "Limit laws", type: "TEXT" },
        module: { title: "Limits" },
        course: { id: ids.c1, title: calculusI.title },
      },
    ]);
    expect(dashboard.totalCourses).toBe(2);
    // L1, L2 and the 9-day-old L6: the guide's recentProgress.length would say 2.
    expect(dashboard.completedLessons).toBe(3);
    expect(dashboard.completedCourses).toBe(0);
    expect(dashboard.averageProgress).toBe(50);
    expect(dashboard.enrollments[0]?.enrolledAt).toBeInstanceOf(Date);
  });

  it("Noel, with no enrollments: empty lists and zeros", async () => {
    const dashboard = await api.dashboard.student({ studentId: ids.noel });
    expect(dashboard).toEqual({
      student: { id: ids.noel, name: "Noel Newcomer", email: "noel@northwind.edu", preferences: {} },
      enrollments: [],
      recentProgress: [],
      totalCourses: 0,
      completedLessons: 0,
      completedCourses: 0,
      averageProgress: null,
    });
  });

  it("Alex: COMPLETED and SUSPENDED enrollments are not active; old completions still count", async () => {
    const dashboard = await api.dashboard.student({ studentId: ids.alex });
    expect(dashboard.enrollments).toEqual([]);
    expect(dashboard.recentProgress).toEqual([]); // completions 17 to 20 days ago
    expect(dashboard.totalCourses).toBe(0);
    expect(dashboard.completedLessons).toBe(4);
    expect(dashboard.completedCourses).toBe(1);
  });

  it("unknown id, or a user who is not a student: NOT_FOUND", async () => {
    for (const studentId of [ids.unknown, ids.ada, ids.admin]) {
      const error = await rejection(api.dashboard.student({ studentId }));
      expect(error.code).toBe("NOT_FOUND");
    }
  });

  it("a malformed id: BAD_REQUEST naming studentId", async () => {
    for (const studentId of ["not-a-uuid", "", `${ids.sam}x`, "'; drop table users; --"]) {
      const error = await rejection(api.dashboard.student({ studentId }));
      expect(error.code).toBe("BAD_REQUEST");
      expect(inputIssues(error)).toEqual([{ path: "studentId", message: "must be a UUID" }]);
    }
    const missing = await rejection(api.dashboard.student({} as { studentId: string }));
    expect(missing.code).toBe("BAD_REQUEST");
    expect(inputIssues(missing).map((issue) => issue.path)).toEqual(["studentId"]);
  });

  it("an institution scope hides students of other institutions", async () => {
    expect(await getStudentDashboard(database.db, { studentId: ids.bea }, { institutionId: ids.northwind })).toBeNull();
    const bea = await getStudentDashboard(database.db, { studentId: ids.bea }, { institutionId: ids.southbank });
    expect(bea?.student.name).toBe("Bea Scholar");
    expect(bea?.enrollments.map((enrollment) => enrollment.course.title)).toEqual(["Calculus for Business"]);
    expect(bea?.enrollments[0]?.course.instructor).toEqual({ name: "Grace Hopper", email: "grace@southbank.ac.uk" });
    expect(bea?.recentProgress).toEqual([
      {
        lessonId: ids.l7,
        completedAt: times.beaL7Completed,
        timeSpent: 400,
        score: "60.00",
        lesson: { title: "Marginal cost", type: "TEXT" },
        module: { title: "Marginal analysis" },
        course: { id: ids.c5, title: "Calculus for Business" },
      },
    ]);
  });

  describe("a student with more than 10 recent completions", () => {
    // Added here (the fixture is read-only): Casey, in a new Northwind course of 13 lessons,
    // completed lesson k (1..12) k hours ago and lesson 13 eight days ago; also enrolled (ACTIVE,
    // most recently, never accessed) in Linear Algebra.
    const casey = "b0000000-0000-4000-8000-000000000090";
    const busy = "c0000000-0000-4000-8000-000000000090";
    const everything = "e0000000-0000-4000-8000-000000000090";
    const lesson = (k: number) => `f0000000-0000-4000-8000-0000000009${String(k).padStart(2, "0")}`;
    const lessonNumbers = Array.from({ length: 13 }, (_, index) => index + 1);

    beforeAll(async () => {
      const { db } = database;
      await db.execute(sql`
        insert into users (id, email, name, role, institution_id)
        values (${casey}, 'casey@northwind.edu', 'Casey Busy', 'STUDENT', ${ids.northwind})`);
      await db.execute(sql`
        insert into courses (id, title, description, slug, category, difficulty, status, price, estimated_hours,
                             institution_id, instructor_id, published_at)
        values (${busy}, 'Busy Course', 'Many short lessons.', 'busy-course', 'SCIENCE', 'BEGINNER', 'PUBLISHED',
                '10.00', 5, ${ids.northwind}, ${ids.tom}, '2026-05-01T00:00:00Z')`);
      await db.execute(sql`
        insert into modules (id, title, description, order_index, course_id, institution_id)
        values (${everything}, 'Everything', 'All lessons', 0, ${busy}, ${ids.northwind})`);
      for (const k of lessonNumbers) {
        await db.execute(sql`
          insert into lessons (id, title, type, content, duration, order_index, module_id, course_id, institution_id)
          values (${lesson(k)}, ${`Lesson ${k}`}, 'TEXT', '{}'::jsonb, 5, ${k}, ${everything}, ${busy},
                  ${ids.northwind})`);
      }
      await db.execute(sql`
        insert into enrollments (student_id, course_id, institution_id, status, progress, enrolled_at, last_access_at)
        values (${casey}, ${busy}, ${ids.northwind}, 'ACTIVE', 100, '2026-11-01T00:00:00Z',
                ${new Date(now.getTime() - HOUR).toISOString()}),
               (${casey}, ${ids.c4}, ${ids.northwind}, 'ACTIVE', 0, '2026-11-20T00:00:00Z', null)`);
      for (const k of lessonNumbers) {
        const completedAt = new Date(now.getTime() - (k <= 12 ? k * HOUR : 8 * DAY));
        await db.execute(sql`
          insert into lesson_progress (student_id, lesson_id, course_id, institution_id, time_spent, completed_at)
          values (${casey}, ${lesson(k)}, ${busy}, ${ids.northwind}, ${k * 10}, ${completedAt.toISOString()})`);
      }
    });

    it("recentProgress keeps the 10 newest, newest first; completedLessons counts all 13", async () => {
      const dashboard = await api.dashboard.student({ studentId: casey });
      expect(dashboard.recentProgress.map((completion) => completion.lesson.title)).toEqual(
        lessonNumbers.slice(0, 10).map((k) => `Lesson ${k}`),
      );
      expect(dashboard.recentProgress[0]).toEqual({
        lessonId: lesson(1),
        completedAt: new Date(now.getTime() - HOUR),
        timeSpent: 10,
        score: null,
        lesson: { title: "Lesson 1", type: "TEXT" },
        module: { title: "Everything" },
        course: { id: busy, title: "Busy Course" },
      });
      expect(dashboard.completedLessons).toBe(13);
    });

    it("a never-accessed enrollment comes last, though enrolled most recently", async () => {
      const dashboard = await api.dashboard.student({ studentId: casey });
      expect(dashboard.enrollments.map((enrollment) => [enrollment.courseId, enrollment.lastAccessAt])).toEqual([
        [busy, new Date(now.getTime() - HOUR)],
        [ids.c4, null],
      ]);
      expect(dashboard.enrollments[0]?.course.instructor).toEqual({
        name: "Tom Assistant",
        email: "tom@northwind.edu",
      });
      expect(dashboard.totalCourses).toBe(2);
      expect(dashboard.averageProgress).toBe(50);
    });
  });
});
