import type { TRPCDefaultErrorShape, TRPCError } from "@trpc/server";
import { ZodError } from "zod";

export interface InputIssue {
  /** Dotted path of the offending field, e.g. `updates.3.timeSpent`. */
  path: string;
  message: string;
}

/**
 * Turns validation failures into errors that name the field and the reason, and keeps
 * internals (SQL, stack traces) out of what the caller sees.
 */
export function formatError({
  shape,
  error,
}: {
  shape: TRPCDefaultErrorShape;
  error: TRPCError;
}): TRPCDefaultErrorShape & { data: { issues?: InputIssue[] } } {
  const { stack: _stack, ...data } = shape.data;
  if (error.cause instanceof ZodError) {
    const issues = error.cause.issues.map((issue) => ({
      path: issue.path.map(String).join(".") || "(input)",
      message: issue.message,
    }));
    return {
      ...shape,
      message: issues.map((issue) => `${issue.path}: ${issue.message}`).join("; "),
      data: { ...data, issues },
    };
  }
  if (error.code === "INTERNAL_SERVER_ERROR") {
    return { ...shape, message: "Internal server error", data };
  }
  return { ...shape, data };
}
