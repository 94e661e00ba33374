import { getStudentDashboard, studentDashboardInput } from "@coursebase/db/queries/dashboard";
import { TRPCError } from "@trpc/server";
import { publicProcedure, router } from "../trpc/init.ts";

export const dashboardRouter = router({
  // Reads the primary: a student's dashboard must show the progress they just recorded.
  student: publicProcedure.input(studentDashboardInput).query(async ({ ctx, input }) => {
    const dashboard = await getStudentDashboard(ctx.db, input);
    if (!dashboard) throw new TRPCError({ code: "NOT_FOUND", message: "studentId: no such student" });
    return dashboard;
  }),
});
