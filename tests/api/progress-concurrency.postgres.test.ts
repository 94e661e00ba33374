import {
  createDatabase,
  type Database,
  type DatabaseHandle,
  databaseConfigFromEnv,
  queryRows,
  schema,
} from "@coursebase/db";
import { type RecordProgressRequest, recordProgress, recordProgressInput } from "@coursebase/db/queries/progress";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { ids, loadFixture } from "../support/fixture.ts";

/**
 * 20 batches at once over a pool of 20 connections, every batch touching the same 12 (student,
 * lesson) rows in 4 enrollments across 2 institutions, listed in a different order in each batch;
 * plus 5 exact retries of batches 0-4 racing their originals. Batch b spends b + 1 seconds on each
 * lesson, so each lesson gains 1 + 2 + ... + 20 = 210 s and 20 attempts, whatever the interleaving.
 * Batch b also completes lesson b of a 20-lesson course (C6, Noel): Noel's enrollment reaches 100%
 * only if every batch's progress recomputation saw all the batches committed before it (without
 * the enrollment locks, a batch that commits last from an older snapshot leaves it below 100).
 */
const BATCHES = 20;
const c6 = "c0000000-0000-4000-8000-000000000006";
const m6 = "e0000000-0000-4000-8000-000000000006";
const c6Lesson = (b: number) => `f0000000-0000-4000-8000-0000000006${String(b).padStart(2, "0")}`;
const RETRIED = 5;
const GAIN = (BATCHES * (BATCHES + 1)) / 2; // 210

const targets = [
  { studentId: ids.sam, lessonId: ids.l1, courseId: ids.c1 },
  { studentId: ids.sam, lessonId: ids.l2, courseId: ids.c1 },
  { studentId: ids.sam, lessonId: ids.l3, courseId: ids.c1 },
  { studentId: ids.sam, lessonId: ids.l4, courseId: ids.c1 },
  { studentId: ids.sam, lessonId: ids.l5, courseId: ids.c2 },
  { studentId: ids.sam, lessonId: ids.l6, courseId: ids.c2 },
  { studentId: ids.alex, lessonId: ids.l1, courseId: ids.c1 },
  { studentId: ids.alex, lessonId: ids.l2, courseId: ids.c1 },
  { studentId: ids.alex, lessonId: ids.l3, courseId: ids.c1 },
  { studentId: ids.alex, lessonId: ids.l4, courseId: ids.c1 },
  { studentId: ids.bea, lessonId: ids.l7, courseId: ids.c5 },
  { studentId: ids.bea, lessonId: ids.l8, courseId: ids.c5 },
];

type Update = RecordProgressRequest["updates"][number];

function batch(b: number, now: Date): Update[] {
  const updates = targets.map((target, k) => ({
    eventId: `batch-${b}-event-${k}`,
    ...target,
    timeSpent: b + 1,
    // Sam's L4 and Bea's L8 are completed in every batch (the earliest time must win);
    // Sam's L3 only in batch 7.
    completedAt:
      k === 3 || k === 11
        ? new Date(now.getTime() - (b + 1) * 60_000)
        : k === 2 && b === 7
          ? new Date(now.getTime() - 30 * 60_000)
          : undefined,
  }));
  updates.push({
    eventId: `batch-${b}-c6`,
    studentId: ids.noel,
    lessonId: c6Lesson(b),
    courseId: c6,
    timeSpent: b + 1,
    completedAt: new Date(now.getTime() - (BATCHES - b) * 60_000),
  });
  // Rotate and, for odd batches, reverse: no two neighbours list the rows in the same order.
  const rotated = [...updates.slice(b % updates.length), ...updates.slice(0, b % updates.length)];
  return b % 2 === 1 ? rotated.reverse() : rotated;
}

async function addCourseC6(db: Database) {
  await db.insert(schema.courses).values({
    id: c6,
    title: "Concurrency 101",
    description: "Twenty short lessons.",
    slug: "concurrency-101",
    category: "PROGRAMMING",
    difficulty: "ADVANCED",
    price: "0.00",
    estimatedHours: 5,
    institutionId: ids.northwind,
    instructorId: ids.ada,
  });
  await db.insert(schema.modules).values({
    id: m6,
    courseId: c6,
    institutionId: ids.northwind,
    orderIndex: 0,
    title: "All of it",
    description: "All of it",
  });
  await db.insert(schema.lessons).values(
    Array.from({ length: BATCHES }, (_, b) => ({
      id: c6Lesson(b),
      moduleId: m6,
      courseId: c6,
      institutionId: ids.northwind,
      orderIndex: b,
      title: `Lesson ${b}`,
      type: "TEXT" as const,
      content: {},
      duration: 5,
    })),
  );
  await db.insert(schema.enrollments).values({ studentId: ids.noel, courseId: c6, institutionId: ids.northwind });
}

describe("progress.record under concurrency (PostgreSQL)", () => {
  let database: TestDatabase;
  let pool: DatabaseHandle;
  const now = new Date();

  beforeAll(async () => {
    database = await createTestDatabase("postgres");
    await loadFixture(database.db, now);
    await addCourseC6(database.db);
    pool = await createDatabase({
      url: database.url,
      readUrl: undefined,
      pool: { ...databaseConfigFromEnv().pool, max: BATCHES },
    });
  });
  afterAll(async () => {
    await pool?.close();
    await database?.destroy();
  });

  it("ends with exact sums, applies each event once, and never deadlocks", async () => {
    const inputs = [
      ...Array.from({ length: BATCHES }, (_, b) => batch(b, now)),
      ...Array.from({ length: RETRIED }, (_, b) => batch(b, now)),
    ].map((updates) => recordProgressInput.parse({ updates }));

    const results = await Promise.all(inputs.map((input) => recordProgress(pool.db, input)));

    // Every event applied exactly once, whichever copy of a retried batch got there first.
    const applied = results.reduce((sum, result) => sum + result.applied, 0);
    const duplicates = results.reduce((sum, result) => sum + result.duplicates, 0);
    const perBatch = targets.length + 1;
    expect(applied).toBe(BATCHES * perBatch);
    expect(duplicates).toBe(RETRIED * perBatch);

    const rows = await queryRows<{
      student: string;
      lesson: string;
      timeSpent: number;
      attempts: number;
      doneMs: number | null;
    }>(
      database.db,
      sql`select student_id as student, lesson_id as lesson, time_spent as "timeSpent", attempts,
                 (extract(epoch from completed_at) * 1000)::float8 as "doneMs"
          from lesson_progress order by student_id, lesson_id`,
    );
    const row = (student: string, lesson: string) => rows.find((r) => r.student === student && r.lesson === lesson);
    // Fixture time (s) and attempts before the batches; rows the fixture lacks start at 0.
    const expected: [string, string, number, number][] = [
      [ids.sam, ids.l1, 600, 1],
      [ids.sam, ids.l2, 900, 1],
      [ids.sam, ids.l3, 120, 1],
      [ids.sam, ids.l4, 0, 0],
      [ids.sam, ids.l5, 300, 1],
      [ids.sam, ids.l6, 200, 1],
      [ids.alex, ids.l1, 500, 1],
      [ids.alex, ids.l2, 500, 1],
      [ids.alex, ids.l3, 500, 1],
      [ids.alex, ids.l4, 500, 1],
      [ids.bea, ids.l7, 400, 1],
      [ids.bea, ids.l8, 0, 0],
    ];
    for (const [student, lesson, time, attempts] of expected) {
      expect(row(student, lesson), `${student} ${lesson}`).toMatchObject({
        timeSpent: time + GAIN,
        attempts: attempts + BATCHES,
      });
    }
    // Earliest completion wins: batch 19 said 20 minutes ago.
    expect(row(ids.sam, ids.l4)?.doneMs).toBe(now.getTime() - 20 * 60_000);
    expect(row(ids.bea, ids.l8)?.doneMs).toBe(now.getTime() - 20 * 60_000);
    expect(row(ids.sam, ids.l3)?.doneMs).toBe(now.getTime() - 30 * 60_000);

    const enrollments = await queryRows<{ student: string; course: string; progress: number; status: string }>(
      database.db,
      sql`select student_id as student, course_id as course, progress, status::text as status
          from enrollments where status in ('ACTIVE', 'COMPLETED') and student_id <> ${ids.noel}
          order by student_id, course_id`,
    );
    // Sam C1: L1, L2 (fixture), L3, L4 -> 4/4. Sam C2: L6 only -> 1/2. Alex C1 stays COMPLETED.
    // Bea C5: L7 (fixture), L8 -> 2/2.
    expect(enrollments).toEqual([
      { student: ids.sam, course: ids.c1, progress: 100, status: "COMPLETED" },
      { student: ids.sam, course: ids.c2, progress: 50, status: "ACTIVE" },
      { student: ids.alex, course: ids.c1, progress: 100, status: "COMPLETED" },
      { student: ids.bea, course: ids.c5, progress: 100, status: "COMPLETED" },
    ]);
    const keys = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from progress_event_keys`);
    expect(keys[0]?.n).toBe(BATCHES * perBatch);
    // The history holds each event once too, although retried copies ran concurrently with the
    // originals (the fixture itself has no history), and sums to the same gain per lesson.
    const history = await queryRows<{ n: number; events: number; time: number }>(
      database.db,
      sql`select count(*)::int as n, count(distinct (institution_id, event_id))::int as events,
                 coalesce(sum(time_spent), 0)::int as time
            from progress_history`,
    );
    expect(history[0]).toEqual({
      n: BATCHES * perBatch,
      events: BATCHES * perBatch,
      time: expected.length * GAIN + Array.from({ length: BATCHES }, (_, b) => b + 1).reduce((a, b) => a + b, 0),
    });

    // Noel: lesson b of C6 holds b + 1 s from one attempt; all 20 done, the last 1 minute ago.
    const c6Rows = await queryRows<{ lesson: string; timeSpent: number; attempts: number }>(
      database.db,
      sql`select lesson_id as lesson, time_spent as "timeSpent", attempts
          from lesson_progress where student_id = ${ids.noel} order by lesson_id`,
    );
    expect(c6Rows).toEqual(
      Array.from({ length: BATCHES }, (_, b) => ({ lesson: c6Lesson(b), timeSpent: b + 1, attempts: 1 })),
    );
    const noel = await queryRows<{ progress: number; status: string; doneMs: number }>(
      database.db,
      sql`select progress, status::text as status, (extract(epoch from completed_at) * 1000)::float8 as "doneMs"
          from enrollments where student_id = ${ids.noel} and course_id = ${c6}`,
    );
    expect(noel).toEqual([{ progress: 100, status: "COMPLETED", doneMs: now.getTime() - 60_000 }]);
  });
});
