import type { Database } from "@coursebase/db";
import { type CourseAnalyticsInput, getCourseAnalytics } from "@coursebase/db/queries/analytics";
import { getStudentDashboard } from "@coursebase/db/queries/dashboard";
import { type SearchCoursesInput, searchCourses } from "@coursebase/db/queries/search";
import type { createCaller } from "@coursebase/server";
import type { CoursebaseClient } from "@coursebase/server/client";
import type postgres from "postgres";
import { guideCourseAnalytics } from "./guide/analytics.ts";
import { guideDashboard } from "./guide/dashboard.ts";
import { guideSearchCourses } from "./guide/search.ts";
import type { Samples, Scoped } from "./samples.ts";

export type Caller = ReturnType<typeof createCaller>;

/** The operations `--only` can pick. */
export const OPERATION_KEYS = ["dashboard", "analytics", "search", "filters", "progress", "ingestion"] as const;
export type OperationKey = (typeof OPERATION_KEYS)[number];

/**
 * A read procedure, the four ways it is called: through the in-process caller (the API), as
 * the router calls its query function (to capture the bare statements), as the guide's code,
 * and through the typed HTTP client.
 */
export interface ReadOperation<I = unknown> {
  key: OperationKey;
  /** As reported: the procedure path, plus what varies. */
  label: string;
  procedure: string;
  targetMs: number;
  /** Whether the router caches it (cold/warm figures are measured for these). */
  cached: boolean;
  inputs: Scoped<I>[];
  api(caller: Caller, input: I): Promise<unknown>;
  query(db: Database, scoped: Scoped<I>): Promise<unknown>;
  guide(sql: postgres.Sql, scoped: Scoped<I>): Promise<unknown>;
  client(client: CoursebaseClient, input: I): Promise<unknown>;
}

const search = (
  key: OperationKey,
  label: string,
  targetMs: number,
  inputs: Scoped<SearchCoursesInput>[],
): ReadOperation<SearchCoursesInput> => ({
  key,
  label,
  procedure: "search.courses",
  targetMs,
  cached: false,
  inputs,
  api: (caller, input) => caller.search.courses(input),
  // As routers/search.ts calls it: the caller's institution forced into the input.
  query: (db, { institutionId, input }) => searchCourses(db, { ...input, institutionId }),
  guide: (sql, { institutionId, input }) => guideSearchCourses(sql, { ...input, institutionId }),
  client: (client, input) => client.search.courses.query(input),
});

export function readOperations(samples: Samples): ReadOperation[] {
  const dashboard: ReadOperation<{ studentId: string }> = {
    key: "dashboard",
    label: "dashboard.student",
    procedure: "dashboard.student",
    targetMs: 2,
    cached: true,
    inputs: samples.dashboard,
    api: (caller, input) => caller.dashboard.student(input),
    query: (db, { institutionId, input }) => getStudentDashboard(db, input, { institutionId }),
    guide: (sql, { input }) => guideDashboard(sql, input.studentId),
    client: (client, input) => client.dashboard.student.query(input),
  };
  const analytics: ReadOperation<CourseAnalyticsInput> = {
    key: "analytics",
    label: "analytics.course (90 days)",
    procedure: "analytics.course",
    targetMs: 5,
    cached: true,
    inputs: samples.analytics,
    api: (caller, input) => caller.analytics.course(input),
    query: (db, { institutionId, input }) => getCourseAnalytics(db, input, { institutionId }),
    guide: (sql, { input }) => guideCourseAnalytics(sql, input),
    client: (client, input) => client.analytics.course.query(input),
  };
  return [
    dashboard,
    analytics,
    search("search", "search.courses (query)", 10, samples.searchQuery),
    search("filters", "search.courses (filters)", 5, samples.searchFilters),
  ] as ReadOperation[];
}
