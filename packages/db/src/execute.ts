import type { SQL } from "drizzle-orm";
import type { Database } from "./client.ts";

/**
 * Runs a raw statement and returns its rows, whichever driver is underneath (postgres.js
 * returns an array, PGlite an object with `rows`). Parameters are always bound, never inlined.
 */
export async function queryRows<T>(db: Database, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as T[] | { rows: T[] };
  return Array.isArray(result) ? result : result.rows;
}

export async function queryOne<T>(db: Database, query: SQL): Promise<T | undefined> {
  const rows = await queryRows<T>(db, query);
  return rows[0];
}
