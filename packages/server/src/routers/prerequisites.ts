import { addPrerequisite, prerequisiteInput, removePrerequisite } from "@coursebase/db/queries/prerequisites";
import { router } from "../trpc/init.ts";
import { editorOf, manageAdminProcedure } from "./_manage.ts";

// Curriculum rules are the institution's: administrators only.
export const prerequisitesRouter = router({
  add: manageAdminProcedure
    .input(prerequisiteInput)
    .mutation(({ ctx, input }) => addPrerequisite(ctx.db, editorOf(ctx.principal), input)),
  remove: manageAdminProcedure
    .input(prerequisiteInput)
    .mutation(({ ctx, input }) => removePrerequisite(ctx.db, editorOf(ctx.principal), input)),
});
