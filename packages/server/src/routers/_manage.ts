import type { Principal } from "@coursebase/db/queries/auth";
import type { Editor } from "@coursebase/db/queries/courses";
import { type Actor, Refusal } from "@coursebase/db/queries/refusals";
import { TRPCError } from "@trpc/server";
import { authedProcedure } from "../trpc/init.ts";

// Procedures of the management routers (institutions, departments, users, courses, content):
// the query layer refuses with a Refusal (a rule, a conflict, a row not there) and these turn it
// into the tRPC error of the same code, its message naming the field. The refusal propagates
// as an error, so the tenant transaction rolls back: a refused write writes nothing.

const refusalsAsErrors = authedProcedure.use(async ({ next }) => {
  const result = await next();
  const cause = result.ok ? undefined : result.error.cause;
  if (cause instanceof Refusal) throw new TRPCError({ code: cause.code, message: cause.message, cause });
  return result;
});

/** Administrators of the caller's institution. */
export const manageAdminProcedure = refusalsAsErrors.use(({ ctx, next }) => {
  if (ctx.principal.role !== "ADMIN") {
    throw new TRPCError({ code: "FORBIDDEN", message: "This needs one of the roles: ADMIN" });
  }
  return next();
});

/** Administrators, and instructors for the courses they teach (checked by the query layer). */
export const manageContentProcedure = refusalsAsErrors.use(({ ctx, next }) => {
  if (ctx.principal.role !== "ADMIN" && ctx.principal.role !== "INSTRUCTOR") {
    throw new TRPCError({ code: "FORBIDDEN", message: "This needs one of the roles: ADMIN, INSTRUCTOR" });
  }
  if (ctx.principal.role === "INSTRUCTOR" && !ctx.principal.userId) {
    throw new TRPCError({ code: "FORBIDDEN", message: "This token does not act as a person" });
  }
  return next();
});

/** The audit trail's actor for a principal. */
export function actorOf(principal: Principal): Actor {
  return {
    institutionId: principal.institutionId,
    userId: principal.userId,
    tokenId: principal.kind === "token" ? principal.tokenId : null,
  };
}

/** The actor plus the role the course rules depend on. */
export function editorOf(principal: Principal): Editor {
  return { ...actorOf(principal), role: principal.role };
}
