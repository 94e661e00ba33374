import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../client.ts";
import { queryOne, queryRows } from "../execute.ts";
import { PROGRESS_HISTORY_DEFAULT_PARTITION, PROGRESS_HISTORY_TABLE } from "../partitioned/progress-history.ts";

// Upkeep of progress_history's monthly partitions (drizzle/0008_progress_history.sql,
// docs/progress-history.md): create them ahead, list them, drop expired ones. Run as the owner
// (jobs, the generator, retention), not in a tenant transaction: DDL and the catalog are not
// the application role's. Every function serialises on one advisory lock, so two schedulers (or
// a job and the generator) never create or drop the same partition at once.

/** Months are UTC months: a partition is [first instant of the month UTC, first of the next). */
const PARTITION_LOCK = sql`select pg_advisory_xact_lock(hashtext('coursebase.progress_history.partitions'))`;

/** Partitions are cheap but not free (each has its indexes and catalog rows): ten years at most. */
export const MAX_MONTHS_AHEAD = 120;

export interface ProgressHistoryPartition {
  name: string;
  /** Lower bound (inclusive); null for the default partition. */
  from: Date | null;
  /** Upper bound (exclusive); null for the default partition. */
  to: Date | null;
  /** The planner's estimate (pg_class.reltuples after VACUUM/ANALYZE; 0 before the first). */
  rows: number;
  /** Table, indexes and TOAST. */
  bytes: number;
  isDefault: boolean;
}

export interface EnsurePartitionsOptions {
  /** The month of `now` and the `monthsAhead` following months get a partition. */
  now: Date;
  monthsAhead: number;
  /** Also every month from this one up to `now` (the generator back-fills past months). */
  from?: Date;
}

/** `progress_history_y2026m11` for November 2026 (UTC). */
export function progressHistoryPartitionName(month: Date): string {
  return `progress_history_y${month.getUTCFullYear()}m${String(month.getUTCMonth() + 1).padStart(2, "0")}`;
}

const monthStart = (date: Date) => new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1));
const addMonths = (month: Date, n: number) => new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + n, 1));

function isTransaction(db: Database): boolean {
  return typeof (db as unknown as { rollback?: unknown }).rollback === "function";
}

/** Runs `work` in the caller's transaction, or in a new one. */
function transactional<T>(db: Database, work: (tx: Database) => Promise<T>): Promise<T> {
  if (isTransaction(db)) return work(db);
  return db.transaction((tx) => work(tx as unknown as Database));
}

interface PartitionRow {
  name: string;
  fromMs: number | null;
  toMs: number | null;
  rows: number;
  bytes: number;
  isDefault: boolean;
}

/** Every partition of progress_history with its bounds (read from the catalog), size and row estimate. */
export async function listProgressHistoryPartitions(db: Database): Promise<ProgressHistoryPartition[]> {
  // pg_get_expr prints `FOR VALUES FROM ('2026-11-01 00:00:00+00') TO ('2026-12-01 00:00:00+00')`
  // (in the session's zone, with its offset) or `DEFAULT`; the literals cast back exactly.
  const rows = await queryRows<PartitionRow>(
    db,
    sql`
      select p.name, p.is_default as "isDefault",
             (extract(epoch from p.lower) * 1000)::float8 as "fromMs",
             (extract(epoch from p.upper) * 1000)::float8 as "toMs",
             p.rows, p.bytes
        from (
          select c.relname::text as name,
                 c.relpartbound is not null and pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT' as is_default,
                 substring(pg_get_expr(c.relpartbound, c.oid) from ${"FROM \\('([^']+)'\\)"})::timestamptz as lower,
                 substring(pg_get_expr(c.relpartbound, c.oid) from ${"TO \\('([^']+)'\\)"})::timestamptz as upper,
                 greatest(c.reltuples, 0)::float8 as rows,
                 pg_total_relation_size(c.oid)::float8 as bytes
            from pg_inherits i
            join pg_class c on c.oid = i.inhrelid
           where i.inhparent = to_regclass(${PROGRESS_HISTORY_TABLE})
        ) p
       order by p.is_default, p.lower, p.name`,
  );
  return rows.map((row) => ({
    name: row.name,
    from: row.fromMs === null ? null : new Date(row.fromMs),
    to: row.toMs === null ? null : new Date(row.toMs),
    rows: Number(row.rows),
    bytes: Number(row.bytes),
    isDefault: row.isDefault,
  }));
}

/**
 * Creates the monthly partitions that are missing: every month from `from` (default: the month
 * of `now`) to `monthsAhead` months after `now`, and every month that has rows in the default
 * partition. The rows of such a month are moved out of the default partition into the new one
 * in the same transaction (a partition cannot be created over a default partition that holds
 * rows of its range), so after an upkeep run the default partition is empty again and a
 * retention drop sees those rows in their month. Idempotent: returns the names it created.
 *
 * Each partition is created as a plain table, filled from the default partition, then attached:
 * ATTACH takes only SHARE UPDATE EXCLUSIVE on progress_history (CREATE ... PARTITION OF takes
 * ACCESS EXCLUSIVE), so concurrent progress.record calls keep writing to other months.
 */
export async function ensureProgressHistoryPartitions(
  db: Database,
  options: EnsurePartitionsOptions,
): Promise<{ created: string[] }> {
  if (Number.isNaN(options.now.getTime())) throw new RangeError("now must be a valid date");
  if (options.from && Number.isNaN(options.from.getTime())) throw new RangeError("from must be a valid date");
  if (!Number.isInteger(options.monthsAhead) || options.monthsAhead < 0 || options.monthsAhead > MAX_MONTHS_AHEAD) {
    throw new RangeError(`monthsAhead must be a whole number of months in 0..${MAX_MONTHS_AHEAD}`);
  }
  const first = monthStart(options.from && options.from < options.now ? options.from : options.now);
  const last = addMonths(monthStart(options.now), options.monthsAhead);

  return transactional(db, async (tx) => {
    await tx.execute(PARTITION_LOCK);
    const wanted = new Map<number, Date>();
    for (let month = first; month <= last; month = addMonths(month, 1)) wanted.set(month.getTime(), month);
    // Months stranded in the default partition (events outside every partition when they came).
    const stranded = await queryRows<{ monthMs: number }>(
      tx,
      sql`select distinct (extract(epoch from date_trunc('month', occurred_at at time zone 'UTC') at time zone 'UTC') * 1000)::float8 as "monthMs"
            from ${sql.identifier(PROGRESS_HISTORY_DEFAULT_PARTITION)}`,
    );
    const strandedMonths = new Set(stranded.map(({ monthMs }) => Number(monthMs)));
    for (const monthMs of strandedMonths) wanted.set(monthMs, new Date(monthMs));

    const existing = (await listProgressHistoryPartitions(tx)).filter((p) => !p.isDefault);
    const overlaps = (from: Date, to: Date) =>
      existing.some((p) => (p.from === null || p.from < to) && (p.to === null || p.to > from));

    const created: string[] = [];
    for (const month of [...wanted.values()].sort((a, b) => a.getTime() - b.getTime())) {
      const next = addMonths(month, 1);
      // A hand-made partition covering part of the month wins; ATTACH would refuse the overlap.
      if (overlaps(month, next)) continue;
      const name = progressHistoryPartitionName(month);
      await createMonthlyPartition(tx, name, month, next, strandedMonths.has(month.getTime()));
      created.push(name);
    }
    return { created };
  });
}

async function createMonthlyPartition(
  tx: Database,
  name: string,
  from: Date,
  to: Date,
  hasStrandedRows: boolean,
): Promise<void> {
  const table = sql.identifier(name);
  // Bounds of DDL cannot be bind parameters; these literals come from Dates we computed.
  const lower = sql.raw(`'${from.toISOString()}'`);
  const upper = sql.raw(`'${to.toISOString()}'`);
  await tx.execute(
    sql`create table ${table} (like ${sql.identifier(PROGRESS_HISTORY_TABLE)} including defaults including constraints)`,
  );
  // Inserts routed to the default partition wait until the attach is done, so none of this
  // month's rows can arrive there before the attach checks the default (it would refuse).
  await tx.execute(sql`lock table ${sql.identifier(PROGRESS_HISTORY_DEFAULT_PARTITION)} in exclusive mode`);
  if (hasStrandedRows) await moveFromDefaultPartition(tx, name, lower, upper);
  // ATTACH builds the partition's share of the parent's indexes and primary key.
  await tx.execute(
    sql`alter table ${sql.identifier(PROGRESS_HISTORY_TABLE)} attach partition ${table} for values from (${lower}) to (${upper})`,
  );
}

/** Moves the default partition's rows of [lower, upper) into the new (not yet attached) table. */
async function moveFromDefaultPartition(tx: Database, name: string, lower: SQL, upper: SQL): Promise<void> {
  const table = sql.identifier(name);
  await tx.execute(sql`
    with moved as (
      delete from ${sql.identifier(PROGRESS_HISTORY_DEFAULT_PARTITION)}
       where occurred_at >= ${lower}::timestamptz and occurred_at < ${upper}::timestamptz
      returning institution_id, event_id, student_id, lesson_id, course_id, time_spent, score,
                completed_at, occurred_at, recorded_at
    )
    insert into ${table} (institution_id, event_id, student_id, lesson_id, course_id, time_spent, score,
                          completed_at, occurred_at, recorded_at)
    select * from moved`);
}

/**
 * Retention: drops every monthly partition that ends at or before `cutoff` (all its rows are
 * older than the cutoff). Never the default partition, and never a partition that holds any
 * instant at or after the cutoff: rows are removed by whole months only, never by DELETE.
 * Returns the names dropped, oldest first.
 */
export async function dropProgressHistoryPartitionsBefore(db: Database, cutoff: Date): Promise<{ dropped: string[] }> {
  if (Number.isNaN(cutoff.getTime())) throw new RangeError("cutoff must be a valid date");
  return transactional(db, async (tx) => {
    await tx.execute(PARTITION_LOCK);
    const expired = (await listProgressHistoryPartitions(tx)).filter(
      (p) => !p.isDefault && p.from !== null && p.to !== null && p.to.getTime() <= cutoff.getTime(),
    );
    for (const partition of expired) await tx.execute(sql`drop table ${sql.identifier(partition.name)}`);
    return { dropped: expired.map((p) => p.name) };
  });
}

/** Events of the default partition (those outside every monthly partition), for ops and tests. */
export async function countProgressHistoryDefaultRows(db: Database): Promise<number> {
  const row = await queryOne<{ n: number }>(
    db,
    sql`select count(*)::int as n from ${sql.identifier(PROGRESS_HISTORY_DEFAULT_PARTITION)}`,
  );
  return Number(row?.n ?? 0);
}
