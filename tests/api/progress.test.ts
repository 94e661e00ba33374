import { type Database, queryOne, schema } from "@coursebase/db";
import {
  ProgressBatchRejected,
  type RecordProgressRequest,
  recordProgress,
  recordProgressInput,
} from "@coursebase/db/queries/progress";
import { formatError } from "@coursebase/server/trpc/middlewares/errors";
import { TRPCError } from "@trpc/server";
import { sql } from "drizzle-orm";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { type FixtureTimes, ids, loadFixture } from "../support/fixture.ts";
import { as } from "../support/principals.ts";
import { callerAs, createTestServices } from "../support/services.ts";

/**
 * Expected values are worked out by hand from tests/support/fixture.ts (read its header) plus the
 * rows `addExtraRows` inserts. The ones used most:
 *   Sam  C1 ACTIVE 50%:  L1 600 s 80 completed 1 day ago, L2 900 s 90 completed 2 days ago,
 *                        L3 120 s not completed; no L4 row. C1 has 4 lessons (L1-L4).
 *   Sam  C2 ACTIVE 50%:  L5 300 s not completed, L6 200 s completed 9 days ago.
 *   Sam  C4 DROPPED (C4 has no lessons).     Alex C1 COMPLETED 100%, Alex C2 SUSPENDED.
 *   Bea  C5 ACTIVE 50% (Southbank): L7 400 s completed 1 day ago; C5 has L7-L8.
 *   Noel: no enrollments in the fixture; this file adds Noel in C2 DROPPED and in C4 ACTIVE.
 */
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

async function addExtraRows(db: Database) {
  await db.insert(schema.enrollments).values([
    { studentId: ids.noel, courseId: ids.c2, institutionId: ids.northwind, status: "DROPPED", progress: 0 },
    { studentId: ids.noel, courseId: ids.c4, institutionId: ids.northwind, status: "ACTIVE", progress: 0 },
  ]);
}

type Update = RecordProgressRequest["updates"][number];
const update = (
  eventId: string,
  studentId: string,
  lessonId: string,
  courseId: string,
  timeSpent: number,
  extra: Partial<Update> = {},
): Update => ({ eventId, studentId, lessonId, courseId, timeSpent, ...extra });

interface ProgressRow {
  timeSpent: number;
  attempts: number;
  score: string | null;
  completedAtMs: number | null;
}
interface EnrollmentRow {
  progress: number;
  status: string;
  completedAtMs: number | null;
  lastAccessAtMs: number | null;
}

describe("progress.record", () => {
  let database: TestDatabase;
  let db: Database;
  let times: FixtureTimes;
  let now: Date;

  const northwind = () => callerAs(createTestServices(database), as.northwindToken);
  const southbank = () => callerAs(createTestServices(database), as.southbankToken);
  const record = (updates: Update[]) => northwind().progress.record({ updates });

  const lessonProgress = (studentId: string, lessonId: string) =>
    queryOne<ProgressRow>(
      db,
      sql`select time_spent as "timeSpent", attempts, score::text as score,
                 (extract(epoch from completed_at) * 1000)::float8 as "completedAtMs"
          from lesson_progress where student_id = ${studentId} and lesson_id = ${lessonId}`,
    );
  const enrollment = (studentId: string, courseId: string) =>
    queryOne<EnrollmentRow>(
      db,
      sql`select progress, status::text as status,
                 (extract(epoch from completed_at) * 1000)::float8 as "completedAtMs",
                 (extract(epoch from last_access_at) * 1000)::float8 as "lastAccessAtMs"
          from enrollments where student_id = ${studentId} and course_id = ${courseId}`,
    );
  /** A digest of every table progress.record writes: equal digests mean nothing was written. */
  const checksum = async () => {
    const row = await queryOne<{ digest: string }>(
      db,
      sql`select md5(concat_ws('#',
            (select string_agg(t::text, '|' order by t::text) from lesson_progress t),
            (select string_agg(t::text, '|' order by t::text) from enrollments t),
            (select string_agg(t::text, '|' order by t::text) from progress_event_keys t))) as digest`,
    );
    return row?.digest;
  };
  /** The BAD_REQUEST a call failed with. */
  const rejection = async (call: Promise<unknown>) => {
    const error = await call.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe("BAD_REQUEST");
    return error as TRPCError;
  };
  const zodPaths = (error: TRPCError) => {
    expect(error.cause).toBeInstanceOf(ZodError);
    return (error.cause as ZodError).issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    db = database.db;
    now = new Date();
    times = await loadFixture(db, now);
    await addExtraRows(db);
    // Every test starts from this state: the tables progress.record writes are restored from
    // copies (much cheaper than TRUNCATE ... CASCADE and reloading the fixture).
    await db.execute(sql`create table saved_enrollments as table enrollments`);
    await db.execute(sql`create table saved_lesson_progress as table lesson_progress`);
  });
  afterAll(() => database.destroy());
  beforeEach(async () => {
    await db.execute(sql`delete from progress_event_keys`);
    await db.execute(sql`delete from lesson_progress`);
    await db.execute(sql`delete from enrollments`);
    await db.execute(sql`insert into enrollments select * from saved_enrollments`);
    await db.execute(sql`insert into lesson_progress select * from saved_lesson_progress`);
  });

  it("applies a valid batch: Sam completes L3 and L4, so C1 reaches 100% and COMPLETED", async () => {
    const l3Done = new Date(now.getTime() - 2 * HOUR);
    const l4Done = new Date(now.getTime() - HOUR);
    const result = await record([
      update("sam-l3", ids.sam, ids.l3, ids.c1, 300, { score: 72.5, completedAt: l3Done }),
      update("sam-l4", ids.sam, ids.l4, ids.c1, 240, { score: 88, completedAt: l4Done }),
    ]);

    // L3: 120 + 300 s, a second attempt. L4: a new row.
    expect(await lessonProgress(ids.sam, ids.l3)).toEqual({
      timeSpent: 420,
      attempts: 2,
      score: "72.50",
      completedAtMs: l3Done.getTime(),
    });
    expect(await lessonProgress(ids.sam, ids.l4)).toEqual({
      timeSpent: 240,
      attempts: 1,
      score: "88.00",
      completedAtMs: l4Done.getTime(),
    });
    // 4 of 4 lessons: completed when the last lesson was (L4); last access = the latest event.
    const expected = {
      progress: 100,
      status: "COMPLETED",
      completedAtMs: l4Done.getTime(),
      lastAccessAtMs: l4Done.getTime(),
    };
    expect(await enrollment(ids.sam, ids.c1)).toEqual(expected);
    expect(result).toEqual({
      applied: 2,
      duplicates: 0,
      enrollments: [
        {
          studentId: ids.sam,
          courseId: ids.c1,
          progress: 100,
          status: "COMPLETED",
          completedAt: l4Done,
          lastAccessAt: l4Done,
        },
      ],
    });
  });

  it("accumulates time, counts every event of a lesson in one batch, keeps the last score", async () => {
    const before = Date.now();
    const result = await record([
      update("l5-a", ids.sam, ids.l5, ids.c2, 60, { score: 50 }),
      update("l5-b", ids.sam, ids.l5, ids.c2, 40),
      update("l5-c", ids.sam, ids.l5, ids.c2, 30, { score: 65 }),
      update("l5-d", ids.sam, ids.l5, ids.c2, 0),
    ]);
    const after = Date.now();

    // 300 + 60 + 40 + 30 + 0 = 430 s; 1 + 4 attempts; the last score given (65); not completed.
    expect(await lessonProgress(ids.sam, ids.l5)).toEqual({
      timeSpent: 430,
      attempts: 5,
      score: "65.00",
      completedAtMs: null,
    });
    // Still 1 of 2 lessons (L6). No completion time: the access is now (the database's clock).
    const c2 = await enrollment(ids.sam, ids.c2);
    expect(c2).toMatchObject({ progress: 50, status: "ACTIVE", completedAtMs: null });
    expect(c2?.lastAccessAtMs).toBeGreaterThanOrEqual(before - 1000);
    expect(c2?.lastAccessAtMs).toBeLessThanOrEqual(after + 1000);
    expect(result.applied).toBe(4);
    expect(result.enrollments).toMatchObject([
      { studentId: ids.sam, courseId: ids.c2, progress: 50, status: "ACTIVE" },
    ]);

    // A later batch completes L5: 430 + 10 s, 2 of 2 lessons.
    const l5Done = new Date(now.getTime() - 10 * MINUTE);
    await record([update("l5-e", ids.sam, ids.l5, ids.c2, 10, { completedAt: l5Done.toISOString() })]);
    expect(await lessonProgress(ids.sam, ids.l5)).toEqual({
      timeSpent: 440,
      attempts: 6,
      score: "65.00",
      completedAtMs: l5Done.getTime(),
    });
    expect(await enrollment(ids.sam, ids.c2)).toMatchObject({
      progress: 100,
      status: "COMPLETED",
      completedAtMs: l5Done.getTime(),
    });
  });

  it("rounds partial progress: 3 of 4 lessons is 75%", async () => {
    await record([update("x", ids.sam, ids.l3, ids.c1, 5, { completedAt: new Date(now.getTime() - MINUTE) })]);
    expect(await enrollment(ids.sam, ids.c1)).toMatchObject({ progress: 75, status: "ACTIVE", completedAtMs: null });
  });

  it("changes nothing when a batch is retried, and reports the duplicates", async () => {
    const batch = [
      update("retry-1", ids.sam, ids.l3, ids.c1, 300, { score: 70, completedAt: new Date(now.getTime() - HOUR) }),
      update("retry-2", ids.sam, ids.l5, ids.c2, 100),
    ];
    const first = await record(batch);
    expect(first.applied).toBe(2);
    const afterFirst = await checksum();

    const second = await record(batch);
    expect(second).toEqual({ applied: 0, duplicates: 2, enrollments: first.enrollments });
    expect(await checksum()).toBe(afterFirst);
    expect(await lessonProgress(ids.sam, ids.l3)).toMatchObject({ timeSpent: 420, attempts: 2 });

    // A sender's padding does not make a new event; one new event among retried ones applies alone.
    const third = await record([
      update("  retry-1 ", ids.sam, ids.l3, ids.c1, 300),
      update("retry-3", ids.sam, ids.l3, ids.c1, 30),
    ]);
    expect(third).toMatchObject({ applied: 1, duplicates: 1 });
    expect(await lessonProgress(ids.sam, ids.l3)).toMatchObject({ timeSpent: 450, attempts: 3 });
  });

  it("keeps event ids per institution: Southbank may reuse an id Northwind has used", async () => {
    await record([update("shared-id", ids.sam, ids.l3, ids.c1, 10)]);
    const result = await southbank().progress.record({
      updates: [update("shared-id", ids.bea, ids.l8, ids.c5, 100, { completedAt: new Date(now.getTime() - MINUTE) })],
    });
    // Bea: L7 (fixture) and now L8 completed: 2 of 2.
    expect(result).toMatchObject({ applied: 1, duplicates: 0, enrollments: [{ progress: 100, status: "COMPLETED" }] });
  });

  describe("a batch with a bad update is refused whole and writes nothing", () => {
    const good = () => update("good", ids.sam, ids.l3, ids.c1, 300, { completedAt: new Date(now.getTime() - HOUR) });

    const expectRefused = async (updates: Update[], messages: string[]) => {
      const before = await checksum();
      const error = await rejection(record(updates));
      expect(error.message).toBe(messages.join("; "));
      expect(zodPaths(error)).toEqual(messages);
      // What an HTTP client receives: the same message, and data.issues naming each update.
      const wire = formatError({
        shape: { message: "", code: -32600, data: { code: "BAD_REQUEST", httpStatus: 400 } },
        error,
      });
      expect(wire.message).toBe(messages.join("; "));
      expect(wire.data.issues?.map((issue) => `${issue.path}: ${issue.message}`)).toEqual(messages);
      expect(await checksum()).toBe(before);
    };

    it("a student not enrolled in the course", async () => {
      await expectRefused(
        [good(), update("noel", ids.noel, ids.l1, ids.c1, 60)],
        ["updates.1: student is not enrolled in the course"],
      );
    });

    it("DROPPED and SUSPENDED enrollments", async () => {
      await expectRefused(
        [update("noel", ids.noel, ids.l5, ids.c2, 60), good(), update("alex", ids.alex, ids.l6, ids.c2, 60)],
        ["updates.0: enrollment is DROPPED", "updates.2: enrollment is SUSPENDED"],
      );
    });

    it("a lesson of another course", async () => {
      await expectRefused(
        [good(), good(), update("wrong-course", ids.sam, ids.l5, ids.c1, 60)].map((u, i) => ({
          ...u,
          eventId: `e${i}`,
        })),
        ["updates.2: lesson is not in the course"],
      );
    });

    it("unknown ids", async () => {
      await expectRefused(
        [
          update("u0", ids.unknown, ids.l1, ids.c1, 60),
          update("u1", ids.sam, ids.unknown, ids.c1, 60),
          update("u2", ids.sam, ids.l1, ids.unknown, 60),
          good(),
        ],
        ["updates.0: student does not exist", "updates.1: lesson does not exist", "updates.2: course does not exist"],
      );
    });

    it("an event id repeated within the batch", async () => {
      await expectRefused(
        [good(), update("x", ids.sam, ids.l5, ids.c2, 1), update("good", ids.sam, ids.l1, ids.c1, 5)],
        ["updates.2: eventId repeats updates.0"],
      );
    });

    it("every bad update at once, in index order, with every reason of each", async () => {
      await expectRefused(
        [
          update("a", ids.sam, ids.l1, ids.c4, 60), // C4 has no lessons, and Sam dropped it
          good(),
          update("b", ids.noel, ids.l9, ids.c3, 60),
          update("c", ids.alex, ids.l5, ids.c2, 60),
        ],
        [
          "updates.0: lesson is not in the course",
          "updates.0: enrollment is DROPPED",
          "updates.2: student is not enrolled in the course",
          "updates.3: enrollment is SUSPENDED",
        ],
      );
    });

    it("malformed input is refused by the schema, naming the field", async () => {
      const before = await checksum();
      const error = await rejection(
        record([
          good(),
          update("neg", ids.sam, ids.l1, ids.c1, -5),
          update("  ", ids.sam, ids.l1, ids.c1, 5),
          update("score", ids.sam, ids.l1, ids.c1, 5, { score: 12.345 }),
          update("future", ids.sam, ids.l1, ids.c1, 5, { completedAt: new Date(Date.now() + DAY) }),
          update("frac", ids.sam, ids.l1, ids.c1, 1.5),
          update("id", "not-a-uuid", ids.l1, ids.c1, 5),
        ]),
      );
      expect(zodPaths(error)).toEqual([
        "updates.1.timeSpent: must not be negative",
        "updates.2.eventId: must not be empty",
        "updates.3.score: must have at most 2 decimals",
        "updates.4.completedAt: must not be in the future (more than 5 minutes of clock skew)",
        "updates.5.timeSpent: must be whole seconds",
        "updates.6.studentId: must be a uuid",
      ]);
      expect(await checksum()).toBe(before);

      expect(zodPaths(await rejection(record([])))).toEqual(["updates: must contain at least one update"]);
      const tooMany = Array.from({ length: 1001 }, (_, i) => update(`e${i}`, ids.sam, ids.l1, ids.c1, 1));
      expect(zodPaths(await rejection(record(tooMany)))).toEqual(["updates: must contain at most 1000 updates"]);
    });
  });

  it("accepts progress on a COMPLETED enrollment without un-completing it", async () => {
    const before = Date.now();
    const result = await record([update("alex-review", ids.alex, ids.l1, ids.c1, 100, { score: 99 })]);
    expect(await lessonProgress(ids.alex, ids.l1)).toEqual({
      timeSpent: 600,
      attempts: 2,
      score: "99.00",
      completedAtMs: times.alexL1Completed.getTime(),
    });
    const c1 = await enrollment(ids.alex, ids.c1);
    expect(c1).toMatchObject({ progress: 100, status: "COMPLETED", completedAtMs: times.alexC1Completed.getTime() });
    expect(c1?.lastAccessAtMs).toBeGreaterThanOrEqual(before - 1000);
    expect(result.enrollments[0]).toMatchObject({ status: "COMPLETED", completedAt: times.alexC1Completed });
  });

  it("never erases a completion, and keeps the earliest one", async () => {
    // No completedAt: L1 stays completed at its fixture time (1 day ago).
    await record([update("l1-a", ids.sam, ids.l1, ids.c1, 30, { score: 60 })]);
    expect(await lessonProgress(ids.sam, ids.l1)).toEqual({
      timeSpent: 630,
      attempts: 2,
      score: "60.00",
      completedAtMs: times.samL1Completed.getTime(),
    });
    // A later completion does not move it; an earlier one (an out-of-order import) does.
    await record([update("l1-b", ids.sam, ids.l1, ids.c1, 0, { completedAt: new Date(now.getTime() - HOUR) })]);
    expect(await lessonProgress(ids.sam, ids.l1)).toMatchObject({ completedAtMs: times.samL1Completed.getTime() });
    const earlier = new Date(now.getTime() - 3 * DAY);
    await record([update("l1-c", ids.sam, ids.l1, ids.c1, 0, { completedAt: earlier })]);
    expect(await lessonProgress(ids.sam, ids.l1)).toMatchObject({ completedAtMs: earlier.getTime(), attempts: 4 });
    // Still L1 and L2 of 4.
    expect(await enrollment(ids.sam, ids.c1)).toMatchObject({ progress: 50, status: "ACTIVE" });
  });

  it("a course with no lessons records nothing: no lesson can be in it", async () => {
    const before = await checksum();
    const error = await rejection(record([update("c4", ids.noel, ids.l1, ids.c4, 60)]));
    expect(error.message).toBe("updates.0: lesson is not in the course");
    expect(await checksum()).toBe(before);
    expect(await enrollment(ids.noel, ids.c4)).toMatchObject({ progress: 0, status: "ACTIVE" });
  });

  it("with a scope, another institution's rows do not exist", async () => {
    const before = await checksum();
    const error = await rejection(
      southbank().progress.record({
        updates: [update("bea", ids.bea, ids.l8, ids.c5, 10), update("sam", ids.sam, ids.l3, ids.c1, 10)],
      }),
    );
    expect(error.message).toBe(
      "updates.1: student does not exist; updates.1: course does not exist; updates.1: lesson does not exist",
    );
    expect(await checksum()).toBe(before);

    // The query function directly (jobs, CLI): the same refusal, as ProgressBatchRejected.
    const input = recordProgressInput.parse({ updates: [update("sam", ids.sam, ids.l3, ids.c1, 10)] });
    await expect(recordProgress(db, input, { institutionId: ids.southbank })).rejects.toBeInstanceOf(
      ProgressBatchRejected,
    );
    // Without a scope (a system import), a batch may span institutions.
    const mixed = recordProgressInput.parse({
      updates: [update("bea", ids.bea, ids.l8, ids.c5, 10), update("sam", ids.sam, ids.l3, ids.c1, 10)],
    });
    const result = await recordProgress(db, mixed);
    expect(result.applied).toBe(2);
    expect(result.enrollments.map((e) => e.courseId).sort()).toEqual([ids.c1, ids.c5].sort());
  });

  it("sends the same number of statements for 1 update and for 600", async () => {
    const statements: string[] = [];
    const logger = { logQuery: (query: string) => statements.push(query) };
    const logged = (database.sql
      ? drizzlePostgres({ client: database.sql, schema, logger })
      : drizzlePglite({ client: database.pglite as never, schema, logger })) as unknown as Database;

    await recordProgress(logged, recordProgressInput.parse({ updates: [update("one", ids.sam, ids.l3, ids.c1, 1)] }));
    const forOne = statements.length;
    statements.length = 0;
    const lessons = [ids.l1, ids.l2, ids.l3, ids.l4];
    const many = Array.from({ length: 600 }, (_, i) =>
      update(`many-${i}`, ids.sam, lessons[i % 4] as string, ids.c1, 1),
    );
    const result = await recordProgress(logged, recordProgressInput.parse({ updates: many }));

    expect(result.applied).toBe(600);
    expect(statements.length).toBe(forOne);
    expect(forOne).toBe(2); // lock-and-validate, apply (plus the transaction's BEGIN and COMMIT)
    // 1 + 150 seconds and attempts on L3 (the fixture's 120 s and first attempt before them).
    expect(await lessonProgress(ids.sam, ids.l3)).toMatchObject({ timeSpent: 271, attempts: 152 });
  });
});
