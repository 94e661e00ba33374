import { auditActorOf } from "@coursebase/db/queries/audit";
import { getRetentionPolicy, retentionPolicyInput, setRetentionPolicy } from "@coursebase/db/queries/retention";
import { adminProcedure, router } from "../trpc/init.ts";

/**
 * The institution's retention policy. The `retention` job (applyRetention) applies every
 * institution's policy; these only read and set it.
 */
export const retentionRouter = router({
  get: adminProcedure.query(({ ctx }) => getRetentionPolicy(ctx.db, ctx.principal)),
  update: adminProcedure
    .input(retentionPolicyInput)
    .mutation(({ ctx, input }) => setRetentionPolicy(ctx.db, input, auditActorOf(ctx.principal))),
});
