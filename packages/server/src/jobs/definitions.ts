import type { Database } from "@coursebase/db";
import { ensureProgressHistoryPartitions } from "@coursebase/db/queries/history";
import type { JobName } from "@coursebase/db/queries/jobs";
import { applyRetention } from "@coursebase/db/queries/retention";
import { refreshCourseAnalyticsRollups } from "@coursebase/db/queries/rollups";
import { refreshCourseSummary } from "@coursebase/db/queries/summary-refresh";
import { type Cache, cacheTags } from "../cache/index.ts";
import type { JobsConfig } from "./config.ts";

export interface JobContext {
  /** The owner connection: jobs work across institutions, outside any tenant transaction. */
  db: Database;
  /** When the run started (the job's notion of "now": cut-offs, months ahead). */
  now: Date;
  config: JobsConfig;
  /** The process's cache, when the job changes what cached answers show (retention). */
  cache?: Cache;
}

export interface JobResult {
  rowsTouched: number;
  /** Recorded with the run (job_runs.details): small, no personal data. */
  details?: Record<string, unknown>;
}

/**
 * Who may run a job on demand through `ops.runJob`:
 * - "admin": any institution's ADMIN. The job only recomputes derived data for every
 *   institution (idempotent, nothing lost, the same result as the schedule's next run); the
 *   cost is bounded because a job never runs twice at once (the claim), and the run is audited.
 * - "operator": nobody through the API. Retention deletes personal data of every institution;
 *   one institution's admin must not be able to set that off for the others. It runs on its
 *   schedule, or by an operator with shell access to the server: `tsx packages/server/src/jobs/cli.ts run retention`.
 */
export type OnDemand = "admin" | "operator";

export interface JobDefinition {
  name: JobName;
  description: string;
  onDemand: OnDemand;
  /** False when this build lacks the job's query function (then it is neither scheduled nor runnable). */
  available: boolean;
  run(context: JobContext): Promise<JobResult>;
}

export const JOB_DEFINITIONS: Record<JobName, JobDefinition> = {
  "refresh-course-summary": {
    name: "refresh-course-summary",
    description: "REFRESH MATERIALIZED VIEW CONCURRENTLY course_performance_summary (analytics.summary)",
    onDemand: "admin",
    available: true,
    async run({ db }) {
      const refresh = await refreshCourseSummary(db, { concurrently: true });
      return { rowsTouched: refresh.rows, details: { refreshedAt: refresh.refreshedAt.toISOString() } };
    },
  },
  "rollup-course-analytics": {
    name: "rollup-course-analytics",
    description: "Recompute the daily course_analytics rollups of the days that changed",
    onDemand: "admin",
    available: true,
    async run({ db, now }) {
      const refresh = await refreshCourseAnalyticsRollups(db, { now });
      return {
        rowsTouched: refresh.rows,
        details: {
          days: refresh.days,
          backfilledCourses: refresh.backfilledCourses,
          advancedCourses: refresh.advancedCourses,
          batches: refresh.batches,
          complete: refresh.complete,
        },
      };
    },
  },
  "progress-partitions": {
    name: "progress-partitions",
    description: "Create progress_history's monthly partitions ahead; move stranded rows out of the default partition",
    onDemand: "admin",
    available: true,
    async run({ db, now, config }) {
      const { created } = await ensureProgressHistoryPartitions(db, { now, monthsAhead: config.partitionMonthsAhead });
      return { rowsTouched: created.length, details: { created } };
    },
  },
  retention: {
    name: "retention",
    description: "Apply the data retention policy (delete or anonymise expired personal data, drop expired partitions)",
    onDemand: "operator",
    available: true,
    async run({ db, now, cache }) {
      const result = await applyRetention(db, { now });
      // Anonymised people must not linger in cached dashboards (the other processes' caches
      // expire by TTL; a shared Redis cache is cleared for all).
      const tags = result.institutions.flatMap((i) =>
        i.anonymisedUserIds.map((userId) => cacheTags.student(i.institutionId, userId)),
      );
      if (cache && tags.length > 0) await cache.invalidate(tags);
      return {
        rowsTouched: result.historyRowsDeleted + result.anonymisedUsers,
        details: {
          historyRowsDeleted: result.historyRowsDeleted,
          anonymisedUsers: result.anonymisedUsers,
          droppedPartitions: result.droppedPartitions,
          partitionCutoff: result.partitionCutoff.toISOString(),
          complete: result.complete,
        },
      };
    },
  },
};
