import { sql } from "drizzle-orm";
import type { Database } from "../client.ts";
import { queryRows } from "../execute.ts";

/**
 * Every table of the schema, in load order. course_analytics is left empty (rollups fill it).
 * progress_history is the partitioned parent: TRUNCATE, VACUUM and counts reach its partitions.
 */
export const SEED_TABLES = [
  "institutions",
  "departments",
  "users",
  "courses",
  "course_staff",
  "course_prerequisites",
  "modules",
  "lessons",
  "enrollments",
  "lesson_progress",
  "progress_history",
  "assignments",
  "submissions",
  "grades",
  "course_analytics",
  "progress_event_keys",
] as const;

export type SeedTable = (typeof SEED_TABLES)[number];

export class SeedRefusedError extends Error {
  constructor(readonly occupied: string[]) {
    super(
      `refusing to seed: the database already has data (${occupied.join(", ")}). ` +
        "Use --force (option force: true) to TRUNCATE every Coursebase table first; this deletes all their rows.",
    );
    this.name = "SeedRefusedError";
  }
}

/** Tables of the schema that hold at least one row. */
export async function occupiedTables(db: Database): Promise<string[]> {
  const probes = SEED_TABLES.map(
    (table) => sql`select ${table}::text as name where exists (select from ${sql.identifier(table)})`,
  );
  const rows = await queryRows<{ name: string }>(db, sql.join(probes, sql` union all `));
  return rows.map((row) => row.name);
}

/**
 * Empties the schema's tables. CASCADE also empties any table that references them (later
 * additions such as tokens or audit rows hang off users and institutions), so a forced seed
 * never fails halfway on a foreign key.
 */
export async function truncateAll(db: Database): Promise<void> {
  await db.execute(
    sql`truncate ${sql.join(
      SEED_TABLES.map((table) => sql.identifier(table)),
      sql`, `,
    )} cascade`,
  );
}
