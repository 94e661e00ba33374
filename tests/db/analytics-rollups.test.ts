import { randomUUID } from "node:crypto";
import { type Database, withTenant } from "@coursebase/db";
import { queryOne, queryRows } from "@coursebase/db/execute";
import {
  type CourseAnalytics,
  type CourseAnalyticsInput,
  getCourseAnalytics,
  getCourseAnalyticsFromRawRows,
  getCourseSummary,
} from "@coursebase/db/queries/analytics";
import { recordProgress } from "@coursebase/db/queries/progress";
import { refreshCourseAnalyticsRollups } from "@coursebase/db/queries/rollups";
import { refreshCourseSummary, refreshCourseSummaryInput } from "@coursebase/db/queries/summary-refresh";
import { seedDatabase } from "@coursebase/db/seed/index";
import { type SQL, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase, testEngine } from "../support/database.ts";

/**
 * analytics.course from the daily rollups (course_analytics, drizzle/0012) returns exactly what
 * computing from the raw rows returns (getCourseAnalyticsFromRawRows), on generated data, before
 * the job ever ran, after it ran, after writes it has not seen yet, across watermark, time zone
 * and DST boundaries, and with writers and runs at the same time.
 *
 * Data: the generator at a tiny scale (2 institutions, ~13 courses, ~10k progress rows), history
 * ending at ANCHOR. The institutions' zones are then set to Pacific/Chatham (UTC+13:45 in
 * summer, whose DST began on 2026-09-27) and America/Chicago (DST ended 2026-11-01): a day there
 * is never a UTC day, and the 80-day range crosses both changes.
 */
const SCALE = 0.015;
const SEED = 11;
const ANCHOR = new Date("2026-11-10T00:00:00Z");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** The job's clock: 12:00 UTC on the anchor day, i.e. Nov 11 01:45 in Chatham, Nov 10 06:00 in Chicago. */
const atAnchor = (days = 0) => new Date(ANCHOR.getTime() + days * DAY + 12 * HOUR);
const dateOf = (offsetDays: number) => new Date(ANCHOR.getTime() + offsetDays * DAY).toISOString().slice(0, 10);

const ALL_RANGES: [number, number][] = [
  [-80, -1], // closed days, across both DST changes
  [-6, 3], // closed, rolled and unrolled days, today and days to come
  [-35, -20],
  [1, 5], // after the watermark only
];
// PGlite runs the same scenario on the first two ranges (a third of the time; same code paths).
const RANGES = testEngine === "pglite" ? ALL_RANGES.slice(0, 2) : ALL_RANGES;

async function count(db: Database, query: SQL): Promise<number> {
  const row = await queryOne<{ n: number }>(db, sql`select (${query})::int as n`);
  return row?.n ?? Number.NaN;
}

describe("analytics.course from daily rollups equals analytics from raw rows", () => {
  let database: TestDatabase;
  let db: Database;
  let courses: { id: string; institution_id: string }[];
  let chatham: string;
  let chicago: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = database.db;
    await seedDatabase(database, { scale: SCALE, seed: SEED, anchor: ANCHOR });
    const institutions = await queryRows<{ id: string }>(db, sql`select id from institutions order by name`);
    expect(institutions.length).toBe(2);
    [chatham, chicago] = institutions.map((i) => i.id) as [string, string];
    await db.execute(sql`update institutions set time_zone = 'Pacific/Chatham' where id = ${chatham}`);
    await db.execute(sql`update institutions set time_zone = 'America/Chicago' where id = ${chicago}`);
    courses = await queryRows(db, sql`select id, institution_id from courses order by id`);
  }, 120_000);
  afterAll(() => database?.destroy());

  /** Every course over every range, both ways; returns the rollup answers for further checks. */
  async function expectSameAnswers(reader: Database = db): Promise<CourseAnalytics[]> {
    const inputs: CourseAnalyticsInput[] = courses.flatMap((course) =>
      RANGES.map(([from, to]) => ({ courseId: course.id, start: dateOf(from), end: dateOf(to) })),
    );
    const fromRollups: (CourseAnalytics | null)[] = [];
    const fromRaw: (CourseAnalytics | null)[] = [];
    for (const input of inputs) {
      fromRollups.push(await getCourseAnalytics(reader, input));
      fromRaw.push(await getCourseAnalyticsFromRawRows(db, input));
    }
    expect(fromRollups).toEqual(fromRaw);
    return fromRollups.filter((a): a is CourseAnalytics => a !== null);
  }

  const marks = (where: SQL = sql`true`) =>
    count(db, sql`select count(*) from course_analytics_dirty_days where ${where}`);

  it("before the job ever ran: every day is live, and the answers are not trivial", async () => {
    expect(await count(db, sql`select count(*) from course_analytics_state`)).toBe(0);
    const answers = await expectSameAnswers();
    expect(answers).toHaveLength(courses.length * RANGES.length);
    const total = (key: "enrollments" | "completions" | "lessonsCompleted") =>
      answers.reduce((sum, a) => sum + a.totals[key], 0);
    expect(total("lessonsCompleted")).toBeGreaterThan(500);
    expect(total("enrollments")).toBeGreaterThan(10);
    expect(total("completions")).toBeGreaterThan(0);
    expect(answers.some((a) => a.totals.avgScore !== null)).toBe(true);
  });

  it("the first run backfills every course up to its institution's last closed day", async () => {
    const run = await refreshCourseAnalyticsRollups(db, { now: atAnchor(), batchCourses: 5 });
    expect(run.backfilledCourses).toBe(courses.length);
    expect(run.batches).toBeGreaterThan(3); // bounded: 5 courses per transaction
    expect(run.complete).toBe(true);
    expect(run.days).toBeGreaterThan(100);
    expect(run.rows).toBe(await count(db, sql`select count(*) from course_analytics`));
    const state = await queryRows<{ time_zone: string; rolled_through: string; n: number }>(
      db,
      sql`select time_zone, to_char(rolled_through, 'YYYY-MM-DD') as rolled_through, count(*)::int as n
            from course_analytics_state group by 1, 2 order by 1`,
    );
    // 12:00 UTC on Nov 10 is already Nov 11 in Chatham (Nov 10 closed), still Nov 10 in Chicago.
    expect(state.map(({ time_zone, rolled_through }) => [time_zone, rolled_through])).toEqual([
      ["America/Chicago", dateOf(-1)],
      ["Pacific/Chatham", dateOf(0)],
    ]);
    expect(state.reduce((n, s) => n + s.n, 0)).toBe(courses.length);
    // No closed-day mark is left; a rollup row never lies beyond its course's watermark.
    expect(
      await marks(
        sql`day <= (select rolled_through from course_analytics_state s where s.course_id = course_analytics_dirty_days.course_id)`,
      ),
    ).toBe(0);
    expect(
      await count(
        db,
        sql`select count(*) from course_analytics a join course_analytics_state s using (course_id) where a.date > s.rolled_through`,
      ),
    ).toBe(0);
    await expectSameAnswers();
  });

  it("a second run with the same clock finds nothing to do", async () => {
    const run = await refreshCourseAnalyticsRollups(db, { now: atAnchor() });
    expect(run).toMatchObject({ days: 0, rows: 0, backfilledCourses: 0, advancedCourses: 0 });
  });

  it("reads rollup rows for closed days, and live rows for a day marked as changed", async () => {
    const row = await queryOne<{ course_id: string; date: string; enrollment_count: number }>(
      db,
      sql`select course_id, to_char(date, 'YYYY-MM-DD') as date, enrollment_count
            from course_analytics where enrollment_count > 0 order by date desc, course_id limit 1`,
    );
    if (!row) throw new Error("no rollup row with enrollments");
    const input = { courseId: row.course_id, start: row.date, end: row.date };
    const truth = await getCourseAnalyticsFromRawRows(db, input);
    expect(truth?.totals.enrollments).toBe(row.enrollment_count);

    // Tamper with the stored figure: the rollup path must show it (so it really reads rollups)...
    await db.execute(
      sql`update course_analytics set enrollment_count = enrollment_count + 1000
           where course_id = ${row.course_id} and date = ${row.date}::date`,
    );
    expect((await getCourseAnalytics(db, input))?.totals.enrollments).toBe(row.enrollment_count + 1000);
    // ...and ignore it as soon as the day carries a mark.
    await db.execute(
      sql`insert into course_analytics_dirty_days (institution_id, course_id, day)
          select institution_id, id, ${row.date}::date from courses where id = ${row.course_id}`,
    );
    expect(await getCourseAnalytics(db, input)).toEqual(truth);
    // The job recomputes the marked day from the raw rows: the rollup is repaired.
    const run = await refreshCourseAnalyticsRollups(db, { now: atAnchor() });
    expect(run).toMatchObject({ days: 1, rows: 1 });
    const repaired = await queryOne<{ enrollment_count: number }>(
      db,
      sql`select enrollment_count from course_analytics where course_id = ${row.course_id} and date = ${row.date}::date`,
    );
    expect(repaired?.enrollment_count).toBe(row.enrollment_count);
    expect(await getCourseAnalytics(db, input)).toEqual(truth);
  });

  describe("writes after a run", () => {
    let closedPairs: number;

    it("are visible at once (their days are read live), through the API path and as the application role", async () => {
      // progress.record: completions on closed days (3 and 12 days ago) and on a day still open
      // (tomorrow at 07:00 UTC, in the past of the real clock) in both zones.
      const progress = await queryRows<{
        student_id: string;
        lesson_id: string;
        course_id: string;
        institution_id: string;
      }>(
        db,
        sql`select lp.student_id, lp.lesson_id, lp.course_id, lp.institution_id
              from lesson_progress lp
              join enrollments e on e.student_id = lp.student_id and e.course_id = lp.course_id
             where e.status in ('ACTIVE', 'COMPLETED')
             order by lp.completed_at is null, lp.id limit 4`,
      );
      // Two lessons not completed yet (a completed one keeps its first completion time).
      progress.push(
        ...(await queryRows<(typeof progress)[number]>(
          db,
          sql`select distinct on (lp.institution_id) lp.student_id, lp.lesson_id, lp.course_id, lp.institution_id
                from lesson_progress lp
                join enrollments e on e.student_id = lp.student_id and e.course_id = lp.course_id
               where e.status = 'ACTIVE' and lp.completed_at is null
               order by lp.institution_id, lp.id`,
        )),
      );
      expect(progress).toHaveLength(6);
      const updates = progress.map((p, i) => ({
        eventId: randomUUID(),
        studentId: p.student_id,
        lessonId: p.lesson_id,
        courseId: p.course_id,
        timeSpent: 100 + i,
        score: i % 2 === 0 ? 55.5 : undefined,
        completedAt: new Date(atAnchor(i < 2 ? -3 : i < 4 ? -12 : 1).getTime() - 5 * HOUR),
      }));
      for (const [institution, batch] of [
        [chatham, updates.filter((_, i) => progress[i]?.institution_id === chatham)],
        [chicago, updates.filter((_, i) => progress[i]?.institution_id === chicago)],
      ] as const) {
        if (batch.length === 0) continue;
        // Chicago's through a tenant transaction: the marks are written as coursebase_app.
        if (institution === chicago) {
          await withTenant(db, institution, (tx) =>
            recordProgress(tx, { updates: batch }, { institutionId: institution }),
          );
        } else {
          await recordProgress(db, { updates: batch }, { institutionId: institution });
        }
      }

      // Plain SQL: a completion removed, an enrollment completed on another day, a backdated
      // enrollment, a review adding time to a lesson completed long ago.
      await db.execute(
        sql`delete from lesson_progress where id = (
              select id from lesson_progress where completed_at < ${ANCHOR.toISOString()}::timestamptz - interval '10 days'
               order by id limit 1)`,
      );
      await db.execute(
        sql`update enrollments set completed_at = completed_at - interval '9 days 7 hours'
             where id = (select id from enrollments where completed_at is not null order by id limit 1)`,
      );
      await db.execute(
        sql`insert into enrollments (student_id, course_id, institution_id, status, progress, enrolled_at)
            select u.id, c.id, c.institution_id, 'ACTIVE', 0, ${ANCHOR.toISOString()}::timestamptz - interval '30 days 2 hours'
              from courses c
              join users u on u.institution_id = c.institution_id and u.role = 'STUDENT'
             where not exists (select from enrollments e where e.student_id = u.id and e.course_id = c.id)
             order by c.id, u.id limit 1`,
      );
      await db.execute(
        sql`update lesson_progress set time_spent = time_spent + 3600, updated_at = now()
             where id = (select id from lesson_progress where completed_at is not null order by id desc limit 1)`,
      );

      closedPairs = await count(
        db,
        sql`select count(*) from (
              select distinct m.course_id, m.day from course_analytics_dirty_days m
                join course_analytics_state s using (course_id)
               where m.day <= s.rolled_through) d`,
      );
      expect(closedPairs).toBeGreaterThanOrEqual(5);
      await expectSameAnswers();
      // The application role reads the same answers in a tenant transaction.
      const chicagoCourse = courses.find((c) => c.institution_id === chicago);
      if (!chicagoCourse) throw new Error("no Chicago course");
      const input = { courseId: chicagoCourse.id, start: dateOf(-40), end: dateOf(2) };
      expect(await withTenant(db, chicago, (tx) => getCourseAnalytics(tx, input, { institutionId: chicago }))).toEqual(
        await getCourseAnalyticsFromRawRows(db, input),
      );
    });

    it("the next run recomputes exactly the changed closed days, and keeps the marks of open days", async () => {
      const openMarksBefore = await count(
        db,
        sql`select count(distinct (m.course_id, m.day)) from course_analytics_dirty_days m
              join course_analytics_state s using (course_id) where m.day > s.rolled_through`,
      );
      const run = await refreshCourseAnalyticsRollups(db, { now: atAnchor() });
      expect(run.days).toBe(closedPairs);
      expect(run.rows).toBeGreaterThan(0);
      expect(run.backfilledCourses).toBe(0);
      expect(
        await count(
          db,
          sql`select count(*) from course_analytics_dirty_days m
                join course_analytics_state s using (course_id) where m.day <= s.rolled_through`,
        ),
      ).toBe(0);
      // Open days keep one mark each (duplicates compacted).
      expect(await marks()).toBe(openMarksBefore);
      await expectSameAnswers();
    });

    it("days later, the watermark moves forward over the days that closed in between", async () => {
      // Marked days between the old watermarks and the new last closed days (Nov 12 in Chicago,
      // Nov 13 in Chatham): the open-day completions above, at least.
      const closing = await count(
        db,
        sql`select count(*) from (
              select distinct m.course_id, m.day from course_analytics_dirty_days m
                join course_analytics_state s using (course_id)
               where m.day > s.rolled_through and m.day <= ${dateOf(2)}::date + (s.time_zone = 'Pacific/Chatham')::int) d`,
      );
      expect(closing).toBeGreaterThan(0);
      const run = await refreshCourseAnalyticsRollups(db, { now: atAnchor(3) });
      expect(run.advancedCourses).toBe(courses.length);
      expect(run.days).toBe(closing);
      const rolled = await queryRows<{ rolled_through: string }>(
        db,
        sql`select distinct to_char(rolled_through, 'YYYY-MM-DD') as rolled_through from course_analytics_state order by 1`,
      );
      expect(rolled.map((r) => r.rolled_through)).toEqual([dateOf(2), dateOf(3)]);
      await expectSameAnswers();
    });
  });

  it("after an institution changes its time zone, its rollups are ignored until rebuilt in the new zone", async () => {
    await db.execute(sql`update institutions set time_zone = 'Asia/Kolkata' where id = ${chicago}`);
    await expectSameAnswers();
    const run = await refreshCourseAnalyticsRollups(db, { now: atAnchor(3) });
    expect(run.backfilledCourses).toBe(courses.filter((c) => c.institution_id === chicago).length);
    expect(await count(db, sql`select count(*) from course_analytics_state where time_zone = 'Asia/Kolkata'`)).toBe(
      run.backfilledCourses,
    );
    await expectSameAnswers();
  });

  describe.skipIf(testEngine === "pglite")("concurrency (PostgreSQL; PGlite has a single connection)", () => {
    it("a change committed while a run consumes an earlier mark of the same day is not lost", async () => {
      const target = await queryOne<{ id: string; course_id: string }>(
        db,
        sql`select lp.id, lp.course_id from lesson_progress lp
              join course_analytics_state s using (course_id)
             where lp.completed_at at time zone 'UTC' < s.rolled_through - 2
             order by lp.id limit 1`,
      );
      if (!target) throw new Error("no completed lesson on a closed day");
      const bump = sql`update lesson_progress set time_spent = time_spent + 77 where id = ${target.id}`;
      await db.execute(bump); // committed: the day is marked

      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let changed!: () => void;
      const inFlight = new Promise<void>((resolve) => (changed = resolve));
      const writer = db.transaction(async (tx) => {
        await tx.execute(bump); // uncommitted: its own mark is not visible yet
        changed();
        await gate;
      });
      await inFlight;
      // The run consumes the committed mark and computes the day without the writer's change
      // (not committed), and does not wait for the writer.
      const run = await refreshCourseAnalyticsRollups(db, { now: atAnchor(3) });
      expect(run.days).toBeGreaterThanOrEqual(1);
      await expectSameAnswers();
      release();
      await writer;
      // The writer's mark is visible with its change: the day is read live again.
      expect(await marks(sql`course_id = ${target.course_id}`)).toBeGreaterThanOrEqual(1);
      await expectSameAnswers();
      await refreshCourseAnalyticsRollups(db, { now: atAnchor(3) });
      await expectSameAnswers();
    });

    it("two runs at once share the work without computing a day twice", async () => {
      await db.execute(
        sql`update lesson_progress set time_spent = time_spent + 1
             where id in (select id from lesson_progress where completed_at is not null order by id limit 200)`,
      );
      const pending = await count(
        db,
        sql`select count(*) from (
              select distinct m.course_id, m.day from course_analytics_dirty_days m
                join course_analytics_state s using (course_id) where m.day <= s.rolled_through) d`,
      );
      expect(pending).toBeGreaterThan(10);
      const [a, b] = await Promise.all([
        refreshCourseAnalyticsRollups(db, { now: atAnchor(3), batchDays: 3 }),
        refreshCourseAnalyticsRollups(db, { now: atAnchor(3), batchDays: 3 }),
      ]);
      expect(a.days + b.days).toBe(pending);
      expect(a.complete && b.complete).toBe(true);
      await expectSameAnswers();
    });
  });

  describe("course_performance_summary (materialized, issue 4 item 2) on the generated data", () => {
    it("counts each side once: enrollments, completions, progress and hours equal per-table aggregates", async () => {
      await refreshCourseSummary(db);
      const wrong = await queryRows<{ course_id: string }>(
        db,
        sql`select s.course_id from course_performance_summary s
             where s.total_enrollments <> (select count(*) from enrollments e where e.course_id = s.course_id)
                or s.completions <> (select count(e.completed_at) from enrollments e where e.course_id = s.course_id)
                or s.avg_progress is distinct from
                   (select round(avg(e.progress), 2) from enrollments e where e.course_id = s.course_id)
                or s.avg_score is distinct from
                   (select round(avg(lp.score), 2) from lesson_progress lp where lp.course_id = s.course_id)
                or s.total_hours_spent <>
                   (select coalesce(round(sum(lp.time_spent) / 3600.0, 2), 0) from lesson_progress lp where lp.course_id = s.course_id)`,
      );
      expect(wrong).toEqual([]);
      expect(await count(db, sql`select count(*) from course_performance_summary`)).toBe(
        await count(db, sql`select count(*) from courses where status = 'PUBLISHED'`),
      );
      // The guide's single LEFT JOIN would have multiplied them: enrollments x progress rows.
      const multiplied = await count(
        db,
        sql`select count(*) from (
              select c.id, count(e.id) as n from courses c
                left join enrollments e on c.id = e.course_id
                left join lesson_progress lp on c.id = lp.course_id
               where c.status = 'PUBLISHED' group by c.id) g
              join course_performance_summary s on s.course_id = g.id
             where g.n <> s.total_enrollments`,
      );
      expect(multiplied).toBeGreaterThan(0);
      // REFRESH ... CONCURRENTLY needs a unique index on plain columns that covers every row.
      const unique = await queryRows<{ def: string }>(
        db,
        sql`select pg_get_indexdef(indexrelid) as def from pg_index
             where indrelid = 'course_performance_summary'::regclass and indisunique and indpred is null`,
      );
      expect(unique.map((u) => u.def)).toEqual([
        "CREATE UNIQUE INDEX course_performance_summary_course_id_key ON public.course_performance_summary USING btree (course_id)",
      ]);
    });

    it("analytics.summary finds one course's row by courseId; the refresh refuses unknown options", async () => {
      const [first, second] = await queryRows<{ course_id: string; title: string }>(
        db,
        sql`select course_id, title from course_performance_summary order by course_id limit 2`,
      );
      if (!first || !second) throw new Error("fewer than two published courses");
      const one = await getCourseSummary(db, { courseId: second.course_id });
      expect(one.courses.map((c) => [c.courseId, c.title])).toEqual([[second.course_id, second.title]]);
      expect(one.pagination.total).toBe(1);
      // Another institution's course is not found through a scope.
      const other = await queryOne<{ id: string }>(
        db,
        sql`select id from institutions where id <> (select institution_id from courses where id = ${second.course_id})`,
      );
      expect(
        (await getCourseSummary(db, { courseId: second.course_id }, { institutionId: other?.id })).courses,
      ).toEqual([]);
      expect(refreshCourseSummaryInput.safeParse({ concurrently: true, force: true }).success).toBe(false);
    });

    // PGlite has one connection: a second session cannot read while the first refreshes.
    it.skipIf(testEngine === "pglite")(
      "a reader is not blocked by a concurrent refresh in progress (it reads the previous contents), but is by a plain one",
      async () => {
        await refreshCourseSummary(db);
        const course = await queryOne<{ course_id: string; total_enrollments: number }>(
          db,
          sql`select course_id, total_enrollments::int from course_performance_summary order by course_id limit 1`,
        );
        if (!course) throw new Error("no published course");
        await db.execute(
          sql`insert into enrollments (student_id, course_id, institution_id, status, progress)
              select u.id, c.id, c.institution_id, 'ACTIVE', 0 from courses c
                join users u on u.institution_id = c.institution_id and u.role = 'STUDENT'
               where c.id = ${course.course_id}
                 and not exists (select from enrollments e where e.student_id = u.id and e.course_id = c.id)
               order by u.id limit 1`,
        );
        /** Reads the summary in its own transaction, giving up if it waits for a lock longer than `wait`. */
        const read = (wait: string) =>
          db.transaction(async (tx) => {
            await tx.execute(sql.raw(`set local lock_timeout = '${wait}'`));
            return queryOne<{ n: number }>(
              tx as unknown as Database,
              sql`select total_enrollments::int as n from course_performance_summary where course_id = ${course.course_id}`,
            );
          });
        /** Runs a refresh and keeps its transaction (and locks) open until `release` is called. */
        const holdRefresh = async (concurrently: boolean) => {
          let release!: () => void;
          const gate = new Promise<void>((resolve) => (release = resolve));
          let refreshed!: () => void;
          const done = new Promise<void>((resolve) => (refreshed = resolve));
          const transaction = db.transaction(async (tx) => {
            await refreshCourseSummary(tx as unknown as Database, { concurrently });
            refreshed();
            await gate;
          });
          await done;
          return { release, transaction };
        };

        const concurrent = await holdRefresh(true);
        // Generous timeout: a reader that had to wait for the refresh would wait forever.
        expect(await read("10s")).toEqual({ n: course.total_enrollments });
        concurrent.release();
        await concurrent.transaction;
        expect(await read("10s")).toEqual({ n: course.total_enrollments + 1 });

        const plain = await holdRefresh(false);
        const blocked = await read("200ms").then(
          () => "read",
          (error: unknown) => ((error as { cause?: { code?: string } }).cause?.code ?? String(error)) as string,
        );
        plain.release();
        await plain.transaction;
        expect(blocked).toBe("55P03"); // lock_not_available: ACCESS EXCLUSIVE until it commits
      },
    );
  });
});
