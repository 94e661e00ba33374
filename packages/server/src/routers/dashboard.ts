import { getStudentDashboard, studentDashboardInput } from "@coursebase/db/queries/dashboard";
import { TRPCError } from "@trpc/server";
import { cacheKeys } from "../cache/index.ts";
import { roleProcedure, router } from "../trpc/init.ts";

export const dashboardRouter = router({
  // A student sees their own dashboard; an administrator any student's of the institution.
  // Reads the primary: a student's dashboard must show the progress they just recorded
  // (progress.record invalidates the cached entry when it commits).
  student: roleProcedure("STUDENT", "ADMIN")
    .input(studentDashboardInput)
    .query(async ({ ctx, input }) => {
      const { institutionId, role, userId } = ctx.principal;
      if (role === "STUDENT" && userId !== input.studentId) {
        throw new TRPCError({ code: "FORBIDDEN", message: "studentId: students see only their own dashboard" });
      }
      const { cache } = ctx.services;
      const dashboard = await cache.getOrCompute(
        cacheKeys.studentDashboard(institutionId, input.studentId),
        cache.ttl.dashboardSeconds,
        () => getStudentDashboard(ctx.db, input, { institutionId }),
      );
      if (!dashboard) throw new TRPCError({ code: "NOT_FOUND", message: "studentId: no such student" });
      return dashboard;
    }),
});
