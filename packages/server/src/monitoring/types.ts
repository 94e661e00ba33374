import type { DatabaseRole } from "@coursebase/db/monitoring/index";

/** Where monitoring writes: pino and Fastify's logger both fit. */
export interface MonitoringLogger {
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

/**
 * A statement slower than SLOW_QUERY_MS, as kept, logged and listed by `ops.slowQueries`: the
 * statement's text with literals masked and its bound values described, never their content.
 */
export interface SlowQuery {
  /** Unique within the process, increasing. */
  id: number;
  /** When its result (or error) arrived. */
  at: Date;
  durationMs: number;
  /** Waiting for a pooled connection first (postgres.js), not part of `durationMs`. */
  waitMs: number;
  /** "alert" when it also passed SLOW_QUERY_ALERT_MS. */
  severity: "warning" | "alert";
  database: DatabaseRole;
  driver: "postgres" | "pglite";
  /** First keyword, e.g. `select`, `insert`, `commit`. */
  operation: string;
  /** Main table of the schema, "other" or "none". */
  table: string;
  /** Groups runs of the same statement whatever their values. */
  fingerprint: string;
  /** `$n` placeholders; string literals masked; at most 4,000 characters. */
  statement: string;
  /** `$1: <uuid>`, `$2: <text 12 chars>`, ... */
  params: string[];
  ok: boolean;
  /** SQLSTATE when it failed (57014: cancelled by statement_timeout). */
  errorCode?: string;
  inTransaction: boolean;
}

/** Something an operator must look at now. Only slow queries raise alerts so far. */
export interface Alert {
  id: string;
  kind: "slow_query";
  severity: "critical";
  at: Date;
  /** One line, no data: "select on lesson_progress took 2315 ms (alert threshold 2000 ms)". */
  message: string;
  /** Alerts for the same statement held back by the cooldown since the previous one. */
  suppressed: number;
  query: SlowQuery;
}

/**
 * A destination for alerts (the log, a webhook, the in-memory list, a pager...). `send` must
 * not block: slow work returns a promise, which is awaited by nobody; a rejection is logged.
 */
export interface AlertSink {
  name: string;
  send(alert: Alert): void | Promise<void>;
}
