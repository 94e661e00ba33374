import {
  type AnalyticsScope,
  courseAnalyticsInput,
  courseSummaryInput,
  getCourseAnalytics,
  getCourseSummary,
} from "@coursebase/db/queries/analytics";
import type { Principal } from "@coursebase/db/queries/auth";
import { getInstitutionAnalytics, institutionAnalyticsInput } from "@coursebase/db/queries/institution-analytics";
import { refreshCourseSummary, refreshCourseSummaryInput } from "@coursebase/db/queries/summary-refresh";
import { TRPCError } from "@trpc/server";
import { cacheKeys } from "../cache/index.ts";
import { maintenanceProcedure, roleProcedure, router } from "../trpc/init.ts";

// Administrators see their institution's courses; instructors and teaching assistants the
// courses they teach (lead instructor or course staff).
const analyticsProcedure = roleProcedure("ADMIN", "INSTRUCTOR", "TEACHING_ASSISTANT").meta({ replica: true });

function scopeOf(principal: Principal): AnalyticsScope {
  if (principal.role === "ADMIN") return { institutionId: principal.institutionId };
  if (!principal.userId) throw new TRPCError({ code: "FORBIDDEN", message: "This token does not act as a person" });
  return { institutionId: principal.institutionId, staffUserId: principal.userId };
}

// Analytics reads the replica when one is configured: a report may lag the primary by
// replication delay, and keeps its scans off the primary.
export const analyticsRouter = router({
  course: analyticsProcedure.input(courseAnalyticsInput).query(async ({ ctx, input }) => {
    const scope = scopeOf(ctx.principal);
    const { cache } = ctx.services;
    const { institutionId } = ctx.principal;
    // The viewer's staff scope is part of the key: an instructor's "not found" is not an admin's.
    const key = cacheKeys.courseAnalytics(institutionId, input.courseId, {
      start: input.start,
      end: input.end,
      staff: scope.staffUserId ?? null,
    });
    const analytics = await cache.getOrCompute(key, cache.ttl.analyticsSeconds, () =>
      getCourseAnalytics(ctx.readDb, input, scope),
    );
    if (!analytics) throw new TRPCError({ code: "NOT_FOUND", message: "courseId: no such course" });
    return analytics;
  }),

  // The institution's overview (admin app): administrators only, their own institution.
  institution: roleProcedure("ADMIN")
    .meta({ replica: true })
    .input(institutionAnalyticsInput)
    .query(async ({ ctx, input }) => {
      const analytics = await getInstitutionAnalytics(ctx.readDb, ctx.principal.institutionId, input);
      if (!analytics) throw new TRPCError({ code: "NOT_FOUND", message: "institution not found" });
      return analytics;
    }),

  summary: analyticsProcedure
    .input(courseSummaryInput)
    .query(({ ctx, input }) => getCourseSummary(ctx.readDb, input, scopeOf(ctx.principal))),

  // On demand, besides the schedule (not built yet). The view spans every institution, so the
  // refresh runs as the owner on the primary; the caller learns when it ran, how long it took and
  // the row count (all institutions' published courses: a figure, no names).
  refreshSummary: maintenanceProcedure
    .input(refreshCourseSummaryInput)
    .mutation(({ ctx, input }) => refreshCourseSummary(ctx.services.database.db, input)),
});
