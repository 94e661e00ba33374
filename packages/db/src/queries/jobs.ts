import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../client.ts";
import { queryOne, queryRows } from "../execute.ts";
import { type AuditEntry, recordAudit } from "./audit.ts";
import { type Pagination, paginate, paginationFields } from "./pagination.ts";

/**
 * The record of scheduled job runs (table job_runs, packages/db/src/schema/jobs.ts), which is
 * also the claim that makes each scheduled run happen once across server processes. The jobs
 * themselves live in packages/server/src/jobs. Owner connection only: the application role has
 * no privilege on job_runs.
 */

/** The jobs, by their agreed names (docs/jobs.md). */
export const JOB_NAMES = [
  "refresh-course-summary",
  "rollup-course-analytics",
  "progress-partitions",
  "retention",
] as const;
export type JobName = (typeof JOB_NAMES)[number];
export const jobNameSchema = z.enum(JOB_NAMES);

export type JobTrigger = "schedule" | "manual";
export type JobRunOutcome = "running" | "succeeded" | "failed" | "abandoned";

export const runJobInput = z.strictObject({ job: jobNameSchema });
export type RunJobInput = z.output<typeof runJobInput>;

export const listJobRunsInput = z.strictObject({
  ...paginationFields,
  /** Only this job's runs. */
  job: jobNameSchema.optional(),
});
export type ListJobRunsInput = z.input<typeof listJobRunsInput>;

export interface JobRunRecord {
  id: number;
  job: JobName;
  scheduledFor: Date;
  trigger: JobTrigger;
  requestedBy: string | null;
  runner: string;
  startedAt: Date;
  finishedAt: Date | null;
  durationMs: number | null;
  outcome: JobRunOutcome;
  rowsTouched: number | null;
  details: Record<string, unknown> | null;
  error: string | null;
}

export interface ClaimJobRunInput {
  job: JobName;
  /** The schedule's slot; two processes claiming the same (job, slot) get one run between them. */
  scheduledFor: Date;
  trigger: JobTrigger;
  requestedBy?: string | null;
  /** The claiming process (host:pid), shown in ops.jobs. */
  runner: string;
  /**
   * A run of the same job still 'running' after this many seconds is taken for one whose
   * process died: it is marked 'abandoned' and no longer blocks new runs.
   */
  staleAfterSeconds: number;
  /** Audit entry written in the claim's transaction (manual runs: an administrative write). */
  audit?: AuditEntry;
}

export type ClaimResult =
  | { claimed: true; runId: number; startedAt: Date }
  /** `taken`: this slot was already claimed (another process); `busy`: a run of the job is still running. */
  | { claimed: false; reason: "taken" | "busy"; runId: number };

/**
 * Claims a run: inserts its job_runs row unless the slot is taken or a run of the job is still
 * going. Claims of one job are serialized by a transaction-level advisory lock, so the check
 * and the insert cannot interleave with another process's; the unique (job, scheduled_for) key
 * is the last line of defence. Statements stay separate (not one CTE) so that the check sees
 * rows committed while the lock was awaited.
 */
export async function claimJobRun(db: Database, input: ClaimJobRunInput): Promise<ClaimResult> {
  return db.transaction(async (transaction) => {
    const tx = transaction as unknown as Database;
    // Two int4 keys: a namespace for job claims and the job (hashtext is stable across versions in use).
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('coursebase.job_runs'), hashtext(${input.job}))`);
    await tx.execute(sql`
      update job_runs
         set outcome = 'abandoned', finished_at = now(),
             error = 'no result after ' || ${input.staleAfterSeconds}::int || ' s: the process running it stopped'
       where job = ${input.job} and outcome = 'running'
         and started_at < now() - make_interval(secs => ${input.staleAfterSeconds}::int)`);
    const blocking = await queryOne<{ id: number; same_slot: boolean }>(
      tx,
      sql`select id::float8 as id, scheduled_for = ${input.scheduledFor}::timestamptz as same_slot
            from job_runs
           where job = ${input.job} and (scheduled_for = ${input.scheduledFor}::timestamptz or outcome = 'running')
           order by (scheduled_for = ${input.scheduledFor}::timestamptz) desc
           limit 1`,
    );
    if (blocking) return { claimed: false, reason: blocking.same_slot ? "taken" : "busy", runId: blocking.id };
    const row = await queryOne<{ id: number; started_at: Date }>(
      tx,
      sql`insert into job_runs (job, scheduled_for, trigger, requested_by, runner)
          values (${input.job}, ${input.scheduledFor}::timestamptz, ${input.trigger}, ${input.requestedBy ?? null}::uuid, ${input.runner})
          returning id::float8 as id, started_at`,
    );
    if (!row) throw new Error("job_runs: the claim returned no row");
    if (input.audit) {
      await recordAudit(tx, { ...input.audit, details: { ...input.audit.details, runId: row.id } });
    }
    return { claimed: true, runId: row.id, startedAt: new Date(row.started_at) };
  });
}

export interface FinishJobRunInput {
  runId: number;
  outcome: "succeeded" | "failed";
  rowsTouched?: number | null;
  details?: Record<string, unknown> | null;
  error?: string | null;
}

/** Records a run's end; the duration is measured on the database's clock from started_at. */
export async function finishJobRun(db: Database, input: FinishJobRunInput): Promise<JobRunRecord> {
  const row = await queryOne<JobRunRow>(
    db,
    sql`update job_runs
           set outcome = ${input.outcome}, finished_at = clock_timestamp(),
               duration_ms = extract(epoch from clock_timestamp() - started_at) * 1000,
               rows_touched = ${input.rowsTouched ?? null}::bigint,
               details = ${input.details ? JSON.stringify(input.details) : null}::jsonb,
               error = ${input.error ?? null}
         where id = ${input.runId}
     returning ${jobRunColumns}`,
  );
  if (!row) throw new Error(`job_runs: no run ${input.runId} to finish`);
  return toRecord(row);
}

export interface JobRunsPage {
  runs: JobRunRecord[];
  pagination: Pagination;
}

/** Recent runs, newest first (index job_runs_started_at_idx), with the total in the same statement. */
export async function listJobRuns(db: Database, rawInput: ListJobRunsInput = {}): Promise<JobRunsPage> {
  const input = listJobRunsInput.parse(rawInput);
  const filter = input.job ? sql`job = ${input.job}` : sql`true`;
  // The total comes from a one-row subquery joined to the page, so a page past the end still
  // reports it (count(*) over () would vanish with the rows).
  const rows = await queryRows<JobRunRow & { total: number }>(
    db,
    sql`select t.total, r.*
          from (select count(*)::int as total from job_runs where ${filter}) t
          left join lateral (
            select ${jobRunColumns} from job_runs where ${filter}
             order by started_at desc, id desc
             limit ${input.limit} offset ${(input.page - 1) * input.limit}
          ) r on true`,
  );
  const total = rows[0]?.total ?? 0;
  return {
    runs: rows.filter((row) => row.id !== null).map(toRecord),
    pagination: paginate(input, total),
  };
}

/** Each job's latest run (one index probe per job through job_runs_job_scheduled_for_key). */
export async function latestJobRuns(db: Database): Promise<Map<JobName, JobRunRecord>> {
  const rows = await queryRows<JobRunRow>(
    db,
    sql`select r.* from (values ${sql.join(
      JOB_NAMES.map((name) => sql`(${name}::text)`),
      sql`, `,
    )}) as j(name)
        cross join lateral (
          select ${jobRunColumns} from job_runs where job = j.name order by scheduled_for desc limit 1
        ) r`,
  );
  return new Map(rows.map((row) => [row.job, toRecord(row)]));
}

/** One run by id (the CLI, tests). */
export async function getJobRun(db: Database, runId: number): Promise<JobRunRecord | undefined> {
  const row = await queryOne<JobRunRow>(db, sql`select ${jobRunColumns} from job_runs where id = ${runId}`);
  return row && toRecord(row);
}

interface JobRunRow {
  id: number;
  job: JobName;
  scheduled_for: Date | string;
  trigger: JobTrigger;
  requested_by: string | null;
  runner: string;
  started_at: Date | string;
  finished_at: Date | string | null;
  duration_ms: number | null;
  outcome: JobRunOutcome;
  rows_touched: number | null;
  details: Record<string, unknown> | null;
  error: string | null;
}

// bigint columns as float8: postgres.js returns int8 as a string, PGlite as a number.
const jobRunColumns = sql.raw(
  `id::float8 as id, job, scheduled_for, trigger, requested_by, runner, started_at, finished_at,
   duration_ms, outcome, rows_touched::float8 as rows_touched, details, error`,
);

const toDate = (value: Date | string) => (value instanceof Date ? value : new Date(value));

function toRecord(row: JobRunRow): JobRunRecord {
  return {
    id: row.id,
    job: row.job,
    scheduledFor: toDate(row.scheduled_for),
    trigger: row.trigger,
    requestedBy: row.requested_by,
    runner: row.runner,
    startedAt: toDate(row.started_at),
    finishedAt: row.finished_at === null ? null : toDate(row.finished_at),
    durationMs: row.duration_ms,
    outcome: row.outcome,
    rowsTouched: row.rows_touched,
    details: row.details,
    error: row.error,
  };
}
