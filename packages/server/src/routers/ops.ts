import { pageOffset, paginate, paginationInput } from "@coursebase/db/queries/pagination";
import { runtimeReport } from "../cache/runtime.ts";
import { jobsOpsProcedures } from "../jobs/procedures.ts";
import { activeMonitoring } from "../monitoring/index.ts";
import { adminProcedure, router } from "../trpc/init.ts";

/**
 * Operations views for administrators: the process's recent slow queries and alerts, newest
 * first (packages/server/src/monitoring). Statements carry `$n` placeholders and masked
 * literals, parameters only their type and size: nothing here is an institution's data.
 * `monitoring: false` means this process runs no monitor (lists are then empty).
 */
export const opsRouter = router({
  // jobs, runJob, indexUsage, partitions (packages/server/src/jobs/procedures.ts)
  ...jobsOpsProcedures,

  slowQueries: adminProcedure.input(paginationInput).query(({ input }) => {
    const monitoring = activeMonitoring();
    return {
      monitoring: monitoring !== undefined,
      thresholds: monitoring
        ? { slowQueryMs: monitoring.config.slowQueryMs, slowQueryAlertMs: monitoring.config.slowQueryAlertMs }
        : null,
      queries: monitoring?.slowQueries(pageOffset(input), input.limit) ?? [],
      pagination: paginate(input, monitoring?.slowQueryCount ?? 0),
    };
  }),

  // This process's pool usage, cache counters and hit rate, and start-up warming (cache/runtime.ts).
  runtime: adminProcedure.query(({ ctx }) => runtimeReport(ctx.services.cache)),

  alerts: adminProcedure.input(paginationInput).query(({ input }) => {
    const monitoring = activeMonitoring();
    return {
      monitoring: monitoring !== undefined,
      webhook: monitoring?.config.alertWebhookUrl !== undefined,
      alerts: monitoring?.alerts(pageOffset(input), input.limit) ?? [],
      pagination: paginate(input, monitoring?.alertCount ?? 0),
    };
  }),
});
