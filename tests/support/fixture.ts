import type { Database } from "@coursebase/db";
import { schema } from "@coursebase/db";

/**
 * A small hand-built dataset whose right answers are worked out by hand in the tests (not by the
 * code under test). Read-only by convention: a test that needs more rows adds them in its own
 * file. Completion times are relative to `now` so that "the last 7 days" always holds.
 *
 * Northwind University (UTC)                       Southbank College (America/New_York)
 *   admin, Ada (instructor), Tom (TA)                Grace (instructor), Bea (student)
 *   students Sam, Alex, Noel (no enrollments)
 *   C1 Calculus I        PUBLISHED 2 modules, L1-L4  C5 Calculus for Business PUBLISHED, L7-L8
 *   C2 Intro to C++      PUBLISHED 1 module,  L5-L6
 *   C3 Data Science      DRAFT     1 module,  L9
 *   C4 Linear Algebra    PUBLISHED no lessons
 */
const id = (prefix: string, n: number) => `${prefix}0000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

export const ids = {
  northwind: id("a", 1),
  southbank: id("a", 2),
  deptMath: id("d", 1),
  deptCs: id("d", 2),
  admin: id("b", 1),
  ada: id("b", 2),
  tom: id("b", 3),
  sam: id("b", 4),
  alex: id("b", 5),
  noel: id("b", 6),
  grace: id("b", 7),
  bea: id("b", 8),
  c1: id("c", 1),
  c2: id("c", 2),
  c3: id("c", 3),
  c4: id("c", 4),
  c5: id("c", 5),
  m1: id("e", 1),
  m2: id("e", 2),
  m3: id("e", 3),
  m4: id("e", 4),
  m5: id("e", 5),
  l1: id("f", 1),
  l2: id("f", 2),
  l3: id("f", 3),
  l4: id("f", 4),
  l5: id("f", 5),
  l6: id("f", 6),
  l7: id("f", 7),
  l8: id("f", 8),
  l9: id("f", 9),
  /** A well-formed id that exists nowhere. */
  unknown: id("9", 999),
} as const;

const DAY = 86_400_000;

export function fixtureTimes(now: Date) {
  const ago = (days: number) => new Date(now.getTime() - days * DAY);
  return {
    now,
    samL1Completed: ago(1),
    samL2Completed: ago(2),
    samL6Completed: ago(9),
    alexL1Completed: ago(20),
    alexL2Completed: ago(19),
    alexL3Completed: ago(18),
    alexL4Completed: ago(17),
    alexC1Completed: ago(17),
    beaL7Completed: ago(1),
  };
}

export type FixtureTimes = ReturnType<typeof fixtureTimes>;

export async function loadFixture(db: Database, now = new Date()): Promise<FixtureTimes> {
  const times = fixtureTimes(now);
  const s = schema;

  await db.insert(s.institutions).values([
    { id: ids.northwind, name: "Northwind University", domain: "northwind.edu", type: "UNIVERSITY" },
    {
      id: ids.southbank,
      name: "Southbank College",
      domain: "southbank.ac.uk",
      type: "COLLEGE",
      timeZone: "America/New_York",
    },
  ]);
  await db.insert(s.departments).values([
    { id: ids.deptMath, institutionId: ids.northwind, name: "Mathematics", code: "MATH" },
    { id: ids.deptCs, institutionId: ids.northwind, name: "Computer Science", code: "CS" },
  ]);
  await db.insert(s.users).values([
    { id: ids.admin, email: "admin@northwind.edu", name: "Nora Admin", role: "ADMIN", institutionId: ids.northwind },
    {
      id: ids.ada,
      email: "ada@northwind.edu",
      name: "Ada Lovelace",
      role: "INSTRUCTOR",
      institutionId: ids.northwind,
      departmentId: ids.deptMath,
    },
    {
      id: ids.tom,
      email: "tom@northwind.edu",
      name: "Tom Assistant",
      role: "TEACHING_ASSISTANT",
      institutionId: ids.northwind,
    },
    {
      id: ids.sam,
      email: "sam@northwind.edu",
      name: "Sam Student",
      role: "STUDENT",
      institutionId: ids.northwind,
      preferences: { theme: "dark" },
    },
    { id: ids.alex, email: "alex@northwind.edu", name: "Alex Learner", role: "STUDENT", institutionId: ids.northwind },
    { id: ids.noel, email: "noel@northwind.edu", name: "Noel Newcomer", role: "STUDENT", institutionId: ids.northwind },
    {
      id: ids.grace,
      email: "grace@southbank.ac.uk",
      name: "Grace Hopper",
      role: "INSTRUCTOR",
      institutionId: ids.southbank,
    },
    { id: ids.bea, email: "bea@southbank.ac.uk", name: "Bea Scholar", role: "STUDENT", institutionId: ids.southbank },
  ]);

  const published = (iso: string) => ({ status: "PUBLISHED" as const, publishedAt: new Date(iso) });
  await db.insert(s.courses).values([
    {
      id: ids.c1,
      title: "Calculus I: Limits and Derivatives",
      description:
        "Limits, continuity and derivatives of functions of one variable, with applications to rates of change.",
      slug: "calculus-i",
      category: "MATHEMATICS",
      difficulty: "BEGINNER",
      price: "49.00",
      estimatedHours: 40,
      institutionId: ids.northwind,
      instructorId: ids.ada,
      departmentId: ids.deptMath,
      ...published("2026-01-10T09:00:00Z"),
    },
    {
      id: ids.c2,
      title: "Introduction to C++ Programming",
      description: "Pointers, classes and the standard library: write fast, safe C++ from your first program.",
      slug: "intro-cpp",
      category: "PROGRAMMING",
      difficulty: "INTERMEDIATE",
      price: "79.50",
      estimatedHours: 30,
      institutionId: ids.northwind,
      instructorId: ids.ada,
      departmentId: ids.deptCs,
      ...published("2026-03-01T09:00:00Z"),
    },
    {
      id: ids.c3,
      title: "Data Science with Python",
      description: "Draft course: pandas, statistics and machine learning with Python notebooks.",
      slug: "data-science-python",
      category: "DATA_SCIENCE",
      difficulty: "ADVANCED",
      price: "99.00",
      estimatedHours: 50,
      institutionId: ids.northwind,
      instructorId: ids.ada,
    },
    {
      id: ids.c4,
      title: "Linear Algebra",
      description: "Vector spaces, matrices and linear maps. Content coming soon.",
      slug: "linear-algebra",
      category: "MATHEMATICS",
      difficulty: "INTERMEDIATE",
      price: "0.00",
      estimatedHours: 35,
      institutionId: ids.northwind,
      instructorId: ids.ada,
      ...published("2026-02-01T09:00:00Z"),
    },
    {
      id: ids.c5,
      title: "Calculus for Business",
      description: "Marginal cost, optimisation and growth models for business students.",
      slug: "calculus-business",
      category: "BUSINESS",
      difficulty: "BEGINNER",
      price: "25.00",
      estimatedHours: 20,
      institutionId: ids.southbank,
      instructorId: ids.grace,
      ...published("2026-04-01T09:00:00Z"),
    },
  ]);

  const module = (mid: string, courseId: string, institutionId: string, orderIndex: number, title: string) => ({
    id: mid,
    courseId,
    institutionId,
    orderIndex,
    title,
    description: `${title} module`,
  });
  await db
    .insert(s.modules)
    .values([
      module(ids.m1, ids.c1, ids.northwind, 0, "Limits"),
      module(ids.m2, ids.c1, ids.northwind, 1, "Derivatives"),
      module(ids.m3, ids.c2, ids.northwind, 0, "Basics"),
      module(ids.m4, ids.c3, ids.northwind, 0, "Pandas"),
      module(ids.m5, ids.c5, ids.southbank, 0, "Marginal analysis"),
    ]);

  const lesson = (
    lid: string,
    moduleId: string,
    courseId: string,
    institutionId: string,
    orderIndex: number,
    title: string,
    type: "VIDEO" | "TEXT" | "QUIZ" = "TEXT",
  ) => ({
    id: lid,
    moduleId,
    courseId,
    institutionId,
    orderIndex,
    title,
    type,
    content: { body: title },
    duration: 15,
  });
  await db
    .insert(s.lessons)
    .values([
      lesson(ids.l1, ids.m1, ids.c1, ids.northwind, 0, "What is a limit?", "VIDEO"),
      lesson(ids.l2, ids.m1, ids.c1, ids.northwind, 1, "Limit laws"),
      lesson(ids.l3, ids.m2, ids.c1, ids.northwind, 0, "The derivative"),
      lesson(ids.l4, ids.m2, ids.c1, ids.northwind, 1, "Derivatives quiz", "QUIZ"),
      lesson(ids.l5, ids.m3, ids.c2, ids.northwind, 0, "Hello, world"),
      lesson(ids.l6, ids.m3, ids.c2, ids.northwind, 1, "Pointers"),
      lesson(ids.l7, ids.m5, ids.c5, ids.southbank, 0, "Marginal cost"),
      lesson(ids.l8, ids.m5, ids.c5, ids.southbank, 1, "Optimisation"),
      lesson(ids.l9, ids.m4, ids.c3, ids.northwind, 0, "DataFrames"),
    ]);

  const t = times;
  await db.insert(s.enrollments).values([
    {
      studentId: ids.sam,
      courseId: ids.c1,
      institutionId: ids.northwind,
      status: "ACTIVE",
      progress: 50,
      enrolledAt: new Date("2026-11-01T10:00:00Z"),
      lastAccessAt: t.samL1Completed,
    },
    {
      studentId: ids.sam,
      courseId: ids.c2,
      institutionId: ids.northwind,
      status: "ACTIVE",
      progress: 50,
      enrolledAt: new Date("2026-11-10T10:00:00Z"),
      lastAccessAt: new Date(now.getTime() - 3_600_000),
    },
    {
      studentId: ids.sam,
      courseId: ids.c4,
      institutionId: ids.northwind,
      status: "DROPPED",
      progress: 0,
      enrolledAt: new Date("2026-10-15T10:00:00Z"),
    },
    {
      studentId: ids.alex,
      courseId: ids.c1,
      institutionId: ids.northwind,
      status: "COMPLETED",
      progress: 100,
      grade: "88.50",
      enrolledAt: new Date("2026-10-01T10:00:00Z"),
      completedAt: t.alexC1Completed,
      lastAccessAt: t.alexC1Completed,
    },
    {
      studentId: ids.alex,
      courseId: ids.c2,
      institutionId: ids.northwind,
      status: "SUSPENDED",
      progress: 0,
      enrolledAt: new Date("2026-10-05T10:00:00Z"),
    },
    {
      studentId: ids.bea,
      courseId: ids.c5,
      institutionId: ids.southbank,
      status: "ACTIVE",
      progress: 50,
      enrolledAt: new Date("2026-11-02T15:00:00Z"),
      lastAccessAt: t.beaL7Completed,
    },
  ]);

  const progress = (
    studentId: string,
    lessonId: string,
    courseId: string,
    institutionId: string,
    timeSpent: number,
    score: string | null,
    completedAt: Date | null,
  ) => ({ studentId, lessonId, courseId, institutionId, timeSpent, score, completedAt });
  await db
    .insert(s.lessonProgress)
    .values([
      progress(ids.sam, ids.l1, ids.c1, ids.northwind, 600, "80.00", t.samL1Completed),
      progress(ids.sam, ids.l2, ids.c1, ids.northwind, 900, "90.00", t.samL2Completed),
      progress(ids.sam, ids.l3, ids.c1, ids.northwind, 120, null, null),
      progress(ids.sam, ids.l5, ids.c2, ids.northwind, 300, null, null),
      progress(ids.sam, ids.l6, ids.c2, ids.northwind, 200, null, t.samL6Completed),
      progress(ids.alex, ids.l1, ids.c1, ids.northwind, 500, "70.00", t.alexL1Completed),
      progress(ids.alex, ids.l2, ids.c1, ids.northwind, 500, "75.00", t.alexL2Completed),
      progress(ids.alex, ids.l3, ids.c1, ids.northwind, 500, "85.00", t.alexL3Completed),
      progress(ids.alex, ids.l4, ids.c1, ids.northwind, 500, "95.00", t.alexL4Completed),
      progress(ids.bea, ids.l7, ids.c5, ids.southbank, 400, "60.00", t.beaL7Completed),
    ]);

  return times;
}
