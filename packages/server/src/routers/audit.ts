import { auditListInput, InvalidAuditCursor, listAudit } from "@coursebase/db/queries/audit";
import { TRPCError } from "@trpc/server";
import { adminProcedure, router } from "../trpc/init.ts";

export const auditRouter = router({
  /** The institution's audit trail, newest first, filtered by actor, action, target and time. */
  list: adminProcedure.input(auditListInput).query(async ({ ctx, input }) => {
    try {
      return await listAudit(ctx.db, input, ctx.principal);
    } catch (error) {
      if (error instanceof InvalidAuditCursor) throw new TRPCError({ code: "BAD_REQUEST", message: error.message });
      throw error;
    }
  }),
});
