import type { Principal } from "@coursebase/db/queries/auth";
import type { CourseScope } from "@coursebase/db/queries/enrollments";
import { type Actor, Refusal } from "@coursebase/db/queries/refusals";
import { TRPCError } from "@trpc/server";
import { ZodRealError } from "zod";

/**
 * Runs a query function and turns its Refusal (a workflow rule saying no; queries/refusals.ts)
 * into the tRPC error of the same code. A BAD_REQUEST also carries its field as a zod issue, so
 * it reads exactly like an input validation failure: message "courseId: prerequisites not
 * completed: ...", data.issues [{ path: "courseId", message: "prerequisites not completed: ..." }].
 */
export async function refusing<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    if (error.code === "BAD_REQUEST") {
      const separator = error.message.indexOf(": ");
      const path = separator > 0 ? error.message.slice(0, separator).split(".") : [];
      const reason = separator > 0 ? error.message.slice(separator + 2) : error.message;
      const issues = [{ code: "custom" as const, path, message: reason, input: undefined }];
      throw new TRPCError({ code: "BAD_REQUEST", message: error.message, cause: new ZodRealError(issues) });
    }
    throw new TRPCError({ code: error.code, message: error.message, cause: error });
  }
}

/** Who a write is attributed to in the audit trail. */
export function actorOf(principal: Principal): Actor {
  return {
    institutionId: principal.institutionId,
    userId: principal.userId,
    tokenId: principal.kind === "token" ? principal.tokenId : null,
  };
}

/**
 * The courses a caller manages: an administrator all of the institution's, an instructor or TA
 * those they teach. A staff role without a person behind it (a token) manages none.
 */
export function courseScopeOf(principal: Principal): CourseScope {
  if (principal.role === "ADMIN") return { institutionId: principal.institutionId };
  if (!principal.userId) throw new TRPCError({ code: "FORBIDDEN", message: "This token does not act as a person" });
  return { institutionId: principal.institutionId, staffUserId: principal.userId };
}
