import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createDatabase, databaseConfigFromEnv, migrationsFolder } from "@coursebase/db";
import { refreshCourseAnalyticsRollups } from "@coursebase/db/queries/rollups";
import { type SeedStep, seedDatabase, todayUtc } from "@coursebase/db/seed/index";
import postgres from "postgres";

/**
 * The benchmark's datasets: one PostgreSQL database per scale, `coursebase_bench_s<scale>`,
 * built once (migrate + generator + VACUUM ANALYZE) and reused by later runs. What a database
 * holds is written in its COMMENT (JSON, set only after a complete build), so a run can tell
 * whether it matches the requested scale, seed and migrations without counting rows; on a
 * mismatch (or no comment: a build that died half-way) the database is dropped and rebuilt.
 */

export interface DatasetMarker {
  scale: number;
  seed: string;
  /** Migrations in drizzle/meta/_journal.json when the dataset was built. */
  migrations: number;
  /** The day generated history ends (YYYY-MM-DD): "recent" figures are relative to it. */
  anchor: string;
  builtAt: string;
  buildSeconds: number;
  /**
   * Daily analytics rollups computed for every closed day (the scheduled job's work on a running
   * server, which the generator leaves to the job): analytics.course then reads closed days from
   * course_analytics and computes only today live, as in production.
   */
  rollups?: boolean;
  /** When migrations added after the build were applied to it (see migrateForward). */
  migratedAt?: string;
}

export interface Dataset {
  name: string;
  url: string;
  marker: DatasetMarker;
  /** Built by this run (false: reused). */
  built: boolean;
}

/** `coursebase_bench_s<scale>` (BENCH_DB_PREFIX replaces `coursebase_bench`, e.g. to try a branch's migrations). */
export function databaseName(scale: number, prefix = process.env.BENCH_DB_PREFIX || "coursebase_bench"): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(prefix))
    throw new Error(`BENCH_DB_PREFIX must be a lower-case identifier, got "${prefix}"`);
  return `${prefix}_s${String(scale).replace(".", "_")}`;
}

export function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export function migrationCount(): number {
  const journal = JSON.parse(readFileSync(join(migrationsFolder, "meta/_journal.json"), "utf8")) as {
    entries: unknown[];
  };
  return journal.entries.length;
}

function parseMarker(comment: string | null | undefined): DatasetMarker | undefined {
  if (!comment) return undefined;
  try {
    return JSON.parse(comment) as DatasetMarker;
  } catch {
    return undefined;
  }
}

/**
 * Holds a session advisory lock (on the maintenance database) per dataset for as long as a run
 * builds or measures it: a second `pnpm bench` on the same dataset would otherwise rebuild it
 * underneath the first, or restore the first one's write pool while it is writing.
 */
export async function lockDataset(adminUrl: string, name: string): Promise<{ release(): Promise<void> }> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const key = `coursebase bench ${name}`;
  const [row] = await sql<{ locked: boolean }[]>`select pg_try_advisory_lock(hashtext(${key})) as locked`;
  if (!row?.locked) {
    await sql.end();
    throw new Error(`another pnpm bench is using ${name} right now: wait for it to finish`);
  }
  return {
    async release() {
      await sql`select pg_advisory_unlock(hashtext(${key}))`;
      await sql.end();
    },
  };
}

export async function ensureDataset(
  adminUrl: string,
  options: { scale: number; seed: string; rebuild?: boolean; log: (line: string) => void },
): Promise<Dataset> {
  const name = databaseName(options.scale);
  const url = databaseUrl(adminUrl, name);
  const migrations = migrationCount();
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [existing] = await admin<{ comment: string | null }[]>`
      select shobj_description(oid, 'pg_database') as comment from pg_database where datname = ${name}`;
    const marker = parseMarker(existing?.comment);
    let reason = !existing
      ? "absent"
      : options.rebuild
        ? "--rebuild"
        : !marker
          ? "no marker (an unfinished build)"
          : marker.scale !== options.scale || marker.seed !== options.seed
            ? `holds scale ${marker.scale} seed ${marker.seed}`
            : undefined;
    if (existing && marker && reason === undefined && (marker.migrations !== migrations || marker.rollups !== true)) {
      // Migrations added since (or rollups never computed): applied to the loaded data, as they
      // are to a production database (minutes at scale 10 instead of a rebuild); a rebuild only
      // if that fails.
      try {
        const migrated = await migrateForward(url, marker, migrations, options.log);
        await writeMarker(admin, name, migrated);
        return { name, url, marker: migrated, built: false };
      } catch (error) {
        reason = `migrating it forward failed (${error instanceof Error ? error.message : String(error)})`;
      }
    }
    if (existing && marker && reason === undefined) {
      const ageDays = Math.round((todayUtc().getTime() - Date.parse(marker.anchor)) / 86_400_000);
      options.log(
        `dataset ${name}: reused (scale ${marker.scale}, seed ${marker.seed}, anchor ${marker.anchor}` +
          `${ageDays > 0 ? `, ${ageDays} day(s) old: "last 7 days" figures shrink as it ages; --rebuild refreshes it` : ""})`,
      );
      return { name, url, marker, built: false };
    }

    options.log(`dataset ${name}: building (${reason})`);
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.unsafe(`create database "${name}"`);
    const started = performance.now();
    const anchor = todayUtc();
    const handle = await createDatabase({ url, readUrl: undefined });
    try {
      await handle.migrate();
      await seedDatabase(handle, {
        scale: options.scale,
        seed: options.seed,
        anchor,
        vacuum: true,
        onProgress: (step: SeedStep) => {
          if (step.phase === "done") {
            const rows = step.rows === undefined ? "" : ` ${step.rows.toLocaleString("en-US")} rows`;
            options.log(
              `  [${step.index}/${step.total}] ${step.name}${rows} ${((step.elapsedMs ?? 0) / 1000).toFixed(1)} s`,
            );
          }
        },
      });
      const rollupsStarted = performance.now();
      const rollups = await refreshCourseAnalyticsRollups(handle.db, { now: new Date() });
      if (!rollups.complete) throw new Error("the analytics rollups did not complete");
      for (const table of ["course_analytics", "course_analytics_state", "course_analytics_dirty_days"]) {
        await handle.sql?.unsafe(`vacuum (analyze) ${table}`);
      }
      options.log(
        `  rollups: ${rollups.rows.toLocaleString("en-US")} rows for ${rollups.backfilledCourses} courses ` +
          `${((performance.now() - rollupsStarted) / 1000).toFixed(1)} s`,
      );
    } finally {
      await handle.close();
    }
    const built: DatasetMarker = {
      scale: options.scale,
      seed: options.seed,
      migrations,
      anchor: anchor.toISOString().slice(0, 10),
      builtAt: new Date().toISOString(),
      buildSeconds: Math.round((performance.now() - started) / 1000),
      rollups: true,
    };
    await writeMarker(admin, name, built);
    options.log(`dataset ${name}: built in ${built.buildSeconds} s`);
    return { name, url, marker: built, built: true };
  } finally {
    await admin.end();
  }
}

/** Writes what the database holds into its COMMENT. */
async function writeMarker(admin: postgres.Sql, name: string, marker: DatasetMarker): Promise<void> {
  // COMMENT takes no bind parameters: a JSON literal made of numbers and validated strings,
  // quoted by the server's own quote_literal.
  const [{ literal } = { literal: "''" }] = await admin<{ literal: string }[]>`
    select quote_literal(${JSON.stringify(marker)}) as literal`;
  await admin.unsafe(`comment on database "${name}" is ${literal}`);
}

/** Applies the migrations added since the build to the loaded dataset, then refreshes statistics and rollups. */
async function migrateForward(
  url: string,
  marker: DatasetMarker,
  migrations: number,
  log: (line: string) => void,
): Promise<DatasetMarker> {
  const started = performance.now();
  log(
    `dataset: applying ${migrations - marker.migrations} migration(s) added since its build to the loaded data` +
      `${marker.rollups === true ? "" : ", and computing the analytics rollups"}`,
  );
  // No statement timeout: ANALYZE of a whole scale-10 database, or a migration's index build on
  // it, outlasts the API's 15 s.
  const pool = { ...databaseConfigFromEnv().pool, statementTimeoutMs: 0 };
  const handle = await createDatabase({ url, readUrl: undefined, pool });
  try {
    await handle.migrate();
    await handle.sql?.unsafe("analyze");
    const rollups = await refreshCourseAnalyticsRollups(handle.db, { now: new Date() });
    if (!rollups.complete) throw new Error("the analytics rollups did not complete");
  } finally {
    await handle.close();
  }
  log(`dataset: migrated forward in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { ...marker, migrations, rollups: true, migratedAt: new Date().toISOString() };
}
