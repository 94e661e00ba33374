import { searchCourses, searchCoursesInput } from "@coursebase/db/queries/search";
import { TRPCError } from "@trpc/server";
import { authedProcedure, router } from "../trpc/init.ts";

export const searchRouter = router({
  // The catalogue tolerates replica lag: read from the replica when one is configured.
  courses: authedProcedure
    .meta({ replica: true })
    .input(searchCoursesInput)
    .query(({ ctx, input }) => {
      const institutionId = ctx.principal.institutionId;
      if (input.institutionId && input.institutionId !== institutionId) {
        throw new TRPCError({ code: "FORBIDDEN", message: "institutionId: not your institution" });
      }
      return searchCourses(ctx.readDb, { ...input, institutionId });
    }),
});
