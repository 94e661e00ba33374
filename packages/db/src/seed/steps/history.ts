import { sql } from "drizzle-orm";
import type { Database } from "../../client.ts";
import { queryOne } from "../../execute.ts";
import { ensureProgressHistoryPartitions } from "../../queries/history.ts";
import type { SeedPlan } from "../plan.ts";
import { run } from "../run.ts";

/** Partitions the generator creates after the anchor's month (as the upkeep job would). */
const MONTHS_AHEAD = 3;

/**
 * Creates the monthly partitions of progress_history for every month of generated activity
 * (from the earliest enrollment to the anchor) before the load, so rows go straight to their
 * month instead of through the default partition.
 */
export async function createHistoryPartitions(db: Database, plan: SeedPlan): Promise<string[]> {
  const earliest = await queryOne<{ ms: number | null }>(
    db,
    sql`select (min(e0) * 1000)::float8 as ms from _sp_enrollment`,
  );
  const from = earliest?.ms == null ? plan.anchor : new Date(Number(earliest.ms));
  const { created } = await ensureProgressHistoryPartitions(db, { now: plan.anchor, monthsAhead: MONTHS_AHEAD, from });
  return created;
}

/**
 * progress_history as progress.record would have written it for the generated lesson_progress:
 * one event per attempt, so that per (student, lesson) the events add up to the current row
 * (count = attempts, sum(time_spent) = time_spent, the only completion = completed_at, the last
 * event carries the score). Earlier attempts complete nothing and fall evenly between the row's
 * first touch (created_at) and its last (updated_at, the completion time when completed).
 *
 * Derived from the loaded lesson_progress rather than drawn again, so the two cannot disagree;
 * deterministic (recorded_at = occurred_at, a back-fill, not the clock). Event ids
 * `seed:<lesson_progress.id>:<n>` have no progress_event_keys entry: they were never sent by a
 * client, so there is no retry to recognise (see docs/progress-history.md).
 */
export async function insertProgressHistory(db: Database): Promise<number> {
  return run(
    db,
    sql`
    insert into progress_history (institution_id, event_id, student_id, lesson_id, course_id, time_spent, score,
                                  completed_at, occurred_at, recorded_at)
    select lp.institution_id, 'seed:' || lp.id || ':' || a.n, lp.student_id, lp.lesson_id, lp.course_id,
           case when a.n < lp.attempts then lp.time_spent / lp.attempts
                else lp.time_spent - (lp.attempts - 1) * (lp.time_spent / lp.attempts) end,
           case when a.n = lp.attempts then lp.score end,
           case when a.n = lp.attempts then lp.completed_at end,
           a.occurred_at, a.occurred_at
      from lesson_progress lp
     cross join lateral (
       select n, case when n = lp.attempts then coalesce(lp.completed_at, lp.updated_at)
                      else lp.created_at + (lp.updated_at - lp.created_at) * n / lp.attempts end as occurred_at
         from generate_series(1, lp.attempts) as n
     ) a`,
  );
}
