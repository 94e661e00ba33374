import { queryRows } from "@coursebase/db";
import type { Services } from "@coursebase/server";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { ids, loadFixture } from "../support/fixture.ts";
import { as } from "../support/principals.ts";
import { callerAs, createTestServices } from "../support/services.ts";

/**
 * ops.jobs, ops.runJob, ops.indexUsage, ops.partitions: administrators only (maintenance
 * procedures on the owner connection); job_runs stays out of the application role's reach.
 */

let database: TestDatabase;
let services: Services;

beforeAll(async () => {
  database = await createTestDatabase();
  await loadFixture(database.db);
  services = createTestServices(database);
});
afterAll(() => database.destroy());
beforeEach(async () => {
  await database.db.execute(sql`delete from job_runs`);
});

const admin = () => callerAs(services, as.northwindAdmin);

describe("who may call them", () => {
  const others = { instructor: as.ada, "teaching assistant": as.tom, student: as.sam };

  for (const [who, principal] of Object.entries(others)) {
    it(`a ${who} gets FORBIDDEN from every one`, async () => {
      const caller = callerAs(services, principal);
      await expect(caller.ops.jobs({})).rejects.toMatchObject({ code: "FORBIDDEN" });
      await expect(caller.ops.runJob({ job: "refresh-course-summary" })).rejects.toMatchObject({ code: "FORBIDDEN" });
      await expect(caller.ops.indexUsage({})).rejects.toMatchObject({ code: "FORBIDDEN" });
      await expect(caller.ops.partitions()).rejects.toMatchObject({ code: "FORBIDDEN" });
    });
  }

  it("anonymous callers get UNAUTHORIZED", async () => {
    const caller = callerAs(services, null);
    await expect(caller.ops.jobs({})).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(caller.ops.runJob({ job: "refresh-course-summary" })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("nobody runs retention through the API, not even an administrator (it deletes every institution's data)", async () => {
    await expect(admin().ops.runJob({ job: "retention" })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringMatching(/^job: retention runs on its schedule/),
    });
    expect(await queryRows(database.db, sql`select 1 from job_runs`)).toEqual([]);
  });

  it("an unknown job is a BAD_REQUEST naming the field", async () => {
    // @ts-expect-error not a job name
    await expect(admin().ops.runJob({ job: "drop-everything" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      cause: { issues: [expect.objectContaining({ path: ["job"] })] },
    });
  });

  it("the application role cannot read job_runs", async () => {
    await expect(
      database.db.transaction(async (tx) => {
        await tx.execute(sql`set local role coursebase_app`);
        await tx.execute(sql`select * from job_runs`);
      }),
    ).rejects.toThrow();
  });
});

describe("ops.runJob and ops.jobs", () => {
  it("an administrator runs the summary refresh on demand: recorded, audited, listed", async () => {
    const run = await admin().ops.runJob({ job: "refresh-course-summary" });
    expect(run).toMatchObject({
      job: "refresh-course-summary",
      trigger: "manual",
      outcome: "succeeded",
      requestedBy: ids.admin,
      // C1, C2, C4, C5 are published (C3 is a draft).
      rowsTouched: 4,
      error: null,
    });
    expect(run.durationMs).toBeGreaterThanOrEqual(0);

    const audit = await queryRows<{ action: string; target_id: string; actor_user_id: string; run_id: number }>(
      database.db,
      sql`select action, target_id, actor_user_id, (details->>'runId')::int as run_id
            from audit_log where institution_id = ${ids.northwind} and target_type = 'job'`,
    );
    expect(audit).toEqual([
      { action: "job.run", target_id: "refresh-course-summary", actor_user_id: ids.admin, run_id: run.id },
    ]);

    const listed = await admin().ops.jobs({ limit: 10 });
    expect(listed.runs.map((r) => r.id)).toEqual([run.id]);
    expect(listed.pagination).toEqual({ page: 1, limit: 10, total: 1, hasMore: false });
    const summaryJob = listed.jobs.find((j) => j.job === "refresh-course-summary");
    expect(summaryJob).toMatchObject({ schedule: "0 */6 * * *", timezone: "UTC", onDemand: "admin" });
    expect(summaryJob?.lastRun?.id).toBe(run.id);
    expect(summaryJob?.nextRunAt?.getUTCMinutes()).toBe(0);
    expect((summaryJob?.nextRunAt?.getUTCHours() ?? 1) % 6).toBe(0);
    expect(listed.jobs.map((j) => j.job)).toEqual([
      "refresh-course-summary",
      "rollup-course-analytics",
      "progress-partitions",
      "retention",
    ]);
  });

  it("pages through runs newest first, with a total past the end", async () => {
    for (const hour of [1, 2, 3]) {
      await database.db.execute(
        sql`insert into job_runs (job, scheduled_for, trigger, runner, started_at, outcome)
            values ('progress-partitions', ${`2026-11-2${hour}T00:00:00Z`}::timestamptz, 'schedule', 'test',
                    ${`2026-11-2${hour}T00:00:01Z`}::timestamptz, 'succeeded')`,
      );
    }
    const first = await admin().ops.jobs({ limit: 2 });
    expect(first.runs.map((r) => r.scheduledFor.toISOString())).toEqual([
      "2026-11-23T00:00:00.000Z",
      "2026-11-22T00:00:00.000Z",
    ]);
    expect(first.pagination).toEqual({ page: 1, limit: 2, total: 3, hasMore: true });
    const past = await admin().ops.jobs({ page: 5, limit: 2 });
    expect(past.runs).toEqual([]);
    expect(past.pagination).toEqual({ page: 5, limit: 2, total: 3, hasMore: false });
    const filtered = await admin().ops.jobs({ job: "refresh-course-summary" });
    expect(filtered.pagination.total).toBe(0);
  });

  it("a second run while one is going is a CONFLICT", async () => {
    await database.db.execute(
      sql`insert into job_runs (job, scheduled_for, trigger, runner) values ('progress-partitions', now(), 'schedule', 'elsewhere')`,
    );
    await expect(admin().ops.runJob({ job: "progress-partitions" })).rejects.toMatchObject({ code: "CONFLICT" });
  });
});

describe("ops.indexUsage", () => {
  it("reports a redundant index (a prefix of another) and an unused one, with sizes", async () => {
    // enrollments_student_id_status_idx-like prefixes exist in the schema; this one is a plain
    // prefix of the unique (student_id, course_id) key, so it is redundant by construction.
    await database.db.execute(sql`create index ops_test_redundant_idx on enrollments (student_id)`);
    try {
      const usage = await admin().ops.indexUsage({});
      const redundant = usage.redundant.find((r) => r.index === "ops_test_redundant_idx");
      expect(redundant).toMatchObject({ table: "enrollments", duplicate: false, enforcesConstraint: false });
      expect(redundant?.coveredByDefinition).toMatch(/ON public\.enrollments USING btree \(student_id[,)]/);
      expect(redundant?.sizeBytes).toBeGreaterThan(0);
      // Never scanned yet.
      expect(usage.unused.find((u) => u.index === "ops_test_redundant_idx")).toMatchObject({ scans: 0 });
      // A unique index is never called redundant because a wider one exists.
      expect(usage.redundant.filter((r) => r.index.endsWith("_pkey"))).toEqual([]);
    } finally {
      await database.db.execute(sql`drop index ops_test_redundant_idx`);
    }
  });
});

describe("ops.partitions", () => {
  it("lists progress_history's partitions with bounds and sizes, the default last", async () => {
    const { partitions, totalBytes } = await admin().ops.partitions();
    expect(partitions.length).toBeGreaterThanOrEqual(2);
    expect(partitions.at(-1)).toMatchObject({ name: "progress_history_default", isDefault: true, from: null });
    const monthly = partitions.filter((p) => !p.isDefault);
    expect(monthly.every((p) => /^progress_history_y\d{4}m\d{2}$/.test(p.name))).toBe(true);
    expect(totalBytes).toBe(partitions.reduce((sum, p) => sum + p.bytes, 0));
  });
});
