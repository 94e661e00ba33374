import {
  createAssignment,
  createAssignmentInput,
  listAssignments,
  listAssignmentsInput,
  updateAssignment,
  updateAssignmentInput,
} from "@coursebase/db/queries/assignments";
import { TRPCError } from "@trpc/server";
import { roleProcedure, router } from "../trpc/init.ts";
import { actorOf, courseScopeOf, refusing } from "../trpc/refusal.ts";

const staffProcedure = roleProcedure("ADMIN", "INSTRUCTOR", "TEACHING_ASSISTANT");

export const assignmentsRouter = router({
  /** Administrators and the course's instructors and TAs. */
  create: staffProcedure
    .input(createAssignmentInput)
    .mutation(({ ctx, input }) =>
      refusing(() => createAssignment(ctx.db, input, courseScopeOf(ctx.principal), actorOf(ctx.principal))),
    ),

  update: staffProcedure
    .input(updateAssignmentInput)
    .mutation(({ ctx, input }) =>
      refusing(() => updateAssignment(ctx.db, input, courseScopeOf(ctx.principal), actorOf(ctx.principal))),
    ),

  /** Staff as above, and students enrolled in the course. */
  list: roleProcedure("ADMIN", "INSTRUCTOR", "TEACHING_ASSISTANT", "STUDENT")
    .input(listAssignmentsInput)
    .query(async ({ ctx, input }) => {
      const { principal } = ctx;
      const scope =
        principal.role === "STUDENT"
          ? { institutionId: principal.institutionId, studentId: principal.userId ?? undefined }
          : courseScopeOf(principal);
      if (principal.role === "STUDENT" && !principal.userId) {
        throw new TRPCError({ code: "FORBIDDEN", message: "This token does not act as a person" });
      }
      const result = await listAssignments(ctx.db, input, scope);
      if (!result) throw new TRPCError({ code: "NOT_FOUND", message: "courseId: no such course" });
      return result;
    }),
});
