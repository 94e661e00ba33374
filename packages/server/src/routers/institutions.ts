import {
  getInstitution,
  renameInstitution,
  renameInstitutionInput,
  updateInstitutionSettings,
  updateInstitutionSettingsInput,
} from "@coursebase/db/queries/institutions";
import { router } from "../trpc/init.ts";
import { actorOf, manageAdminProcedure } from "./_manage.ts";

// The caller's own institution. Creating one is a platform operator's act: pnpm cb:institution
// (packages/server/src/cli/institution.ts), never a tenant procedure.
export const institutionsRouter = router({
  get: manageAdminProcedure.query(({ ctx }) => getInstitution(ctx.db, ctx.principal.institutionId)),
  rename: manageAdminProcedure
    .input(renameInstitutionInput)
    .mutation(({ ctx, input }) => renameInstitution(ctx.db, actorOf(ctx.principal), input)),
  updateSettings: manageAdminProcedure
    .input(updateInstitutionSettingsInput)
    .mutation(({ ctx, input }) => updateInstitutionSettings(ctx.db, actorOf(ctx.principal), input)),
});
