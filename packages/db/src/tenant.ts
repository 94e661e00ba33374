import { sql } from "drizzle-orm";
import type { Database } from "./client.ts";

/** The role application queries run as: owns nothing, cannot bypass row-level security. */
export const APP_ROLE = "coursebase_app";

/**
 * Runs `work` in a transaction bound to one institution: as the application role, with
 * `app.institution_id` set for that transaction only (drizzle/0004_tenant_isolation.sql). Both
 * settings go in one statement, so tenancy costs BEGIN and COMMIT around the request's queries.
 * Pooled connections keep nothing afterwards: `set_config(..., true)` ends with the transaction.
 */
export function withTenant<T>(db: Database, institutionId: string, work: (tx: Database) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(
      sql`select set_config('role', ${APP_ROLE}, true), set_config('app.institution_id', ${institutionId}, true)`,
    );
    return work(tx as unknown as Database);
  });
}
