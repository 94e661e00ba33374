import { auditActorOf } from "@coursebase/db/queries/audit";
import {
  getApiToken,
  getTokenSubject,
  listApiTokens,
  revokeApiToken,
  tokenCreateInput,
  tokenListInput,
  tokenRevokeInput,
} from "@coursebase/db/queries/tokens";
import { TRPCError } from "@trpc/server";
import { mintApiToken } from "../auth/tokens.ts";
import { adminProcedure, router } from "../trpc/init.ts";

const DAY_MS = 86_400_000;

export const tokensRouter = router({
  /** The institution's API tokens (never their secrets or hashes). */
  list: adminProcedure.input(tokenListInput).query(({ ctx, input }) => listApiTokens(ctx.db, input, ctx.principal)),

  /** Mints a token; `token` is the secret, returned this once and stored only as a hash. Audited. */
  create: adminProcedure.input(tokenCreateInput).mutation(async ({ ctx, input }) => {
    if (input.role !== "ADMIN" && !input.userId) {
      throw new TRPCError({ code: "BAD_REQUEST", message: `userId: a ${input.role} token must act as a person` });
    }
    if (input.userId) {
      const subject = await getTokenSubject(ctx.db, input.userId);
      if (!subject) throw new TRPCError({ code: "NOT_FOUND", message: "userId: no such user" });
      if (!subject.isActive) throw new TRPCError({ code: "BAD_REQUEST", message: "userId: the user is deactivated" });
      if (subject.role !== input.role) {
        throw new TRPCError({
          code: "BAD_REQUEST",
          message: `userId: the user's role is ${subject.role}, not ${input.role}`,
        });
      }
    }
    const actor = auditActorOf(ctx.principal);
    // Inside this request's tenant transaction: mintApiToken's own becomes a savepoint of it.
    const minted = await mintApiToken(ctx.db, {
      institutionId: ctx.principal.institutionId,
      name: input.name,
      role: input.role,
      userId: input.userId ?? null,
      createdBy: { userId: actor.actorUserId, tokenId: actor.actorTokenId },
      expiresAt: input.expiresInDays ? new Date(Date.now() + input.expiresInDays * DAY_MS) : null,
    });
    // The record as tokens.list shows it (with Dates, the person and the creator).
    const record = await getApiToken(ctx.db, minted.record.id, ctx.principal);
    if (!record) throw new Error("the token just minted is not visible in its own transaction");
    return { token: minted.token, record };
  }),

  /** Revokes a token at once (idempotent). Audited when it was still usable. */
  revoke: adminProcedure.input(tokenRevokeInput).mutation(async ({ ctx, input }) => {
    const token = await revokeApiToken(ctx.db, input, auditActorOf(ctx.principal));
    if (!token) throw new TRPCError({ code: "NOT_FOUND", message: "tokenId: no such token" });
    return token;
  }),
});
