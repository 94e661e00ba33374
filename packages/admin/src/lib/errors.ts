import type { AppRouter } from "@coursebase/server";
import { TRPCClientError } from "@trpc/client";

type ApiError = TRPCClientError<AppRouter>;

export function isApiError(error: unknown): error is ApiError {
  return error instanceof TRPCClientError;
}

/** The tRPC code of a server answer (UNAUTHORIZED, FORBIDDEN, ...), undefined for a network failure. */
export function errorCode(error: unknown): string | undefined {
  return isApiError(error) ? error.data?.code : undefined;
}

/** A procedure this server does not have (an older server than the app, or a feature not built). */
export function isMissingProcedure(error: unknown): boolean {
  return errorCode(error) === "NOT_FOUND" && /no procedure found/i.test((error as Error).message);
}

/**
 * What went wrong, in words a person can act on. The server's own message is kept where it is
 * written for people (refusals, validation: "end: must be on or after start"); transport and
 * internal failures get a sentence instead of a stack of jargon.
 */
export function describeError(error: unknown): string {
  if (!isApiError(error)) {
    return error instanceof Error && error.message ? error.message : "Something unexpected went wrong.";
  }
  const code = error.data?.code;
  const message = error.message;
  if (!code) {
    // No tRPC envelope: the request never reached the API or the answer was not the API's.
    if (/fetch|network|load failed/i.test(message)) {
      return "Coursebase cannot be reached. Check your connection or whether the server is running, then try again.";
    }
    return `The server sent an answer this app cannot read (${message}).`;
  }
  switch (code) {
    case "UNAUTHORIZED":
      return /sign in or send/i.test(message) ? "Your session has ended. Please sign in again." : message;
    case "FORBIDDEN":
      return `Your role does not allow this. ${humanise(message)}`;
    case "NOT_FOUND":
      if (isMissingProcedure(error)) return "This server does not offer this feature yet.";
      return humanise(message);
    case "BAD_REQUEST": {
      const issues = error.data && "issues" in error.data ? error.data.issues : undefined;
      if (issues?.length)
        return `Please check: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ")}.`;
      return humanise(message);
    }
    case "TOO_MANY_REQUESTS":
      return `Too many attempts. ${humanise(message)}`;
    case "TIMEOUT":
      return "The server took too long to answer. Try again in a moment.";
    case "INTERNAL_SERVER_ERROR":
      return "Something went wrong on the server. Try again; if it keeps happening, tell your system administrator.";
    default:
      return humanise(message);
  }
}

/** "courseId: no such course" -> "Course: no such course" (field names read as words). */
function humanise(message: string): string {
  const text = message.replace(/^([a-z][A-Za-z0-9]*)(\.\d+)?(\.[A-Za-z]+)?:/, (_all, field: string) => {
    const words = field
      .replace(/Id$/, "")
      .replace(/([A-Z])/g, " $1")
      .toLowerCase();
    return `${words.charAt(0).toUpperCase()}${words.slice(1)}:`;
  });
  return text.endsWith(".") ? text : `${text}.`;
}
