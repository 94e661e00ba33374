import type { Database } from "@coursebase/db";
import { refreshCourseAnalyticsRollups } from "@coursebase/db/queries/rollups";
import { createServices } from "@coursebase/server";
import postgres from "postgres";
import { createBareRunner, createStatementCapture } from "./bare.ts";
import { type BenchContext, callersOver } from "./context.ts";
import { databaseName, ensureDataset, lockDataset } from "./dataset.ts";
import { prismaLikePool } from "./guide/prisma.ts";
import { type OperationKey, readOperations } from "./operations.ts";
import { benchCache } from "./phases/cache.ts";
import { benchHttpRead, type HttpSession, openHttp } from "./phases/http.ts";
import { benchReadOperation } from "./phases/reads.ts";
import { benchIngestion, benchProgress } from "./phases/writes.ts";
import { createBatchSource, restoreIfLeftOver, restorePool, snapshotPool } from "./progress-pool.ts";
import type { OperationResult, ScaleResult } from "./report.ts";
import { drawSamples } from "./samples.ts";
import type { Settings } from "./settings.ts";
import { load1 } from "./stats.ts";

export interface ScaleOptions {
  adminUrl: string;
  scale: number;
  seed: string;
  rebuild: boolean;
  http: boolean;
  only: OperationKey[];
  settings: Settings;
  log: (line: string) => void;
}

async function countRows(sql: postgres.Sql): Promise<Record<string, number>> {
  // Planner estimates for the big tables (fresh after VACUUM ANALYZE), exact counts for the rest.
  const [row] = await sql<Record<string, number>[]>`
    select (select reltuples::bigint from pg_class where oid = 'lesson_progress'::regclass)::float8 as lesson_progress,
           (select reltuples::bigint from pg_class where oid = 'enrollments'::regclass)::float8 as enrollments,
           (select count(*) from users where role = 'STUDENT')::int as students,
           (select count(*) from courses)::int as courses,
           (select count(*) from institutions)::int as institutions`;
  return row ?? {};
}

/** Everything measured at one scale: reads in-process, cache, HTTP, then writes (restored after). */
export async function benchScale(options: ScaleOptions): Promise<ScaleResult> {
  const lock = await lockDataset(options.adminUrl, databaseName(options.scale));
  try {
    return await benchLockedScale(options);
  } finally {
    await lock.release();
  }
}

async function benchLockedScale(options: ScaleOptions): Promise<ScaleResult> {
  const { settings, log } = options;
  const started = performance.now();
  const dataset = await ensureDataset(options.adminUrl, {
    scale: options.scale,
    seed: options.seed,
    rebuild: options.rebuild,
    log,
  });
  const admin = postgres(dataset.url, { max: 2, onnotice: () => {} });
  await restoreIfLeftOver(admin, log);
  const [{ version } = { version: "" }] = await admin<{ version: string }[]>`select version()`;
  const rows = await countRows(admin);
  const samples = await drawSamples(admin, { count: settings.iterations, anchor: dataset.marker.anchor });
  const loadBefore = load1();

  const services = await createServices({ database: { url: dataset.url, readUrl: undefined }, cache: { mode: "off" } });
  const ctx: BenchContext = {
    settings,
    log,
    runId: new Date().toISOString().replace(/[-:.TZ]/g, ""),
    url: dataset.url,
    admin,
    services,
    callerFor: callersOver(services),
    bare: createBareRunner(dataset.url),
    capture: createStatementCapture(dataset.url),
    guideSql: prismaLikePool(dataset.url),
  };
  const selected = (key: OperationKey) => options.only.includes(key);
  const operations: OperationResult[] = [];
  let ingestion: ScaleResult["ingestion"] = [];
  let http: HttpSession | undefined;
  let poolTaken = false;
  try {
    await catchUpRollups(services.database.db, admin, log);
    const reads = readOperations(samples).filter((op) => selected(op.key));
    for (const op of reads) operations.push(await benchReadOperation(ctx, op));

    const cached = reads.filter((op) => op.cached);
    if (cached.length) {
      const memory = await createServices({
        database: { url: dataset.url, readUrl: undefined },
        cache: { mode: "memory" },
      });
      try {
        for (const op of cached) {
          log(
            `${op.label}: cold vs warm cache (memory), ${Math.min(settings.cacheKeys, op.inputs.length / 2)} entries`,
          );
          const result = operations.find((r) => r.key === op.key);
          if (result) result.cache = await benchCache(memory, op, settings);
        }
      } finally {
        await memory.close();
      }
    }

    const writes = selected("progress") || selected("ingestion");
    if (options.http && (reads.length || writes)) {
      http = await openHttp(ctx, samples.institutions);
      for (const op of reads) {
        const result = operations.find((r) => r.key === op.key);
        if (result) Object.assign(result, await benchHttpRead(ctx, http, op));
      }
    }

    if (writes) {
      const pool = await snapshotPool(admin, settings.poolSize);
      poolTaken = true;
      log(`writes: ${pool.length} enrollments in the pool (restored afterwards)`);
      const next = createBatchSource(pool, ctx.runId);
      if (selected("progress")) operations.push(await benchProgress(ctx, next, http));
      if (selected("ingestion")) ingestion = await benchIngestion(ctx, next);
    }
  } finally {
    await http?.close();
    if (poolTaken) {
      log("restoring the write pool and vacuuming");
      await restorePool(admin);
    }
    await Promise.all([ctx.bare.close(), ctx.capture.close(), ctx.guideSql.end({ timeout: 5 }), services.close()]);
    await admin.end({ timeout: 5 });
  }

  return {
    scale: options.scale,
    database: dataset.name,
    dataset: { ...dataset.marker, reused: !dataset.built, postgres: version },
    rows,
    operations,
    ingestion,
    load: [loadBefore, load1()],
    seconds: Math.round((performance.now() - started) / 1000),
  };
}

/**
 * Does what the rollup job (every 15 minutes on a running server) would have done since the last
 * run: write benchmarks, and restoring their pool, mark every day they touch as changed, and
 * until recomputed those days are read from the raw rows. Left as they are, a run after a write
 * benchmark measures analytics over half-raw ranges (20,000 days of 406 courses at scale 1), not
 * the steady state.
 */
async function catchUpRollups(db: Database, admin: postgres.Sql, log: (line: string) => void): Promise<void> {
  const started = performance.now();
  const refresh = await refreshCourseAnalyticsRollups(db, { now: new Date() });
  if (!refresh.complete) log("rollups: the catch-up stopped with work left (maxBatches)");
  // Flush what the catch-up (and a previous phase's restore) wrote now, rather than in a
  // checkpoint in the middle of the measurements.
  await admin`checkpoint`;
  if (refresh.days > 0) {
    log(
      `rollups: ${refresh.days.toLocaleString("en-US")} changed days recomputed, as the job would have (${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );
  }
}
