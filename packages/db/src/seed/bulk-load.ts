import { sql } from "drizzle-orm";
import type { Database } from "../client.ts";
import { queryRows } from "../execute.ts";

/** The tables that get large; their keys, indexes and foreign keys are built after the load. */
export const BULK_TABLES = [
  "users",
  "lessons",
  "enrollments",
  "lesson_progress",
  "progress_history",
  "submissions",
  "grades",
] as const;

interface CatalogObject {
  kind: "foreign_key" | "key" | "index";
  name: string;
  table: string;
  definition: string;
}

export interface DeferredObjects {
  count: number;
  /** Rebuilds everything that was dropped, exactly as the catalog described it before. */
  restore(db: Database): Promise<void>;
}

/**
 * Drops the secondary indexes, foreign keys and primary/unique keys of `tables`, to rebuild
 * them once the rows are in: a sorted index build and one validating join per foreign key
 * instead of millions of random b-tree insertions and per-row trigger checks.
 *
 * Robustness: the definitions are read from the catalog (pg_get_indexdef /
 * pg_get_constraintdef) and replayed verbatim under the same names, so the result is exactly
 * what the migrations built, whatever they build. A key that a foreign key from some other
 * table depends on is left in place. Call it inside the seeding transaction: if anything fails,
 * the rollback brings every dropped object back.
 */
export async function deferConstraintsAndIndexes(db: Database, tables: readonly string[]): Promise<DeferredObjects> {
  const targets = sql`array[${sql.join(
    tables.map((t) => sql`${t}::regclass`),
    sql`, `,
  )}]::oid[]`;
  const objects = await queryRows<CatalogObject>(
    db,
    sql`
      with target as (select unnest(${targets}) as oid)
      select 'foreign_key' as kind, c.conname::text as name, c.conrelid::regclass::text as "table",
             pg_get_constraintdef(c.oid) as definition, 1 as step
        from pg_constraint c
       where c.contype = 'f' and c.conrelid in (select oid from target)
      union all
      select 'key', c.conname::text, c.conrelid::regclass::text, pg_get_constraintdef(c.oid), 2
        from pg_constraint c
       where c.contype in ('p', 'u') and c.conrelid in (select oid from target)
         and not exists (
           select from pg_constraint f
            where f.contype = 'f' and f.conindid = c.conindid and f.conrelid not in (select oid from target))
      union all
      select 'index', i.indexrelid::regclass::text, i.indrelid::regclass::text, pg_get_indexdef(i.indexrelid), 3
        from pg_index i
       where i.indrelid in (select oid from target)
         and not exists (select from pg_constraint c where c.conindid = i.indexrelid)
      order by step, "table", name`,
  );

  for (const o of objects) {
    const table = sql.raw(o.table);
    const name = sql.identifier(o.name);
    if (o.kind === "index") await db.execute(sql`drop index ${sql.raw(o.name)}`);
    else await db.execute(sql`alter table ${table} drop constraint ${name}`);
  }

  return {
    count: objects.length,
    async restore(target: Database) {
      // Keys first (foreign keys need them), then plain indexes, then foreign keys (validated).
      const order = { key: 0, index: 1, foreign_key: 2 } as const;
      const sorted = [...objects].sort((a, b) => order[a.kind] - order[b.kind]);
      for (const o of sorted) {
        // A partitioned table's index is described `ON ONLY parent` (no partition indexes);
        // rebuilt without ONLY, it cascades to every partition, as the migration built it.
        if (o.kind === "index") await target.execute(sql.raw(o.definition.replace(" ON ONLY ", " ON ")));
        else
          await target.execute(
            sql`alter table ${sql.raw(o.table)} add constraint ${sql.identifier(o.name)} ${sql.raw(o.definition)}`,
          );
      }
    },
  };
}
