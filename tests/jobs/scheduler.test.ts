import { createDatabase, type Database, type DatabaseHandle, queryOne, queryRows } from "@coursebase/db";
import { claimJobRun, type JobName } from "@coursebase/db/queries/jobs";
import {
  createScheduler,
  JOB_DEFINITIONS,
  type JobDefinition,
  type JobsConfig,
  jobsConfigFromEnv,
} from "@coursebase/server/jobs/index";
import { processMetrics } from "@coursebase/server/monitoring/index";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase, testEngine } from "../support/database.ts";
import { loadFixture } from "../support/fixture.ts";

/**
 * The scheduler (packages/server/src/jobs): each scheduled run happens once across processes
 * (the job_runs claim), every run is recorded with its outcome and rows, a failing job is
 * recorded as failed and the schedule goes on. On PostgreSQL the "two processes" are two
 * separate connection pools to the same database; on PGlite (one connection, one process by
 * design) two schedulers share the handle, which still races the two claims.
 */

let database: TestDatabase;
/** A second handle on the same database (PostgreSQL), or the same handle (PGlite). */
let other: DatabaseHandle;

beforeAll(async () => {
  database = await createTestDatabase();
  await loadFixture(database.db);
  other = database.url ? await createDatabase({ url: database.url, readUrl: undefined }) : database;
});
afterAll(async () => {
  if (other !== database) await other.close();
  await database.destroy();
});
beforeEach(async () => {
  await database.db.execute(sql`delete from job_runs`);
});

const config = (overrides: Partial<JobsConfig> = {}): JobsConfig => ({
  ...jobsConfigFromEnv({}),
  enabled: true,
  ...overrides,
});

/** Every job unscheduled except the given ones (cron patterns with seconds). */
const onlySchedules = (schedules: Partial<Record<JobName, string>>): JobsConfig["schedules"] => ({
  "refresh-course-summary": null,
  "rollup-course-analytics": null,
  "progress-partitions": null,
  retention: null,
  ...schedules,
});

/** A job that counts its runs and reports `rows` rows; `fail` makes it throw. */
function countingJob(name: JobName, options: { rows?: number; fail?: string; delayMs?: number } = {}) {
  const calls: Date[] = [];
  const definition: JobDefinition = {
    name,
    description: "test job",
    onDemand: "admin",
    available: true,
    async run({ now }) {
      calls.push(now);
      if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      if (options.fail) throw new Error(options.fail);
      return { rowsTouched: options.rows ?? 0, details: { test: true } };
    },
  };
  return { definition, calls };
}

const withJobs = (...jobs: JobDefinition[]) => ({
  ...JOB_DEFINITIONS,
  ...Object.fromEntries(jobs.map((job) => [job.name, job])),
});

interface RunRow {
  job: string;
  outcome: string;
  rows_touched: number | null;
  error: string | null;
  runner: string;
  trigger: string;
  scheduled_for: Date;
  finished: boolean;
  has_duration: boolean;
}

const runs = (db: Database) =>
  queryRows<RunRow>(
    db,
    sql`select job, outcome, rows_touched::int as rows_touched, error, runner, trigger, scheduled_for,
               finished_at is not null as finished, duration_ms >= 0 as has_duration
          from job_runs order by scheduled_for, id`,
  );

async function waitFor(condition: () => Promise<boolean>, what: string, limitMs = 20_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function metricValue(job: string, outcome: string): Promise<number> {
  return processMetrics()
    .jobRuns.get()
    .then((metric) => metric.values.find((v) => v.labels.job === job && v.labels.outcome === outcome)?.value ?? 0);
}

describe("claims: each scheduled run happens once", () => {
  it("two schedulers racing for the same slot: one runs it, the other skips", async () => {
    const job = countingJob("progress-partitions", { rows: 7, delayMs: 50 });
    const slot = new Date("2026-11-26T06:00:00Z");
    const a = createScheduler({
      db: database.db,
      config: config(),
      definitions: withJobs(job.definition),
      runner: "a",
    });
    const b = createScheduler({ db: other.db, config: config(), definitions: withJobs(job.definition), runner: "b" });
    const skippedBefore = await metricValue("progress-partitions", "skipped");

    const results = await Promise.all([a.runSlot("progress-partitions", slot), b.runSlot("progress-partitions", slot)]);

    expect(results.map((r) => r.status).sort()).toEqual(["skipped", "succeeded"]);
    expect(results.find((r) => r.status === "skipped")).toMatchObject({ reason: "taken" });
    expect(job.calls).toHaveLength(1);
    const rows = await runs(database.db);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      job: "progress-partitions",
      outcome: "succeeded",
      rows_touched: 7,
      error: null,
      trigger: "schedule",
      finished: true,
      has_duration: true,
    });
    expect(["a", "b"]).toContain(rows[0]?.runner);
    expect(new Date(rows[0]?.scheduled_for as Date).toISOString()).toBe(slot.toISOString());
    expect(await metricValue("progress-partitions", "skipped")).toBe(skippedBefore + 1);
  });

  it("a slot already run is not run again, even much later", async () => {
    const job = countingJob("progress-partitions");
    const scheduler = createScheduler({ db: database.db, config: config(), definitions: withJobs(job.definition) });
    const slot = new Date("2026-11-26T12:00:00Z");
    expect((await scheduler.runSlot("progress-partitions", slot)).status).toBe("succeeded");
    expect(await scheduler.runSlot("progress-partitions", slot)).toMatchObject({ status: "skipped", reason: "taken" });
    expect(job.calls).toHaveLength(1);
  });

  it("two started schedulers firing every second: every slot runs exactly once", async () => {
    const job = countingJob("rollup-course-analytics", { rows: 1 });
    const schedules = onlySchedules({ "rollup-course-analytics": "* * * * * *" });
    const make = (db: Database, runner: string) =>
      createScheduler({ db, config: config({ schedules }), definitions: withJobs(job.definition), runner });
    const a = make(database.db, "a");
    const b = make(other.db, "b");
    const skippedBefore = await metricValue("rollup-course-analytics", "skipped");
    a.start();
    b.start();
    try {
      await waitFor(
        async () =>
          ((
            await queryOne<{ n: number }>(
              database.db,
              sql`select count(*)::int as n from job_runs where outcome <> 'running'`,
            )
          )?.n ?? 0) >= 3,
        "three finished runs",
      );
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    const rows = await runs(database.db);
    // One row per slot (the unique key would refuse a second), and the job ran once per row.
    expect(new Set(rows.map((r) => new Date(r.scheduled_for).toISOString())).size).toBe(rows.length);
    expect(job.calls).toHaveLength(rows.length);
    // Both fired at (nearly) every slot: the loser of each claim skipped it (the last slot's
    // loser may have been stopped before firing).
    expect(await metricValue("rollup-course-analytics", "skipped")).toBeGreaterThanOrEqual(
      skippedBefore + rows.length - 1,
    );
    expect(rows.every((r) => r.outcome === "succeeded" && r.rows_touched === 1 && r.trigger === "schedule")).toBe(true);
    // Slots are whole seconds of the pattern.
    expect(rows.every((r) => new Date(r.scheduled_for).getTime() % 1000 === 0)).toBe(true);
  });
});

describe("outcomes", () => {
  it("a real job's run is recorded with its outcome and rows (refresh-course-summary: 4 published courses)", async () => {
    const scheduler = createScheduler({ db: database.db, config: config() });
    const execution = await scheduler.runNow("refresh-course-summary", { requestedBy: null });
    expect(execution.status).toBe("succeeded");
    const rows = await runs(database.db);
    // The fixture publishes C1, C2, C4 (Northwind) and C5 (Southbank); C3 is a draft.
    expect(rows).toMatchObject([
      { job: "refresh-course-summary", outcome: "succeeded", rows_touched: 4, trigger: "manual", finished: true },
    ]);
  });

  it("a failing job is recorded as failed with its error, and the scheduler keeps going", async () => {
    const failing = countingJob("retention", { fail: "disk on fire" });
    const healthy = countingJob("progress-partitions", { rows: 2 });
    const failedBefore = await metricValue("retention", "failed");
    const scheduler = createScheduler({
      db: database.db,
      config: config({ schedules: onlySchedules({ retention: "* * * * * *", "progress-partitions": "* * * * * *" }) }),
      definitions: withJobs(failing.definition, healthy.definition),
    });
    scheduler.start();
    try {
      // Two failures in a row prove the failing job is still scheduled after failing, and the
      // other job's runs after a failure prove the schedule as a whole goes on.
      await waitFor(async () => {
        const rows = await runs(database.db);
        return (
          rows.filter((r) => r.job === "retention" && r.outcome === "failed").length >= 2 &&
          rows.filter((r) => r.job === "progress-partitions" && r.outcome === "succeeded").length >= 2
        );
      }, "two failed and two succeeded runs");
    } finally {
      await scheduler.stop();
    }
    const rows = await runs(database.db);
    const failed = rows.filter((r) => r.job === "retention");
    expect(failed.every((r) => r.outcome === "failed" && r.error === "disk on fire" && r.rows_touched === null)).toBe(
      true,
    );
    expect(failed.every((r) => r.finished && r.has_duration)).toBe(true);
    expect(await metricValue("retention", "failed")).toBeGreaterThanOrEqual(failedBefore + 2);
    expect(scheduler.running).toBe(false);
  });

  it("a manual run is refused while a run of the job is going; a stale one is marked abandoned", async () => {
    const scheduler = createScheduler({ db: database.db, config: config({ staleAfterSeconds: 3600 }) });
    // A run some process claimed and is still working on (no result yet).
    await claimJobRun(database.db, {
      job: "refresh-course-summary",
      scheduledFor: new Date("2026-11-26T00:00:00Z"),
      trigger: "schedule",
      runner: "elsewhere:1",
      staleAfterSeconds: 3600,
    });
    expect(await scheduler.runNow("refresh-course-summary")).toMatchObject({ status: "skipped", reason: "busy" });

    // Its process died two hours ago: the claim is stale, the next run proceeds.
    await database.db.execute(sql`update job_runs set started_at = now() - interval '2 hours'`);
    expect((await scheduler.runNow("refresh-course-summary")).status).toBe("succeeded");
    const rows = await runs(database.db);
    expect(rows.map((r) => [r.runner, r.outcome])).toEqual([
      ["elsewhere:1", "abandoned"],
      [expect.any(String), "succeeded"],
    ]);
    expect(rows[0]?.error).toMatch(/no result after 3600 s/);
  });
});

describe("the jobs as configured", () => {
  it("each job has a schedule in UTC and its next run; JOB_SCHEDULE_* changes or disables one", () => {
    const now = new Date("2026-11-26T01:30:00Z");
    const scheduler = createScheduler({
      db: database.db,
      config: jobsConfigFromEnv({ JOB_SCHEDULE_REFRESH_COURSE_SUMMARY: "0 */3 * * *", JOB_SCHEDULE_RETENTION: "off" }),
    });
    const byJob = Object.fromEntries(scheduler.schedules(now).map((s) => [s.job, s]));
    expect(byJob["refresh-course-summary"]).toMatchObject({
      schedule: "0 */3 * * *",
      timezone: "UTC",
      nextRunAt: new Date("2026-11-26T03:00:00Z"),
    });
    expect(byJob.retention).toMatchObject({ schedule: null, nextRunAt: null, onDemand: "operator" });
    // The defaults: every 6 hours for the summary, hourly rollups, daily partitions.
    const defaults = Object.fromEntries(
      createScheduler({ db: database.db, config: jobsConfigFromEnv({}) })
        .schedules(now)
        .map((s) => [s.job, s.nextRunAt?.toISOString() ?? null]),
    );
    expect(defaults["refresh-course-summary"]).toBe("2026-11-26T06:00:00.000Z");
    expect(defaults["progress-partitions"]).toBe("2026-11-27T00:15:00.000Z");
    expect(defaults.retention).toBe("2026-11-26T03:30:00.000Z");
  });

  it("bad settings are refused with the variable's name", () => {
    expect(() => jobsConfigFromEnv({ JOB_SCHEDULE_RETENTION: "every day" })).toThrow(/JOB_SCHEDULE_RETENTION/);
    expect(() => jobsConfigFromEnv({ JOBS: "maybe" })).toThrow(/JOBS must be/);
    expect(jobsConfigFromEnv({ JOBS: "off" }).enabled).toBe(false);
  });

  for (const job of ["progress-partitions", "rollup-course-analytics", "retention"] as const) {
    it(`the real ${job} job runs on ${testEngine} and is recorded`, async () => {
      const scheduler = createScheduler({ db: database.db, config: config() });
      const execution = await scheduler.runNow(job);
      expect(execution).toMatchObject({ status: "succeeded", run: { job, outcome: "succeeded", error: null } });
    });
  }
});
