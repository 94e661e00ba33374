import { withTenant } from "@coursebase/db";
import { createSession, getMe, getSignInCandidate, revokeSession, signInInput } from "@coursebase/db/queries/auth";
import { TRPCError } from "@trpc/server";
import { decoyPasswordHash, verifyPassword } from "../auth/passwords.ts";
import { TooManyAttempts } from "../auth/rate-limit.ts";
import { hashSecret, newSecret } from "../auth/secrets.ts";
import { SESSION_COOKIE, SESSION_TTL_SECONDS, sessionCookieOptions } from "../auth/session-cookie.ts";
import { authedProcedure, publicProcedure, router } from "../trpc/init.ts";

const invalidCredentials = () => new TRPCError({ code: "UNAUTHORIZED", message: "Email or password is incorrect" });

export const authRouter = router({
  /** Email + password -> a server-side session in an httpOnly cookie. */
  signIn: publicProcedure.input(signInInput).mutation(async ({ ctx, input }) => {
    try {
      await ctx.services.signInLimiter.attempt(input.email, ctx.request.ip);
    } catch (error) {
      if (error instanceof TooManyAttempts) throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: error.message });
      throw error;
    }
    const candidate = await getSignInCandidate(ctx.db, input.email);
    // Verify even without an account, so timing does not reveal which emails exist.
    const passwordOk = await verifyPassword(candidate?.passwordHash ?? (await decoyPasswordHash()), input.password);
    if (!candidate?.passwordHash || !passwordOk || !candidate.isActive) throw invalidCredentials();

    await ctx.services.signInLimiter.succeeded(input.email);
    const secret = newSecret("cbs");
    // Sign-in has no tenant until now: the session is written as the application role, bound
    // to the institution just verified.
    const me = await withTenant(ctx.db, candidate.institutionId, async (tx) => {
      await createSession(tx, {
        tokenHash: hashSecret(secret),
        userId: candidate.userId,
        institutionId: candidate.institutionId,
        expiresAt: new Date(Date.now() + SESSION_TTL_SECONDS * 1000),
      });
      return getMe(tx, candidate);
    });
    ctx.request.setCookie?.(
      SESSION_COOKIE,
      secret,
      sessionCookieOptions(ctx.request.secure ?? false, SESSION_TTL_SECONDS),
    );
    return me;
  }),

  /** Revokes the session server-side (a stolen copy of the cookie stops working too). */
  signOut: authedProcedure.mutation(async ({ ctx }) => {
    if (ctx.principal.kind === "session" && ctx.request.sessionSecret) {
      await revokeSession(ctx.db, hashSecret(ctx.request.sessionSecret));
    }
    ctx.request.setCookie?.(SESSION_COOKIE, "", sessionCookieOptions(ctx.request.secure ?? false, 0));
    return { signedOut: true };
  }),

  me: authedProcedure.query(({ ctx }) => getMe(ctx.db, ctx.principal)),
});
