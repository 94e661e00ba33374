import { ProgressBatchRejected, recordProgress, recordProgressInput } from "@coursebase/db/queries/progress";
import { TRPCError } from "@trpc/server";
import { ZodRealError } from "zod";
import { cacheTags } from "../cache/index.ts";
import { roleProcedure, router } from "../trpc/init.ts";

export const progressRouter = router({
  /**
   * Batched progress ingestion. Administrators and institution-wide API tokens (imports from a
   * video platform, the LMS front end's sync) record anyone's progress in their institution; a
   * student records only their own.
   */
  record: roleProcedure("ADMIN", "STUDENT")
    .input(recordProgressInput)
    .mutation(async ({ ctx, input }) => {
      const { institutionId, role, userId } = ctx.principal;
      if (role === "STUDENT") {
        const foreign = input.updates.findIndex((update) => update.studentId !== userId);
        if (foreign !== -1) {
          throw new TRPCError({
            code: "FORBIDDEN",
            message: `updates.${foreign}.studentId: students record only their own progress`,
          });
        }
      }
      try {
        const result = await recordProgress(ctx.db, input, { institutionId });
        // The affected students' dashboards and courses' analytics, exactly, once committed.
        const tags = new Set(
          result.enrollments.flatMap((enrollment) => [
            cacheTags.student(institutionId, enrollment.studentId),
            cacheTags.course(institutionId, enrollment.courseId),
          ]),
        );
        ctx.afterCommit(() => ctx.services.cache.invalidate([...tags]));
        return result;
      } catch (error) {
        if (error instanceof ProgressBatchRejected) {
          // Reported like an input validation failure: "updates.3: student is not enrolled ...",
          // with data.issues naming each bad update. ZodRealError, not ZodError: only the former is an
          // Error, which TRPCError keeps as its cause (the error formatter reads the issues there).
          const issues = error.issues.map((issue) => ({
            code: "custom" as const,
            path: ["updates", issue.index],
            message: issue.message,
            input: input.updates[issue.index],
          }));
          throw new TRPCError({ code: "BAD_REQUEST", message: error.message, cause: new ZodRealError(issues) });
        }
        throw error;
      }
    }),
});
