import { hostname } from "node:os";
import type { Database } from "@coursebase/db";
import type { AuditEntry } from "@coursebase/db/queries/audit";
import { claimJobRun, finishJobRun, type JobRunRecord, type JobTrigger } from "@coursebase/db/queries/jobs";
import type { Cache } from "../cache/index.ts";
import { processMetrics, recordJobRun } from "../monitoring/metrics.ts";
import type { JobsConfig } from "./config.ts";
import type { JobDefinition } from "./definitions.ts";

/** What a scheduler logs through (pino's shape). */
export interface JobsLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

/** This process, as job_runs.runner shows it. */
export const defaultRunner = (): string => `${hostname()}:${process.pid}`.slice(0, 128);

export interface ExecuteJobOptions {
  db: Database;
  definition: JobDefinition;
  config: JobsConfig;
  scheduledFor: Date;
  trigger: JobTrigger;
  requestedBy?: string | null;
  audit?: AuditEntry;
  runner?: string;
  logger?: JobsLogger;
  cache?: Cache;
  /** The clock handed to the job as `now` (tests pin it). */
  clock?: () => Date;
}

export type JobExecution =
  /** Not run here: the slot was claimed by another process (`taken`) or a run is still going (`busy`). */
  | { status: "skipped"; reason: "taken" | "busy"; runId: number }
  | { status: "succeeded" | "failed"; run: JobRunRecord };

const MAX_ERROR_LENGTH = 2000;

/** An error's message with its causes (a failed query's cause holds PostgreSQL's own words). */
function describe(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e instanceof Error && parts.length < 4; e = e.cause) parts.push(e.message);
  return (parts.length > 0 ? parts.join("\ncaused by: ") : String(error)).slice(0, MAX_ERROR_LENGTH);
}

/**
 * Claims the run, runs the job, records the outcome, counts it in /metrics. A failing job is
 * recorded as failed and reported in the result, never thrown: the scheduler keeps going.
 * Throws only when the claim or the record themselves fail (the database is unreachable).
 */
export async function executeJob(options: ExecuteJobOptions): Promise<JobExecution> {
  const { db, definition, config, logger } = options;
  const job = definition.name;
  const claim = await claimJobRun(db, {
    job,
    scheduledFor: options.scheduledFor,
    trigger: options.trigger,
    requestedBy: options.requestedBy ?? null,
    runner: options.runner ?? defaultRunner(),
    staleAfterSeconds: config.staleAfterSeconds,
    ...(options.audit ? { audit: options.audit } : {}),
  });
  if (!claim.claimed) {
    processMetrics().jobRuns.inc({ job, outcome: "skipped" });
    logger?.info({ job, reason: claim.reason, runId: claim.runId }, "job run skipped");
    return { status: "skipped", reason: claim.reason, runId: claim.runId };
  }

  const started = performance.now();
  let finish: Parameters<typeof finishJobRun>[1];
  try {
    const result = await definition.run({
      db,
      now: (options.clock ?? (() => new Date()))(),
      config,
      ...(options.cache ? { cache: options.cache } : {}),
    });
    finish = {
      runId: claim.runId,
      outcome: "succeeded",
      rowsTouched: result.rowsTouched,
      details: result.details ?? null,
    };
  } catch (error) {
    finish = { runId: claim.runId, outcome: "failed", error: describe(error) };
  }
  const run = await finishJobRun(db, finish);
  recordJobRun(job, run.outcome === "succeeded" ? "succeeded" : "failed", performance.now() - started);
  if (run.outcome === "failed") {
    logger?.error({ job, runId: run.id, error: run.error }, "job failed");
  } else {
    logger?.info({ job, runId: run.id, rowsTouched: run.rowsTouched, durationMs: run.durationMs }, "job done");
  }
  return { status: run.outcome === "succeeded" ? "succeeded" : "failed", run };
}
