import { listProgressHistoryPartitions } from "@coursebase/db/queries/history";
import { latestJobRuns, listJobRuns, listJobRunsInput, runJobInput } from "@coursebase/db/queries/jobs";
import { getIndexUsage, indexUsageInput } from "@coursebase/db/queries/ops";
import { TRPCError } from "@trpc/server";
import { maintenanceProcedure } from "../trpc/init.ts";
import { JOB_DEFINITIONS } from "./definitions.ts";
import { activeScheduler, schedulerFor } from "./index.ts";

/**
 * The ops procedures about jobs and the database's physical state, spread into routers/ops.ts
 * (`...jobsOpsProcedures`). All are maintenanceProcedure: ADMIN only, on the owner connection,
 * because job_runs and the statistics views are platform data the application role cannot
 * read, and a job must run outside any tenant transaction. None returns an institution's rows.
 */
export const jobsOpsProcedures = {
  /** Each job's schedule, next and last run, and the recent runs (shared pagination envelope). */
  jobs: maintenanceProcedure.input(listJobRunsInput).query(async ({ ctx, input }) => {
    const db = ctx.services.database.db;
    const scheduler = schedulerFor(ctx.services);
    const [page, latest] = await Promise.all([listJobRuns(db, input), latestJobRuns(db)]);
    return {
      /** Whether this process runs the schedule (false with JOBS=off). */
      enabled: activeScheduler() !== undefined,
      jobs: scheduler.schedules().map((schedule) => ({ ...schedule, lastRun: latest.get(schedule.job) ?? null })),
      runs: page.runs,
      pagination: page.pagination,
    };
  }),

  /**
   * Runs a job now, in this process, and returns its recorded run (a failed job is a run with
   * outcome "failed", not an error). CONFLICT while a run of the job is going anywhere.
   * Retention is refused (docs/jobs.md: one institution's admin does not delete the others' data).
   */
  runJob: maintenanceProcedure.input(runJobInput).mutation(async ({ ctx, input }) => {
    const definition = JOB_DEFINITIONS[input.job];
    if (definition.onDemand !== "admin") {
      throw new TRPCError({
        code: "FORBIDDEN",
        message: `job: ${input.job} runs on its schedule, or by an operator on the server (docs/jobs.md)`,
      });
    }
    if (!definition.available) {
      throw new TRPCError({ code: "PRECONDITION_FAILED", message: `job: ${input.job} is not available in this build` });
    }
    const { principal } = ctx;
    const execution = await schedulerFor(ctx.services).runNow(input.job, {
      requestedBy: principal.userId,
      audit: {
        institutionId: principal.institutionId,
        actorUserId: principal.userId,
        actorTokenId: principal.kind === "token" ? principal.tokenId : null,
        action: "job.run",
        targetType: "job",
        targetId: input.job,
      },
    });
    if (execution.status === "skipped") {
      throw new TRPCError({
        code: "CONFLICT",
        message: `job: a run of ${input.job} is already in progress (run ${execution.runId})`,
      });
    }
    return execution.run;
  }),

  /** Unused and redundant indexes (pg_stat_user_indexes and the catalog), with sizes. */
  indexUsage: maintenanceProcedure
    .input(indexUsageInput)
    .query(({ ctx, input }) => getIndexUsage(ctx.services.database.db, input)),

  /** progress_history's partitions with their bounds, estimated rows and sizes. */
  partitions: maintenanceProcedure.query(async ({ ctx }) => {
    const partitions = await listProgressHistoryPartitions(ctx.services.database.db);
    return { partitions, totalBytes: partitions.reduce((sum, p) => sum + p.bytes, 0) };
  }),
};
