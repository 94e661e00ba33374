/**
 * Query monitoring at the driver: every statement of both drivers timed and published to
 * `onQuery` listeners (packages/server/src/monitoring logs, alerts and counts them), with
 * the statement text, never the bound values. `createDatabase` installs the hooks.
 */
export { type DatabaseRole, onQuery, type QueryEvent, type QueryListener } from "./events.ts";
export { instrumentPglite } from "./pglite.ts";
export { type PoolUsage, poolUsage } from "./pool.ts";
export { instrumentPostgres } from "./postgres.ts";
export { describeValue, redactParams } from "./redact.ts";
export { maskLiterals, type StatementSummary, summarizeStatement } from "./statement.ts";
