import { sql } from "drizzle-orm";
import type { Database } from "./client.ts";

/** The role application queries run as: owns nothing, cannot bypass row-level security. */
export const APP_ROLE = "coursebase_app";

/** Both settings in one statement; `true`: local to the transaction (pooled connections keep nothing). */
const SET_TENANT = "select set_config('role', $1, true), set_config('app.institution_id', $2, true)";

/** A postgres.js query object: lazy until `execute()` (or `then`) sends it. */
interface PendingQuery extends PromiseLike<unknown> {
  execute(): PendingQuery;
}
interface PostgresScope {
  unsafe(text: string, params: unknown[]): PendingQuery;
}

/**
 * The postgres.js transaction scope behind a Drizzle transaction, or undefined on PGlite. Drizzle
 * keeps it as `session.client` (drizzle-orm/postgres-js/session.js); PGlite's transaction object
 * has no `unsafe`.
 */
function postgresScope(tx: Database): PostgresScope | undefined {
  const client = (tx as unknown as { session?: { client?: { unsafe?: unknown } } }).session?.client;
  return typeof client?.unsafe === "function" ? (client as PostgresScope) : undefined;
}

/**
 * Runs `work` in a transaction bound to one institution: as the application role, with
 * `app.institution_id` set for that transaction only (drizzle/0004_tenant_isolation.sql).
 *
 * On postgres.js the settings are pipelined with the work's first statement: `set_config` is sent
 * (`execute()`) but not awaited, and postgres.js writes the next statements of the transaction
 * behind it on the same connection, in order. PostgreSQL runs them in that order, so no statement
 * of `work` can run before the tenant is set; and if `set_config` fails, the transaction is
 * aborted, every later statement fails ("current transaction is aborted", 25P02) and postgres.js
 * rolls back and rethrows the `set_config` error (its transaction scope records the first error
 * of a statement nobody awaited). Awaiting it at the end makes a `work` that sent no statement
 * fail too. A request then costs BEGIN, one flight (settings + statement), COMMIT: three round
 * trips instead of four (tests/auth/tenant-pipeline.test.ts).
 *
 * On PGlite (one in-process connection, no network) the settings are simply awaited first.
 */
export function withTenant<T>(db: Database, institutionId: string, work: (tx: Database) => Promise<T>): Promise<T> {
  return db.transaction(async (transaction) => {
    const tx = transaction as unknown as Database;
    const scope = postgresScope(tx);
    if (!scope) {
      await tx.execute(
        sql`select set_config('role', ${APP_ROLE}, true), set_config('app.institution_id', ${institutionId}, true)`,
      );
      return work(tx);
    }
    const tenantSet = scope.unsafe(SET_TENANT, [APP_ROLE, institutionId]).execute();
    let result: T;
    try {
      result = await work(tx);
    } catch (error) {
      // When the settings failed, the work's own error is only "transaction aborted": report the cause.
      await tenantSet;
      throw error;
    }
    await tenantSet;
    return result;
  });
}
