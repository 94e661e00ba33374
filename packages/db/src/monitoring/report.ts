import { type DatabaseRole, emitQuery, hasQueryListeners, sqlState } from "./events.ts";
import type { PoolTracker } from "./pool.ts";
import { redactParams } from "./redact.ts";

/** Where a statement runs: which database, and whether on a connection already held. */
export interface Scope {
  database: DatabaseRole;
  driver: "postgres" | "pglite";
  pool: PoolTracker;
  /** Inside a transaction or on a reserved connection: the connection is counted there, not per statement. */
  dedicated: boolean;
  inTransaction: boolean;
}

export interface Timing {
  durationMs: number;
  waitMs: number;
  ok: boolean;
  error?: unknown;
}

export function report(scope: Scope, statement: string, params: readonly unknown[], timing: Timing): void {
  if (!hasQueryListeners()) return;
  const errorCode = timing.ok ? undefined : sqlState(timing.error);
  emitQuery({
    database: scope.database,
    driver: scope.driver,
    statement,
    paramCount: params.length,
    redactedParams: () => redactParams(params),
    durationMs: timing.durationMs,
    waitMs: timing.waitMs,
    endedAt: Date.now(),
    ok: timing.ok,
    ...(errorCode ? { errorCode } : {}),
    inTransaction: scope.inTransaction,
  });
}
