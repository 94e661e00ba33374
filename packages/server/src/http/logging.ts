import { type FastifyBaseLogger, type FastifyReply, type FastifyRequest, LogController } from "fastify";
import pino, { type Logger } from "pino";

/**
 * Logs carry no personal data: requests are logged by method and path only (tRPC GET calls
 * carry their input in the query string), never bodies, headers or client addresses; errors
 * by type, code, message and stack, never the values a failed query was bound to.
 */

interface SafeError {
  [key: string]: unknown;
  type: string;
  message: string;
  stack: string;
  code?: string;
  query?: string;
  cause?: SafeError;
}

/** The part of a URL that names a resource: no query string, no fragment. */
export function pathOf(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

// Drizzle's DrizzleQueryError puts the bound values in its message ("Failed query: ...\nparams: ...").
function withoutParams(message: string): string {
  return message.replace(/\nparams: [\s\S]*$/, "");
}

// PostgreSQL's data exceptions (SQLSTATE class 22) quote the offending input in their message:
// `invalid input syntax for type integer: "ada@example.edu"`.
function withoutQuotedInput(message: string, code: string | undefined): string {
  return code?.startsWith("22") ? message.replace(/"(?:[^"]|"")*"/g, '"[redacted]"') : message;
}

/**
 * Whitelists what an error may say in a log line: never `detail` (PostgreSQL's
 * "Key (email)=(...)"), the bound parameters, or the input a data exception quotes.
 */
export function safeError(error: unknown, depth = 0): SafeError {
  if (!(error instanceof Error)) return { type: typeof error, message: "non-error thrown", stack: "" };
  const record = error as Error & { code?: unknown; query?: unknown };
  const code = typeof record.code === "string" ? record.code : undefined;
  const safe: SafeError = {
    type: error.name || error.constructor.name,
    message: withoutQuotedInput(withoutParams(error.message), code),
    // The stack's first line repeats the message: keep only the frames.
    stack: (error.stack ?? "")
      .split("\n")
      .filter((line) => line.trimStart().startsWith("at "))
      .join("\n"),
  };
  if (code) safe.code = code;
  // The SQL text has $n placeholders, not values.
  if (typeof record.query === "string") safe.query = record.query;
  if (error.cause !== undefined && depth < 3) safe.cause = safeError(error.cause, depth + 1);
  return safe;
}

/** Serializers that keep personal data out: the request by method and path, errors whitelisted. */
export const safeSerializers = {
  req: (request: { method: string; url: string }) => ({ method: request.method, path: pathOf(request.url) }),
  res: (reply: { statusCode: number }) => ({ statusCode: reply.statusCode }),
  err: safeError,
};

/**
 * The HTTP server's logger: the process logger (services.logger, so one level and one stream)
 * with the safe serializers, or, given a stream, a logger of its own writing there (tests).
 */
export function httpLogger(
  base: Logger,
  options: { level?: string; stream?: { write(line: string): void } },
): FastifyBaseLogger {
  if (options.stream) {
    return pino({ level: options.level ?? base.level, serializers: safeSerializers }, options.stream);
  }
  return base.child({}, { serializers: safeSerializers, ...(options.level ? { level: options.level } : {}) });
}

/** One line per request, written when it completes: method, path, status, duration. */
export class RequestLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = {
      method: request.method,
      path: pathOf(request.url),
      statusCode: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (error) reply.log.error({ ...line, err: error }, "request failed");
    else reply.log.info(line, "request");
  }
}
