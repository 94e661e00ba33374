import {
  listSubmissions,
  listSubmissionsInput,
  submitAssignment,
  submitInput,
} from "@coursebase/db/queries/submissions";
import { TRPCError } from "@trpc/server";
import { roleProcedure, router } from "../trpc/init.ts";
import { courseScopeOf, refusing } from "../trpc/refusal.ts";

export const submissionsRouter = router({
  /** A student submits their own work (a new attempt each time). */
  submit: roleProcedure("STUDENT")
    .input(submitInput)
    .mutation(({ ctx, input }) => {
      const { userId, institutionId } = ctx.principal;
      if (!userId) throw new TRPCError({ code: "FORBIDDEN", message: "This token does not act as a person" });
      return refusing(() => submitAssignment(ctx.db, input, { studentId: userId, institutionId }));
    }),

  /** Administrators and the course's staff see its submissions; a student only their own. */
  list: roleProcedure("ADMIN", "INSTRUCTOR", "TEACHING_ASSISTANT", "STUDENT")
    .input(listSubmissionsInput)
    .query(async ({ ctx, input }) => {
      const { principal } = ctx;
      let scope: Parameters<typeof listSubmissions>[2];
      if (principal.role === "STUDENT") {
        if (!principal.userId)
          throw new TRPCError({ code: "FORBIDDEN", message: "This token does not act as a person" });
        if (input.studentId && input.studentId !== principal.userId) {
          throw new TRPCError({ code: "FORBIDDEN", message: "studentId: students see only their own submissions" });
        }
        scope = { institutionId: principal.institutionId, studentId: principal.userId };
      } else {
        scope = courseScopeOf(principal);
      }
      const result = await listSubmissions(ctx.db, input, scope);
      if (!result) throw new TRPCError({ code: "NOT_FOUND", message: "courseId: no such course" });
      return result;
    }),
});
