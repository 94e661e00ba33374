import { getStudentDashboard, studentDashboardInput } from "@coursebase/db/queries/dashboard";
import { TRPCError } from "@trpc/server";
import { roleProcedure, router } from "../trpc/init.ts";

export const dashboardRouter = router({
  // A student sees their own dashboard; an administrator any student's of the institution.
  // Reads the primary: a student's dashboard must show the progress they just recorded.
  student: roleProcedure("STUDENT", "ADMIN")
    .input(studentDashboardInput)
    .query(async ({ ctx, input }) => {
      if (ctx.principal.role === "STUDENT" && ctx.principal.userId !== input.studentId) {
        throw new TRPCError({ code: "FORBIDDEN", message: "studentId: students see only their own dashboard" });
      }
      const dashboard = await getStudentDashboard(ctx.db, input, { institutionId: ctx.principal.institutionId });
      if (!dashboard) throw new TRPCError({ code: "NOT_FOUND", message: "studentId: no such student" });
      return dashboard;
    }),
});
