import { type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../client.ts";
import { queryOne } from "../execute.ts";

/**
 * Daily rollups of course analytics in course_analytics, maintained incrementally
 * (drizzle/0012_course_analytics_rollups.sql; design and why it is never wrong:
 * docs/analytics-rollups.md).
 *
 * Writes to enrollments and lesson_progress append (course, day) marks to
 * course_analytics_dirty_days in the writer's transaction. A run:
 * 1. backfills, from the raw rows, courses with no usable rollups (new, or their institution
 *    changed time zone): all their closed days;
 * 2. recomputes the (course, day) pairs of closed days that carry marks, consuming the marks in
 *    the same statement (one snapshot: a consumed mark's change is in what was computed);
 * 3. compacts duplicate marks, sweeps marks of deleted courses, and moves each course's
 *    watermark (course_analytics_state.rolled_through) to its institution's last closed day.
 * Every batch is its own transaction under one advisory lock: two runs at once interleave their
 * batches and never compute the same pair from two snapshots.
 *
 * Runs as the owner (the job, the data generator, tests), never in a tenant transaction.
 */

/** Serialises the batches of every run (transaction-scoped: nothing to release on a crash). */
const ROLLUP_LOCK = sql`select pg_advisory_xact_lock(hashtext('coursebase.course_analytics.rollups'))`;

export const refreshCourseAnalyticsRollupsInput = z.strictObject({
  /** The clock: a day is closed once it has ended in the institution's zone. Default: now. */
  now: z.date().optional(),
  /** Marked (course, day) pairs recomputed per transaction. */
  batchDays: z.number().int().min(1).max(100_000).default(5_000),
  /** Courses backfilled per transaction (each reads all its raw rows). */
  batchCourses: z.number().int().min(1).max(10_000).default(100),
  /** Upper bound on transactions per run (the rest waits for the next run). */
  maxBatches: z.number().int().min(1).default(1_000),
});

export type RefreshCourseAnalyticsRollupsInput = z.input<typeof refreshCourseAnalyticsRollupsInput>;

export interface CourseAnalyticsRollupRefresh {
  /** (course, day) pairs recomputed from raw rows: marked days plus the days of backfilled courses. */
  days: number;
  /** course_analytics rows written (inserted or changed) or removed (a day that became empty). */
  rows: number;
  /** Courses whose rollups were (re)built from scratch. */
  backfilledCourses: number;
  /** Courses whose watermark moved to a later day. */
  advancedCourses: number;
  /** Duplicate marks and marks of deleted courses removed. */
  compactedMarks: number;
  /** Transactions this run took. */
  batches: number;
  /** False when maxBatches stopped the run with work left. */
  complete: boolean;
  durationMs: number;
}

// Shared SQL --------------------------------------------------------------------------------------

/**
 * The instants that bound a local day for index access: its midnights in the zone, widened by 3
 * hours on each side (more than any DST shift). Callers compute them once per day in a
 * materialized CTE and pass the columns to dayFactsFromRawRows: under row-level security only
 * leakproof conditions may be index conditions, and `at time zone` is not leakproof (it throws on
 * a bad zone name), whereas comparing a timestamptz column with a CTE column is.
 */
export const dayBounds = (day: SQL, timeZone: SQL) => ({
  lo: sql`((${day})::timestamp at time zone ${timeZone}) - interval '3 hours'`,
  hi: sql`(((${day}) + 1)::timestamp at time zone ${timeZone}) + interval '3 hours'`,
});

/**
 * One course's figures for one local day from the raw rows, as a row with the course_analytics
 * sums and counts: enrollments (enrolled_at on the day), completions (enrollment completed_at on
 * the day), lessons_completed, time_spent_sum, score_sum (null when no score) and score_count
 * (lesson_progress completed_at on the day). Meant for a LATERAL join per (course, day).
 *
 * Each count is a range [lo, hi) on the (course_id, timestamp) indexes (dayBounds), then the
 * exact test on the local date: the result is the local-date definition itself, whatever
 * PostgreSQL makes of a midnight that a DST change skips or repeats.
 */
export function dayFactsFromRawRows(courseId: SQL, day: SQL, timeZone: SQL, lo: SQL, hi: SQL): SQL {
  const within = (timestamp: SQL) => sql`
          ${timestamp} >= ${lo} and ${timestamp} < ${hi}
      and (${timestamp} at time zone ${timeZone})::date = ${day}`;
  return sql`
    select (select count(*) from enrollments e
             where e.course_id = ${courseId} and ${within(sql`e.enrolled_at`)}) as enrollments,
           (select count(*) from enrollments e
             where e.course_id = ${courseId} and ${within(sql`e.completed_at`)}) as completions,
           lp.lessons_completed, lp.time_spent_sum, lp.score_sum, lp.score_count
      from (select count(*) as lessons_completed, coalesce(sum(lp.time_spent), 0) as time_spent_sum,
                   sum(lp.score) as score_sum, count(lp.score) as score_count
              from lesson_progress lp
             where lp.course_id = ${courseId} and ${within(sql`lp.completed_at`)}) lp`;
}

/**
 * Upserts the rows of `facts` (course_id, institution_id, day, enrollments, completions,
 * lessons_completed, time_spent_sum, score_sum, score_count) that have any activity into
 * course_analytics, leaving unchanged rows alone. avg_time_spent keeps the guide's unit (whole
 * minutes per completed lesson); analytics.course reads the exact sums, never the averages.
 */
const upsertRollups = (facts: SQL) => sql`
  insert into course_analytics as a
         (course_id, institution_id, date, enrollment_count, completion_count, lessons_completed,
          total_time_spent, score_sum, score_count, avg_time_spent, avg_score)
  select f.course_id, f.institution_id, f.day, f.enrollments, f.completions, f.lessons_completed,
         f.time_spent_sum, coalesce(f.score_sum, 0), f.score_count,
         coalesce(round(f.time_spent_sum / nullif(f.lessons_completed, 0) / 60.0), 0),
         round(f.score_sum / nullif(f.score_count, 0), 2)
    from ${facts} f
   where f.enrollments > 0 or f.completions > 0 or f.lessons_completed > 0
  on conflict (course_id, date) do update
     set enrollment_count = excluded.enrollment_count, completion_count = excluded.completion_count,
         lessons_completed = excluded.lessons_completed, total_time_spent = excluded.total_time_spent,
         score_sum = excluded.score_sum, score_count = excluded.score_count,
         avg_time_spent = excluded.avg_time_spent, avg_score = excluded.avg_score, updated_at = now()
   where (a.enrollment_count, a.completion_count, a.lessons_completed, a.total_time_spent, a.score_sum, a.score_count)
         is distinct from
         (excluded.enrollment_count, excluded.completion_count, excluded.lessons_completed,
          excluded.total_time_spent, excluded.score_sum, excluded.score_count)
  returning 1`;

/** The last closed day of each course's institution at `now`: yesterday in its zone. */
const lastClosedDay = (now: Date, timeZone: SQL) =>
  sql`((${now.toISOString()}::timestamptz at time zone ${timeZone})::date - 1)`;

interface BatchRow {
  units: number;
  days: number;
  rows: number;
}

// Step 1: backfill ------------------------------------------------------------------------------

/**
 * Rebuilds up to `limit` courses that have no usable rollups: every closed day from the raw rows
 * (grouped per course and local day; LATERAL per course, so each course is an index range on the
 * (course_id, timestamp) indexes, never a scan of the whole table joined by hash), their old rows
 * and closed-day marks dropped, their watermark set. Days after the last closed one are not
 * rolled up; they get a mark instead, so that moving the watermark past them later is safe even
 * for rows that were loaded with triggers disabled.
 */
function backfillBatch(tx: Database, now: Date, limit: number) {
  return queryOne<BatchRow>(
    tx,
    sql`
      with chosen as materialized (
        select c.id as course_id, c.institution_id, i.time_zone, ${lastClosedDay(now, sql`i.time_zone`)} as last_closed
          from courses c
          join institutions i on i.id = c.institution_id
          left join course_analytics_state s on s.course_id = c.id
         where s.course_id is null or s.time_zone <> i.time_zone
         order by c.id
         limit ${limit}
      ),
      facts as materialized (
        select x.course_id, c.institution_id, x.day, c.last_closed,
               sum(x.enrollments)::int as enrollments, sum(x.completions)::int as completions,
               sum(x.lessons_completed)::int as lessons_completed, sum(x.time_spent_sum)::bigint as time_spent_sum,
               sum(x.score_sum) as score_sum, sum(x.score_count)::int as score_count
          from chosen c0
         cross join lateral (
            select c0.course_id, (e.enrolled_at at time zone c0.time_zone)::date as day,
                   count(*) as enrollments, 0 as completions, 0 as lessons_completed,
                   0 as time_spent_sum, null::numeric as score_sum, 0 as score_count
              from enrollments e where e.course_id = c0.course_id
             group by 2
            union all
            select c0.course_id, (e.completed_at at time zone c0.time_zone)::date, 0, count(*), 0, 0, null, 0
              from enrollments e where e.course_id = c0.course_id and e.completed_at is not null
             group by 2
            union all
            select c0.course_id, (lp.completed_at at time zone c0.time_zone)::date, 0, 0,
                   count(*), sum(lp.time_spent), sum(lp.score), count(lp.score)
              from lesson_progress lp where lp.course_id = c0.course_id and lp.completed_at is not null
             group by 2
          ) x
          join chosen c on c.course_id = x.course_id
         group by x.course_id, c.institution_id, x.day, c.last_closed
      ),
      closed as materialized (select * from facts where day <= last_closed),
      consumed as (
        delete from course_analytics_dirty_days m using chosen c
         where m.course_id = c.course_id and m.day <= c.last_closed
      ),
      pending as (
        insert into course_analytics_dirty_days (institution_id, course_id, day)
        select institution_id, course_id, day from facts where day > last_closed
      ),
      cleared as (
        delete from course_analytics a using chosen c
         where a.course_id = c.course_id
           and not exists (select from closed f where f.course_id = a.course_id and f.day = a.date)
        returning 1
      ),
      written as (${upsertRollups(sql`closed`)}),
      state as (
        insert into course_analytics_state as s (course_id, institution_id, time_zone, rolled_through, refreshed_at)
        select course_id, institution_id, time_zone, last_closed, now() from chosen
        on conflict (course_id) do update
           set institution_id = excluded.institution_id, time_zone = excluded.time_zone,
               rolled_through = excluded.rolled_through, refreshed_at = excluded.refreshed_at
      )
      select (select count(*) from chosen)::int as units,
             (select count(*) from closed)::int as days,
             ((select count(*) from written) + (select count(*) from cleared))::int as "rows"`,
  );
}

// Step 2: marked days ---------------------------------------------------------------------------

/**
 * Recomputes up to `limit` marked (course, day) pairs of closed days, for courses whose rollups
 * are in their institution's current zone (the others wait for their backfill). The marks are
 * deleted by the very statement that computes the figures: a mark is visible to it only if its
 * writer committed before the statement's snapshot, so the writer's change is in the figures; a
 * mark committed later survives for the next run.
 */
function markedDaysBatch(tx: Database, now: Date, limit: number) {
  const bounds = dayBounds(sql`p.day`, sql`p.time_zone`);
  return queryOne<BatchRow>(
    tx,
    sql`
      with pairs as materialized (
        select distinct m.course_id, s.institution_id, m.day, s.time_zone
          from course_analytics_dirty_days m
          join course_analytics_state s on s.course_id = m.course_id
          join institutions i on i.id = s.institution_id and i.time_zone = s.time_zone
         where m.day <= ${lastClosedDay(now, sql`s.time_zone`)}
         order by m.course_id, m.day
         limit ${limit}
      ),
      chosen as materialized (
        select p.*, ${bounds.lo} as lo, ${bounds.hi} as hi from pairs p
      ),
      consumed as (
        delete from course_analytics_dirty_days m using chosen c
         where m.course_id = c.course_id and m.day = c.day
      ),
      facts as materialized (
        select c.course_id, c.institution_id, c.day, f.enrollments, f.completions, f.lessons_completed,
               f.time_spent_sum, f.score_sum, f.score_count
          from chosen c
         cross join lateral (${dayFactsFromRawRows(sql`c.course_id`, sql`c.day`, sql`c.time_zone`, sql`c.lo`, sql`c.hi`)}) f
      ),
      cleared as (
        delete from course_analytics a using facts f
         where a.course_id = f.course_id and a.date = f.day
           and f.enrollments = 0 and f.completions = 0 and f.lessons_completed = 0
        returning 1
      ),
      written as (${upsertRollups(sql`facts`)})
      select (select count(*) from chosen)::int as units,
             (select count(*) from chosen)::int as days,
             ((select count(*) from written) + (select count(*) from cleared))::int as "rows"`,
  );
}

// Step 3: upkeep and watermarks -----------------------------------------------------------------

interface FinishRow {
  compacted: number;
  advanced: number;
}

/**
 * Drops duplicate marks (another one of the same course and day stays: readers still see the
 * day as changed) and marks of courses that no longer exist; then moves every course's watermark
 * to its institution's last closed day. Moving it is safe at any time: a day after the old
 * watermark that has ever changed carries a mark (written with the change, or by the backfill),
 * and a marked day is read live until a run recomputes it.
 */
function finishRun(tx: Database, now: Date) {
  return queryOne<FinishRow>(
    tx,
    sql`
      with duplicates as (
        delete from course_analytics_dirty_days a
         using course_analytics_dirty_days b
         where b.course_id = a.course_id and b.day = a.day and b.ctid < a.ctid
        returning 1
      ),
      orphans as (
        delete from course_analytics_dirty_days m
         where not exists (select from courses c where c.id = m.course_id)
        returning 1
      ),
      advanced as (
        update course_analytics_state s
           set rolled_through = ${lastClosedDay(now, sql`i.time_zone`)}, refreshed_at = now()
          from institutions i
         where i.id = s.institution_id and i.time_zone = s.time_zone
           and s.rolled_through < ${lastClosedDay(now, sql`i.time_zone`)}
        returning 1
      )
      select ((select count(*) from duplicates) + (select count(*) from orphans))::int as compacted,
             (select count(*) from advanced)::int as advanced`,
  );
}

/**
 * Brings course_analytics up to date with every change committed so far, for closed days.
 * Idempotent (a second run finds nothing to do), safe to run concurrently, and bounded: each
 * transaction handles at most `batchCourses` backfills or `batchDays` (course, day) pairs.
 */
export async function refreshCourseAnalyticsRollups(
  db: Database,
  rawInput: RefreshCourseAnalyticsRollupsInput = {},
): Promise<CourseAnalyticsRollupRefresh> {
  const input = refreshCourseAnalyticsRollupsInput.parse(rawInput);
  const now = input.now ?? new Date();
  const started = performance.now();
  const result = { days: 0, rows: 0, backfilledCourses: 0, advancedCourses: 0, compactedMarks: 0, batches: 0 };

  const locked = <T>(work: (tx: Database) => Promise<T>) =>
    db.transaction(async (tx) => {
      // The pool's statement timeout guards API requests; a batch is bounded by its size instead
      // (set first: waiting for another run's batch counts against it too).
      await tx.execute(sql`set local statement_timeout = '10min'`);
      // Then the lock, in its own statement: under READ COMMITTED the batch's statement takes its
      // snapshot after the lock is granted, so it sees every batch committed before it.
      await tx.execute(ROLLUP_LOCK);
      result.batches += 1;
      return work(tx as unknown as Database);
    });

  const drain = async (batch: (tx: Database) => Promise<BatchRow | undefined>, backfill: boolean) => {
    while (result.batches < input.maxBatches) {
      const row = await locked(batch);
      if (!row || row.units === 0) return true;
      result.days += row.days;
      result.rows += row.rows;
      if (backfill) result.backfilledCourses += row.units;
    }
    return false;
  };

  let complete = await drain((tx) => backfillBatch(tx, now, input.batchCourses), true);
  if (complete) complete = await drain((tx) => markedDaysBatch(tx, now, input.batchDays), false);
  if (complete) {
    const finish = await locked((tx) => finishRun(tx, now));
    result.compactedMarks = finish?.compacted ?? 0;
    result.advancedCourses = finish?.advanced ?? 0;
  }
  return { ...result, complete, durationMs: performance.now() - started };
}
