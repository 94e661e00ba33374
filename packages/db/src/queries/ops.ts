import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../client.ts";
import { queryOne, queryRows } from "../execute.ts";

/**
 * Catalog views for the health page (ops.indexUsage). They read PostgreSQL's statistics and
 * catalog, no institution's rows, and run on the owner connection (maintenanceProcedure): the
 * sizes of other institutions' data are a platform figure, not a tenant's.
 */

export const indexUsageInput = z.strictObject({
  /** Only indexes of at least this many bytes count as unused (tiny ones cost nothing). */
  minUnusedBytes: z.number().int().min(0, "must be 0 or more").default(0),
});
export type IndexUsageInput = z.input<typeof indexUsageInput>;

export interface UnusedIndex {
  table: string;
  index: string;
  /** idx_scan since the statistics were last reset. */
  scans: number;
  sizeBytes: number;
  /** Backs a primary key, unique or exclusion constraint: dropping it drops the guarantee. */
  enforcesConstraint: boolean;
  definition: string;
}

export interface RedundantIndex {
  table: string;
  /** The index whose key columns are a leading prefix of (or equal to) another's. */
  index: string;
  /** The index that serves every search `index` serves. */
  coveredBy: string;
  /** Same key columns, opclasses, predicate and method: an exact duplicate. */
  duplicate: boolean;
  sizeBytes: number;
  scans: number;
  enforcesConstraint: boolean;
  definition: string;
  coveredByDefinition: string;
}

export interface IndexUsage {
  /** When the counters behind `scans` started (null: never reset since the cluster was created). */
  statsSince: Date | null;
  /** Indexes never scanned since statsSince, largest first. */
  unused: UnusedIndex[];
  /** Indexes another index of the same table makes unnecessary, largest first. */
  redundant: RedundantIndex[];
}

interface UnusedRow {
  table: string;
  index: string;
  scans: number;
  size_bytes: number;
  enforces_constraint: boolean;
  definition: string;
}

interface RedundantRow extends UnusedRow {
  covered_by: string;
  duplicate: boolean;
  covered_by_definition: string;
}

/**
 * Unused indexes (pg_stat_user_indexes.idx_scan = 0) and redundant ones: on the same table,
 * with the same access method and predicate, index A is redundant when its key columns (and
 * their operator classes) are a leading prefix of index B's. A unique index is never reported
 * as covered by a wider one (the wider one does not enforce its uniqueness), and of two exact
 * duplicates only one is reported. A covering index counts only if the other index holds its
 * INCLUDE columns too (index-only scans). Expression indexes are compared on their expressions too.
 * Partitions' own indexes are left out: the partitioned index is what a person maintains.
 */
export async function getIndexUsage(db: Database, rawInput: IndexUsageInput = {}): Promise<IndexUsage> {
  const input = indexUsageInput.parse(rawInput);
  const since = await queryOne<{ stats_reset: Date | string | null }>(
    db,
    sql`select stats_reset from pg_stat_database where datname = current_database()`,
  );
  const unused = await queryRows<UnusedRow>(
    db,
    sql`select s.relname::text as "table", s.indexrelname::text as "index", s.idx_scan::float8 as scans,
               pg_relation_size(s.indexrelid)::float8 as size_bytes,
               exists (select from pg_constraint c where c.conindid = s.indexrelid) as enforces_constraint,
               pg_get_indexdef(s.indexrelid) as definition
          from pg_stat_user_indexes s
          join pg_class t on t.oid = s.relid
         where s.schemaname = 'public' and s.idx_scan = 0 and not t.relispartition
           and pg_relation_size(s.indexrelid) >= ${input.minUnusedBytes}
         order by size_bytes desc, "table", "index"`,
  );
  const redundant = await queryRows<RedundantRow>(
    db,
    sql`with idx as (
          select i.indexrelid, i.indrelid, i.indisunique, c.relam,
                 (string_to_array(i.indkey::text, ' ')::int2[])[1:i.indnkeyatts] as keys,
                 string_to_array(i.indkey::text, ' ')::int2[] as columns,
                 (string_to_array(i.indclass::text, ' ')::oid[])[1:i.indnkeyatts] as opclasses,
                 coalesce(pg_get_expr(i.indexprs, i.indrelid), '') as exprs,
                 coalesce(pg_get_expr(i.indpred, i.indrelid), '') as pred
            from pg_index i
            join pg_class c on c.oid = i.indexrelid
            join pg_class t on t.oid = i.indrelid
            join pg_namespace n on n.oid = t.relnamespace
           where n.nspname = 'public' and i.indisvalid and not t.relispartition
        )
        select t.relname::text as "table", ac.relname::text as "index", bc.relname::text as covered_by,
               (a.keys = b.keys and a.opclasses = b.opclasses) as duplicate,
               pg_relation_size(a.indexrelid)::float8 as size_bytes,
               coalesce(s.idx_scan, 0)::float8 as scans,
               exists (select from pg_constraint k where k.conindid = a.indexrelid) as enforces_constraint,
               pg_get_indexdef(a.indexrelid) as definition,
               pg_get_indexdef(b.indexrelid) as covered_by_definition
          from idx a
          join idx b on b.indrelid = a.indrelid and b.indexrelid <> a.indexrelid
                    and b.relam = a.relam and b.pred = a.pred and b.exprs = a.exprs
                    and cardinality(a.keys) <= cardinality(b.keys)
                    and a.keys = b.keys[1:cardinality(a.keys)]
                    and a.opclasses = b.opclasses[1:cardinality(a.opclasses)]
                    -- A covering index (INCLUDE) is only redundant if the other carries its columns too.
                    and a.columns <@ b.columns
          join pg_class t on t.oid = a.indrelid
          join pg_class ac on ac.oid = a.indexrelid
          join pg_class bc on bc.oid = b.indexrelid
          left join pg_stat_user_indexes s on s.indexrelid = a.indexrelid
         where (not a.indisunique or (b.indisunique and a.keys = b.keys))
           -- Of two exact duplicates report one: keep the unique one, else the older (lower oid).
           and not (a.keys = b.keys and a.opclasses = b.opclasses and a.indisunique = b.indisunique
                    and a.indexrelid < b.indexrelid)
           and not (a.keys = b.keys and a.opclasses = b.opclasses and a.indisunique and not b.indisunique)
         order by size_bytes desc, "table", "index"`,
  );
  const toDate = (value: Date | string | null | undefined) =>
    value === null || value === undefined ? null : value instanceof Date ? value : new Date(value);
  return {
    statsSince: toDate(since?.stats_reset),
    unused: unused.map((row) => ({
      table: row.table,
      index: row.index,
      scans: Number(row.scans),
      sizeBytes: Number(row.size_bytes),
      enforcesConstraint: row.enforces_constraint,
      definition: row.definition,
    })),
    redundant: redundant.map((row) => ({
      table: row.table,
      index: row.index,
      coveredBy: row.covered_by,
      duplicate: row.duplicate,
      sizeBytes: Number(row.size_bytes),
      scans: Number(row.scans),
      enforcesConstraint: row.enforces_constraint,
      definition: row.definition,
      coveredByDefinition: row.covered_by_definition,
    })),
  };
}
