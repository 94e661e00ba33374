import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../client.ts";
import { queryOne } from "../execute.ts";

/** The materialized view behind analytics.summary (drizzle/0007_course_performance_summary.sql). */
export const COURSE_SUMMARY_VIEW = "course_performance_summary";

export const refreshCourseSummaryInput = z.strictObject({
  /**
   * REFRESH ... CONCURRENTLY (default): readers keep the old contents meanwhile, at the cost of
   * a diff against them. Plain REFRESH is faster but locks readers out until it commits.
   */
  concurrently: z.boolean().default(true),
});

export type RefreshCourseSummaryInput = z.input<typeof refreshCourseSummaryInput>;

export interface SummaryRefresh {
  /** Start of the refreshing transaction: the summary reflects every commit before it. */
  refreshedAt: Date;
  durationMs: number;
  /** Rows of the view after the refresh (published courses, all institutions). */
  rows: number;
}

interface RefreshRow {
  refreshed_at_ms: number;
  duration_ms: number;
  rows: number;
}

/**
 * Recomputes course_performance_summary and records the refresh in materialized_view_refreshes,
 * in one transaction: the record never claims a refresh that rolled back. Needs the view's owner
 * (migrations, jobs, an admin procedure on the owner connection): inside a tenant transaction it
 * fails with "must be owner", which is the point.
 *
 * CONCURRENTLY works on PGlite too (it is PostgreSQL 18 with the unique index it needs). Two
 * refreshes at once queue on the view's lock; neither fails.
 */
export async function refreshCourseSummary(
  db: Database,
  rawInput: RefreshCourseSummaryInput = {},
): Promise<SummaryRefresh> {
  const { concurrently } = refreshCourseSummaryInput.parse(rawInput);
  const row = await db.transaction(async (tx) => {
    // The pool's statement timeout (15 s) guards API requests; the refresh reads every enrollment
    // and progress row (about 1 s per million progress rows here), so the standard scale would
    // run into it. A job is bounded by its schedule instead.
    await tx.execute(sql`set local statement_timeout = '10min'`);
    // A fixed statement, chosen by a boolean: nothing from the caller reaches the SQL text.
    await tx.execute(
      concurrently
        ? sql`refresh materialized view concurrently course_performance_summary`
        : sql`refresh materialized view course_performance_summary`,
    );
    // now() is the transaction's start, so the duration is measured on the database's clock.
    return queryOne<RefreshRow>(
      tx as unknown as Database,
      sql`
        insert into materialized_view_refreshes as r (view_name, refreshed_at, duration_ms, "rows")
        select ${COURSE_SUMMARY_VIEW}, now(),
               extract(epoch from clock_timestamp() - now()) * 1000,
               (select count(*)::int from course_performance_summary)
        on conflict (view_name) do update
          set refreshed_at = excluded.refreshed_at, duration_ms = excluded.duration_ms, "rows" = excluded."rows"
        returning (extract(epoch from r.refreshed_at) * 1000)::float8 as refreshed_at_ms,
                  r.duration_ms::float8 as duration_ms, r."rows"`,
    );
  });
  if (!row) throw new Error("materialized_view_refreshes: the refresh was not recorded");
  return { refreshedAt: new Date(row.refreshed_at_ms), durationMs: row.duration_ms, rows: row.rows };
}
