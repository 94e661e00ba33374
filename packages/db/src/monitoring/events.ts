/** Which database a statement ran on: the primary, or the read replica (analytics, search). */
export type DatabaseRole = "primary" | "replica";

/**
 * One statement, timed by the driver hooks (postgres.ts, pglite.ts). It carries the statement
 * text (`$n` placeholders: values are bound separately) and never the bound values themselves:
 * only `redactedParams()`, which describes them by type and size.
 */
export interface QueryEvent {
  database: DatabaseRole;
  driver: "postgres" | "pglite";
  /** As sent to the server, e.g. `select ... where "id" = $1`. BEGIN/COMMIT/ROLLBACK included. */
  statement: string;
  paramCount: number;
  /** `$1: <uuid>`, `$2: <text 12 chars>`, ...: computed on demand (only slow queries need it). */
  redactedParams(): string[];
  /**
   * From when the server started on the statement to when its result (or error) arrived. On
   * postgres.js the wait for a pooled connection is excluded (it is `waitMs`); on PGlite, whose
   * single connection is serialised by a lock, the wait is included.
   */
  durationMs: number;
  /** Time spent waiting for a connection before the statement was sent (postgres.js). */
  waitMs: number;
  /** Wall-clock time the result arrived (epoch ms). */
  endedAt: number;
  ok: boolean;
  /** SQLSTATE of a failed statement (e.g. 57014: cancelled by statement_timeout). */
  errorCode?: string;
  /** Ran inside a transaction (or on a reserved connection). */
  inTransaction: boolean;
}

export type QueryListener = (event: QueryEvent) => void;

const listeners = new Set<QueryListener>();

/**
 * Subscribes to every statement run by databases made with `createDatabase` in this process
 * (slow-query log, metrics). Returns the unsubscribe. Listeners run synchronously when the
 * result arrives: keep them cheap, defer I/O.
 */
export function onQuery(listener: QueryListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function hasQueryListeners(): boolean {
  return listeners.size > 0;
}

/** Tells the listeners; one that throws must not fail the query nor starve the others. */
export function emitQuery(event: QueryEvent): void {
  for (const listener of listeners) {
    try {
      listener(event);
    } catch (error) {
      process.emitWarning(`query listener failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/** The SQLSTATE of a driver error (both drivers put it in `code`), if any. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
