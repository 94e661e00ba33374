/**
 * Scheduled jobs (docs/jobs.md). In the HTTP server (main.ts `serve`), one line before listening:
 *
 *   registerScheduledJobs(app, services);
 *
 * It starts the schedule unless JOBS=off and stops it (waiting for a running job) when the
 * server closes, before the database is closed.
 */
import type { FastifyInstance } from "fastify";
import type { Services } from "../trpc/init.ts";
import { type JobsConfig, jobsConfigFromEnv } from "./config.ts";
import { createScheduler, type Scheduler } from "./scheduler.ts";

export { DEFAULT_SCHEDULES, type JobsConfig, jobsConfigFromEnv, nextRunOf, scheduleVariable } from "./config.ts";
export { JOB_DEFINITIONS, type JobDefinition, type JobResult, type OnDemand } from "./definitions.ts";
export { defaultRunner, executeJob, type JobExecution } from "./run.ts";
export { createScheduler, type JobSchedule, type Scheduler } from "./scheduler.ts";

const started: Scheduler[] = [];

/** The schedule this process runs, if any (what ops.jobs reports as enabled). */
export function activeScheduler(): Scheduler | undefined {
  return started.at(-1);
}

/**
 * Builds this process's scheduler around the services' owner connection, starts it when
 * `config.enabled`, and makes it the active one. Returns it (stop() unregisters it).
 */
export function startScheduledJobs(
  services: Pick<Services, "database" | "logger" | "cache">,
  config: JobsConfig = jobsConfigFromEnv(),
): Scheduler {
  const scheduler = createScheduler({
    db: services.database.db,
    config,
    logger: services.logger.child({ component: "jobs" }),
    cache: services.cache,
  });
  if (!config.enabled) return scheduler;
  scheduler.start();
  started.push(scheduler);
  const stop = scheduler.stop.bind(scheduler);
  return Object.assign(scheduler, {
    async stop() {
      await stop();
      const index = started.indexOf(scheduler);
      if (index !== -1) started.splice(index, 1);
    },
  });
}

/** For the HTTP server: starts the jobs (unless JOBS=off) and stops them when the server closes. */
export function registerScheduledJobs(
  app: FastifyInstance,
  services: Pick<Services, "database" | "logger" | "cache">,
): Scheduler {
  const scheduler = startScheduledJobs(services);
  app.addHook("onClose", async () => {
    await scheduler.stop();
  });
  return scheduler;
}

/**
 * The scheduler to run an on-demand job with: the active one (its shutdown waits for the run),
 * or (JOBS=off, tests) one built for the occasion around the caller's services, never started.
 */
export function schedulerFor(services: Pick<Services, "database" | "logger" | "cache">): Scheduler {
  const current = activeScheduler();
  if (current && current.db === services.database.db) return current;
  return createScheduler({
    db: services.database.db,
    config: jobsConfigFromEnv(),
    logger: services.logger.child({ component: "jobs" }),
    cache: services.cache,
  });
}
