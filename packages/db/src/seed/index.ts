import { sql } from "drizzle-orm";
import type { Database, DatabaseHandle } from "../client.ts";
import { queryRows } from "../execute.ts";
import { refreshCourseSummary } from "../queries/summary-refresh.ts";
import { BULK_TABLES, type DeferredObjects, deferConstraintsAndIndexes } from "./bulk-load.ts";
import { occupiedTables, SEED_TABLES, SeedRefusedError, type SeedTable, truncateAll } from "./guard.ts";
import { planSeed, type SeedOptions, type SeedPlan } from "./plan.ts";
import { Draw } from "./random.ts";
import {
  createAssignmentPlan,
  createSubmissionPlan,
  insertAssignments,
  insertGrades,
  insertSubmissions,
} from "./steps/assessments.ts";
import {
  insertCourseStaff,
  insertCourses,
  insertLessons,
  insertModules,
  insertPrerequisites,
} from "./steps/catalog.ts";
import { createHistoryPartitions, insertProgressHistory } from "./steps/history.ts";
import { insertEnrollments, insertLessonProgress } from "./steps/learning.ts";
import { insertDepartments, insertInstitutions, insertUsers } from "./steps/people.ts";
import {
  createCoursePlan,
  createEnrollmentPlan,
  createLessonPlan,
  createVocabularyTables,
} from "./steps/plan-tables.ts";

export { SEED_TABLES, SeedRefusedError, type SeedTable } from "./guard.ts";
export {
  COURSES_PER_SCALE,
  DEFAULT_SEED,
  DEMO_SCALE,
  MAX_SCALE,
  planSeed,
  type SeedOptions,
  type SeedPlan,
  STUDENTS_PER_SCALE,
  seedId,
  todayUtc,
} from "./plan.ts";

export interface SeedStep {
  /** What runs: a table name, or "plan", "indexes", ... */
  name: string;
  index: number;
  total: number;
  phase: "start" | "done";
  /** Rows written (tables only), when done. */
  rows?: number;
  /** Duration of the step, when done. */
  elapsedMs?: number;
}

export interface SeedDatabaseOptions extends SeedOptions {
  /** TRUNCATE every Coursebase table first (CASCADE). Without it a non-empty database is refused. */
  force?: boolean;
  /**
   * Build keys, indexes and foreign keys of the big tables after loading them (see
   * bulk-load.ts). Default true: faster on both engines (PGlite, demo scale: 12 s -> 5 s).
   */
  deferIndexes?: boolean;
  /**
   * VACUUM (ANALYZE) after the load, so that index-only scans work at once (what benchmarks
   * measure). Default: on PostgreSQL; on PGlite a plain ANALYZE (the demo does not need it).
   */
  vacuum?: boolean;
  onProgress?: (step: SeedStep) => void;
}

export interface SeedResult {
  plan: SeedPlan;
  rows: Record<SeedTable, number>;
  elapsedMs: number;
}

const vacuumStatement = `vacuum (analyze) ${SEED_TABLES.join(", ")}`;

async function vacuumAnalyze(handle: DatabaseHandle): Promise<void> {
  if (!handle.sql) {
    await handle.db.execute(sql.raw(vacuumStatement));
    return;
  }
  // A connection of its own, without the pool's statement_timeout (minutes at scale 10).
  const connection = await handle.sql.reserve();
  try {
    await connection.unsafe("set statement_timeout = 0");
    await connection.unsafe(vacuumStatement);
  } finally {
    await connection.unsafe("reset statement_timeout");
    connection.release();
  }
}

type Work = { name: string; run: (db: Database) => Promise<number | undefined> };

/**
 * The rollups' statement-level mark triggers (drizzle/0012_course_analytics_rollups.sql) on the
 * bulk tables. A load would make them collect every loaded row in a transition table only to
 * mark every (course, day) of the history; they are off during the load instead. Nothing is lost:
 * a course without rollups is read live by analytics.course and backfilled from its rows by the
 * next refreshCourseAnalyticsRollups run. (The seed does not run that refresh itself: rollup rows
 * carry generated ids and clock times, and the generator's output is deterministic.)
 */
async function setRollupMarkTriggers(db: Database, enabled: boolean): Promise<void> {
  const triggers = await queryRows<{ table: string; name: string }>(
    db,
    sql`select tgrelid::regclass::text as "table", tgname::text as name
          from pg_trigger
         where not tgisinternal and tgname like 'course\_analytics\_mark\_%'
           and tgrelid = any(array[${sql.join(
             BULK_TABLES.map((t) => sql`${t}::regclass`),
             sql`, `,
           )}]::oid[])`,
  );
  for (const t of triggers) {
    await db.execute(
      sql`alter table ${sql.raw(t.table)} ${sql.raw(enabled ? "enable" : "disable")} trigger ${sql.identifier(t.name)}`,
    );
  }
}

/**
 * Fills an empty database with the deterministic dataset of `options.scale`: same seed and
 * anchor, same rows (ids included), on PostgreSQL and PGlite alike. Set-based: one
 * INSERT ... SELECT per table over generate_series and small temporary plan tables, all in one
 * transaction, so a failure leaves the database as it was.
 */
export async function seedDatabase(handle: DatabaseHandle, options: SeedDatabaseOptions): Promise<SeedResult> {
  const plan = planSeed(options);
  const draw = new Draw(plan);
  const started = performance.now();
  const onProgress = options.onProgress ?? (() => {});
  const deferIndexes = options.deferIndexes ?? true;
  const rows = Object.fromEntries(SEED_TABLES.map((t) => [t, 0])) as Record<SeedTable, number>;
  let deferred: DeferredObjects | undefined;

  const table = (name: SeedTable, insert: (db: Database) => Promise<number>): Work => ({
    name,
    run: async (db) => {
      rows[name] = await insert(db);
      return rows[name];
    },
  });
  const step = (name: string, work: (db: Database) => Promise<unknown>): Work => ({
    name,
    run: async (db) => {
      await work(db);
      return undefined;
    },
  });

  const work: Work[] = [
    step("prepare", async (db) => {
      const occupied = await occupiedTables(db);
      if (occupied.length > 0) {
        if (!options.force) throw new SeedRefusedError(occupied);
        await truncateAll(db);
      }
      if (deferIndexes) deferred = await deferConstraintsAndIndexes(db, BULK_TABLES);
      await setRollupMarkTriggers(db, false);
    }),
    step("plan", async (db) => {
      await createVocabularyTables(db, plan, draw);
      await createCoursePlan(db, plan, draw);
      await createLessonPlan(db, draw);
      await createEnrollmentPlan(db, plan, draw);
      await createAssignmentPlan(db, draw);
      await createSubmissionPlan(db, draw);
    }),
    table("institutions", (db) => insertInstitutions(db, draw)),
    table("departments", (db) => insertDepartments(db, draw)),
    table("users", (db) => insertUsers(db, draw)),
    table("courses", (db) => insertCourses(db, draw)),
    table("course_staff", (db) => insertCourseStaff(db, draw)),
    table("course_prerequisites", (db) => insertPrerequisites(db, draw)),
    table("modules", (db) => insertModules(db, draw)),
    table("lessons", (db) => insertLessons(db, draw)),
    table("enrollments", (db) => insertEnrollments(db, draw)),
    table("lesson_progress", (db) => insertLessonProgress(db, draw)),
    step("history partitions", (db) => createHistoryPartitions(db, plan)),
    table("progress_history", (db) => insertProgressHistory(db)),
    table("assignments", (db) => insertAssignments(db)),
    table("submissions", (db) => insertSubmissions(db)),
    table("grades", (db) => insertGrades(db, draw)),
    step("indexes", async (db) => {
      await deferred?.restore(db);
      await setRollupMarkTriggers(db, true);
    }),
  ];
  const vacuum = options.vacuum ?? handle.driver === "postgres";
  if (!vacuum) work.push(step("analyze", (db) => db.execute(sql.raw(`analyze ${SEED_TABLES.join(", ")}`))));
  const total = work.length + (vacuum ? 1 : 0);

  const perform = async (db: Database, w: Work, index: number) => {
    onProgress({ name: w.name, index, total, phase: "start" });
    const t0 = performance.now();
    const written = await w.run(db);
    onProgress({
      name: w.name,
      index,
      total,
      phase: "done",
      elapsedMs: performance.now() - t0,
      ...(written === undefined ? {} : { rows: written }),
    });
  };

  await handle.db.transaction(async (tx) => {
    const db = tx as unknown as Database;
    // The pool's statement_timeout guards the API, not a bulk load of minutes.
    await db.execute(sql`set local statement_timeout = 0`);
    await db.execute(sql`set local synchronous_commit = off`);
    // JIT compiles each of these one-off statements for ~2 s and wins nothing back.
    await db.execute(sql`set local jit = off`);
    if (handle.driver === "postgres") {
      await db.execute(sql`set local maintenance_work_mem = '1GB'`);
      await db.execute(sql`set local work_mem = '256MB'`);
    }
    for (const [i, w] of work.entries()) await perform(db, w, i + 1);
  });

  if (vacuum) {
    // Outside the transaction (VACUUM cannot run in one): sets the visibility map that
    // index-only scans rely on, and refreshes statistics.
    await perform(
      handle.db,
      step("vacuum", () => vacuumAnalyze(handle)),
      total,
    );
  }

  // analytics.summary reads a materialized view: recompute it from the new rows (plain REFRESH:
  // nobody reads during a seed), else it keeps the contents of before the load.
  await refreshCourseSummary(handle.db, { concurrently: false });

  return { plan, rows, elapsedMs: performance.now() - started };
}
