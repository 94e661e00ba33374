import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  doublePrecision,
  index,
  jsonb,
  pgTable,
  text,
  unique,
  uuid,
  varchar,
} from "drizzle-orm/pg-core";
import { timestamptz } from "./columns.ts";

/**
 * One row per run of a scheduled job (packages/server/src/jobs). Not tenant data: the jobs work
 * across institutions, so the table has no institution_id and the application role has no
 * privilege on it (drizzle/ job_runs migration); admins read it through `ops.jobs`, which runs on
 * the owner connection.
 *
 * The row is also the claim: a scheduler inserts (job, scheduled_for) before running and runs
 * only if its insert won (ON CONFLICT DO NOTHING), so with several server processes each
 * scheduled run happens once.
 */
export const jobRuns = pgTable(
  "job_runs",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    job: varchar("job", { length: 64 }).notNull(),
    /** The schedule's slot (whole second) for scheduled runs; the request time for manual ones. */
    scheduledFor: timestamptz("scheduled_for").notNull(),
    /** 'schedule' (the process's timer) or 'manual' (ops.runJob, the jobs CLI). */
    trigger: varchar("trigger", { length: 16 }).notNull(),
    /** Who asked for a manual run (user id; null for a token without user, or a schedule). */
    requestedBy: uuid("requested_by"),
    /** The process that claimed the run (host:pid). */
    runner: varchar("runner", { length: 128 }).notNull(),
    startedAt: timestamptz("started_at").notNull().defaultNow(),
    finishedAt: timestamptz("finished_at"),
    durationMs: doublePrecision("duration_ms"),
    outcome: varchar("outcome", { length: 16 }).notNull().default("running"),
    rowsTouched: bigint("rows_touched", { mode: "number" }),
    /** What the job reports besides its row count (partitions created, days recomputed, ...). */
    details: jsonb("details").$type<Record<string, unknown>>(),
    error: text("error"),
  },
  (t) => [
    unique("job_runs_job_scheduled_for_key").on(t.job, t.scheduledFor),
    // ops.jobs filtered by outcome ('running' runs of a job before a manual run) is served by
    // the unique index (job, ...) plus a filter: a few rows per job per day.
    index("job_runs_started_at_idx").on(t.startedAt.desc()),
    check("job_runs_outcome_check", sql`${t.outcome} in ('running', 'succeeded', 'failed', 'abandoned')`),
    check("job_runs_trigger_check", sql`${t.trigger} in ('schedule', 'manual')`),
  ],
);

export type JobRun = typeof jobRuns.$inferSelect;
