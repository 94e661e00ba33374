import {
  addModule,
  addModuleInput,
  moduleIdInput,
  removeModule,
  reorderModules,
  reorderModulesInput,
  updateModule,
  updateModuleInput,
} from "@coursebase/db/queries/content";
import { router } from "../trpc/init.ts";
import { editorOf, manageContentProcedure } from "./_manage.ts";

// A course's modules; administrators, and instructors of that course.
export const modulesRouter = router({
  add: manageContentProcedure
    .input(addModuleInput)
    .mutation(({ ctx, input }) => addModule(ctx.db, editorOf(ctx.principal), input)),
  update: manageContentProcedure
    .input(updateModuleInput)
    .mutation(({ ctx, input }) => updateModule(ctx.db, editorOf(ctx.principal), input)),
  remove: manageContentProcedure
    .input(moduleIdInput)
    .mutation(({ ctx, input }) => removeModule(ctx.db, editorOf(ctx.principal), input)),
  reorder: manageContentProcedure
    .input(reorderModulesInput)
    .mutation(({ ctx, input }) => reorderModules(ctx.db, editorOf(ctx.principal), input)),
});
