import { gradeSubmission, gradeSubmissionInput } from "@coursebase/db/queries/grades";
import { roleProcedure, router } from "../trpc/init.ts";
import { actorOf, courseScopeOf, refusing } from "../trpc/refusal.ts";

export const gradesRouter = router({
  /**
   * Administrators (people) and the course's instructors and TAs grade a submission; the
   * student's enrollment grade follows. No cached read shows grades, so nothing to invalidate.
   */
  grade: roleProcedure("ADMIN", "INSTRUCTOR", "TEACHING_ASSISTANT")
    .input(gradeSubmissionInput)
    .mutation(({ ctx, input }) =>
      refusing(() => gradeSubmission(ctx.db, input, courseScopeOf(ctx.principal), actorOf(ctx.principal))),
    ),
});
