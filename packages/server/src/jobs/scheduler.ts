import type { Database } from "@coursebase/db";
import type { AuditEntry } from "@coursebase/db/queries/audit";
import { JOB_NAMES, type JobName } from "@coursebase/db/queries/jobs";
import { Cron } from "croner";
import type { Cache } from "../cache/index.ts";
import { JOBS_TIMEZONE, type JobsConfig } from "./config.ts";
import { JOB_DEFINITIONS, type JobDefinition } from "./definitions.ts";
import { defaultRunner, executeJob, type JobExecution, type JobsLogger } from "./run.ts";

export interface SchedulerOptions {
  /** The owner connection (services.database.db), never a tenant transaction. */
  db: Database;
  config: JobsConfig;
  logger?: JobsLogger;
  /** Handed to jobs that change what cached answers show (retention). */
  cache?: Cache;
  definitions?: Record<JobName, JobDefinition>;
  /** job_runs.runner of this process (default host:pid). */
  runner?: string;
  clock?: () => Date;
}

export interface JobSchedule {
  job: JobName;
  description: string;
  /** Cron pattern in `timezone`, or null when the job is not scheduled. */
  schedule: string | null;
  timezone: string;
  /** Next scheduled run (null when not scheduled or unavailable). */
  nextRunAt: Date | null;
  onDemand: JobDefinition["onDemand"];
  available: boolean;
}

export interface ManualRunOptions {
  requestedBy?: string | null;
  audit?: AuditEntry;
}

export interface Scheduler {
  readonly config: JobsConfig;
  /** The connection its jobs run on. */
  readonly db: Database;
  /** Starts the timers (croner, in UTC). Idempotent. */
  start(): void;
  /** Stops the timers and waits (up to config.stopTimeoutMs) for runs in progress. Idempotent. */
  stop(): Promise<void>;
  readonly running: boolean;
  schedules(now?: Date): JobSchedule[];
  /** What a timer does at a slot: claim (job, slot) and run it unless another process has. */
  runSlot(job: JobName, scheduledFor: Date): Promise<JobExecution>;
  /** An on-demand run now (ops.runJob, the CLI); refused (`busy`) while a run of the job is going. */
  runNow(job: JobName, options?: ManualRunOptions): Promise<JobExecution>;
}

/**
 * Timing by croner (a maintained cron library) in every server process; exactly-once by the
 * claim in job_runs (queries/jobs.ts): every process fires at the same slot, one wins the insert
 * of (job, slot) and runs, the others skip. Works the same on PGlite (one process) and
 * PostgreSQL (any number of processes). See docs/jobs.md.
 */
export function createScheduler(options: SchedulerOptions): Scheduler {
  const { db, config, logger } = options;
  const definitions = options.definitions ?? JOB_DEFINITIONS;
  const runner = options.runner ?? defaultRunner();
  const clock = options.clock ?? (() => new Date());
  const timers: Cron[] = [];
  const inFlight = new Set<Promise<unknown>>();
  let stopping: Promise<void> | undefined;

  const track = <T>(promise: Promise<T>): Promise<T> => {
    inFlight.add(promise);
    promise.finally(() => inFlight.delete(promise)).catch(() => {});
    return promise;
  };

  const execute = (job: JobName, scheduledFor: Date, trigger: "schedule" | "manual", manual: ManualRunOptions = {}) =>
    track(
      executeJob({
        db,
        definition: definitions[job],
        config,
        scheduledFor,
        trigger,
        runner,
        clock,
        ...(logger ? { logger } : {}),
        ...(options.cache ? { cache: options.cache } : {}),
        ...(manual.requestedBy !== undefined ? { requestedBy: manual.requestedBy } : {}),
        ...(manual.audit ? { audit: manual.audit } : {}),
      }),
    );

  const scheduler: Scheduler = {
    config,
    db,
    get running() {
      return timers.length > 0 && stopping === undefined;
    },

    start() {
      if (timers.length > 0 || stopping) return;
      for (const job of JOB_NAMES) {
        const pattern = config.schedules[job];
        if (!pattern || !definitions[job].available) continue;
        const timer = new Cron(
          pattern,
          {
            timezone: JOBS_TIMEZONE,
            // A slow run is not overlapped by the next slot in this process (other processes
            // are kept off by the claim).
            protect: (self) => logger?.warn({ job, slot: self.currentRun() }, "previous run still going: slot skipped"),
            // Never keep the process alive for a timer alone.
            unref: true,
          },
          async (self) => {
            // The slot as the pattern defines it (whole second), the same in every process.
            const slot = self.currentRun() ?? new Date(Math.floor(Date.now() / 1000) * 1000);
            try {
              await execute(job, slot, "schedule");
            } catch (error) {
              // The claim or the record failed (database unreachable): log, keep the schedule.
              logger?.error({ job, err: error }, "job run could not be claimed or recorded");
            }
          },
        );
        timers.push(timer);
      }
      logger?.info({ jobs: timers.length, runner }, "scheduled jobs started");
    },

    stop() {
      stopping ??= (async () => {
        for (const timer of timers.splice(0)) timer.stop();
        if (inFlight.size === 0) return;
        let timeout: NodeJS.Timeout | undefined;
        const timedOut = new Promise<"timeout">((resolve) => {
          timeout = setTimeout(() => resolve("timeout"), config.stopTimeoutMs);
        });
        const result = await Promise.race([Promise.allSettled([...inFlight]), timedOut]);
        clearTimeout(timeout);
        if (result === "timeout") {
          logger?.warn({ running: inFlight.size }, "jobs still running at shutdown: their runs will show as abandoned");
        }
      })();
      return stopping;
    },

    schedules(now = clock()) {
      return JOB_NAMES.map((job) => {
        const definition = definitions[job];
        const schedule = config.schedules[job];
        const active = schedule !== null && definition.available;
        return {
          job,
          description: definition.description,
          schedule,
          timezone: JOBS_TIMEZONE,
          nextRunAt: active ? new Cron(schedule, { timezone: JOBS_TIMEZONE }).nextRun(now) : null,
          onDemand: definition.onDemand,
          available: definition.available,
        };
      });
    },

    runSlot(job, scheduledFor) {
      return execute(job, scheduledFor, "schedule");
    },

    runNow(job, manual = {}) {
      if (!definitions[job].available) return Promise.reject(new Error(`${job}: not available in this build`));
      return execute(job, clock(), "manual", manual);
    },
  };
  return scheduler;
}
