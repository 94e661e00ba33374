import type { SQL } from "drizzle-orm";
import type { Database } from "../client.ts";

/**
 * Executes one statement and returns the number of rows it wrote (postgres.js reports
 * `count`, PGlite `affectedRows`).
 */
export async function run(db: Database, statement: SQL): Promise<number> {
  const result = (await db.execute(statement)) as unknown as { count?: number | null; affectedRows?: number };
  return Number(result.count ?? result.affectedRows ?? 0);
}
