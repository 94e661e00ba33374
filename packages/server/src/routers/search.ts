import { searchCourses, searchCoursesInput } from "@coursebase/db/queries/search";
import { publicProcedure, router } from "../trpc/init.ts";

export const searchRouter = router({
  // The catalogue tolerates replica lag: read from the replica when one is configured.
  courses: publicProcedure.input(searchCoursesInput).query(({ ctx, input }) => searchCourses(ctx.readDb, input)),
});
