import { JOB_NAMES, type JobName } from "@coursebase/db/queries/jobs";
import { Cron } from "croner";

/**
 * Scheduled jobs' settings, from the environment:
 * - JOBS=off: this process schedules nothing (tests, the benchmark, extra API-only processes).
 *   On-demand runs (ops.runJob, the jobs CLI) still work.
 * - JOB_SCHEDULE_<JOB>: a cron pattern in UTC (5 fields, or 6 with seconds) or `off`, e.g.
 *   JOB_SCHEDULE_REFRESH_COURSE_SUMMARY="0 *\/3 * * *" refreshes the summary every 3 hours.
 * - JOBS_STALE_AFTER_SECONDS: a run still "running" after this long is taken for one whose
 *   process died, and stops blocking new runs of its job (default 2 hours).
 * - JOBS_PARTITION_MONTHS_AHEAD: progress_history partitions kept ahead (default 3).
 */
export interface JobsConfig {
  enabled: boolean;
  /** Cron pattern (UTC) per job, or null when the job is not scheduled. */
  schedules: Record<JobName, string | null>;
  staleAfterSeconds: number;
  partitionMonthsAhead: number;
  /** How long stop() waits for a running job before giving up on it (it is then marked abandoned later). */
  stopTimeoutMs: number;
}

/** Schedules are in UTC: institutions' days end at different UTC hours, so none is special. */
export const JOBS_TIMEZONE = "UTC";

export const DEFAULT_SCHEDULES: Record<JobName, string> = {
  // The materialized summary: every 6 hours (the default), on the hour.
  "refresh-course-summary": "0 */6 * * *",
  // Incremental (only days that changed, cheap when little did): every 15 minutes, so a day is
  // rolled up soon after midnight in any zone and few marked days are read live.
  "rollup-course-analytics": "*/15 * * * *",
  // Partitions are created months ahead: daily is plenty, and idempotent.
  "progress-partitions": "15 0 * * *",
  // Retention: daily, at a quiet hour in Europe and the Americas.
  retention: "30 3 * * *",
};

/** JOB_SCHEDULE_REFRESH_COURSE_SUMMARY for refresh-course-summary. */
export const scheduleVariable = (job: JobName) => `JOB_SCHEDULE_${job.toUpperCase().replaceAll("-", "_")}`;

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

/** Throws with the variable's name on a pattern croner cannot read. */
export function validateSchedule(pattern: string, variable: string): string {
  try {
    new Cron(pattern, { timezone: JOBS_TIMEZONE });
  } catch (error) {
    throw new Error(`${variable}: not a cron pattern ("${pattern}"): ${(error as Error).message}`);
  }
  return pattern;
}

export function jobsConfigFromEnv(env: NodeJS.ProcessEnv = process.env): JobsConfig {
  const jobs = (env.JOBS ?? "on").toLowerCase();
  if (!["on", "off"].includes(jobs)) throw new Error(`JOBS must be "on" or "off", got "${env.JOBS}"`);
  const schedules = {} as Record<JobName, string | null>;
  for (const job of JOB_NAMES) {
    const variable = scheduleVariable(job);
    const raw = env[variable]?.trim();
    schedules[job] = raw === "off" ? null : validateSchedule(raw || DEFAULT_SCHEDULES[job], variable);
  }
  return {
    enabled: jobs === "on",
    schedules,
    staleAfterSeconds: positiveInteger(env, "JOBS_STALE_AFTER_SECONDS", 2 * 3600),
    partitionMonthsAhead: positiveInteger(env, "JOBS_PARTITION_MONTHS_AHEAD", 3),
    stopTimeoutMs: positiveInteger(env, "JOBS_STOP_TIMEOUT_MS", 10_000),
  };
}

/** The next time a pattern fires after `after` (pure evaluation: nothing is scheduled). */
export function nextRunOf(pattern: string | null, after: Date = new Date()): Date | null {
  return pattern ? new Cron(pattern, { timezone: JOBS_TIMEZONE }).nextRun(after) : null;
}
