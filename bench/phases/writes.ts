import { type RecordProgressInput, recordProgress } from "@coursebase/db/queries/progress";
import { dryCapture, type Statement } from "../bare.ts";
import type { BenchContext } from "../context.ts";
import { guideUpdateProgress } from "../guide/progress.ts";
import { budgeted, interleaved, throughput } from "../measure.ts";
import type { Batch } from "../progress-pool.ts";
import type { IngestionResult, OperationResult } from "../report.ts";
import type { HttpSession } from "./http.ts";

interface BareBatch {
  batch: Batch;
  statements: Statement[];
}

/**
 * The statements recordProgress sends for a batch, as the router calls it (scoped). The batch is
 * already in parsed form (Dates, 2-decimal scores), so validation is not repeated here: bare SQL
 * is the SQL alone.
 */
async function statementsOf(batch: Batch): Promise<Statement[]> {
  const input = batch.request as RecordProgressInput;
  return dryCapture((db) => recordProgress(db, input, { institutionId: batch.institutionId }));
}

async function withStatements(batch: Batch): Promise<BareBatch> {
  return { batch, statements: await statementsOf(batch) };
}

const TARGET_MS = 15;

/**
 * progress.record with 50 updates (5 enrollments x 10 lessons): the API, and its two statements
 * bare in one transaction (as recordProgress runs them), interleaved; the guide's 67 statements;
 * the typed HTTP client. Every call gets a fresh batch (new event ids), so every call writes.
 */
export async function benchProgress(
  ctx: BenchContext,
  next: (size: number) => Batch,
  http: HttpSession | undefined,
): Promise<OperationResult> {
  const { settings } = ctx;
  const total = settings.progressCalls + settings.progressWarmup;
  const cases: { api: Batch; bare: BareBatch; unprepared: BareBatch; tenant: BareBatch }[] = [];
  for (let i = 0; i < total; i++) {
    cases.push({
      api: next(50),
      bare: await withStatements(next(50)),
      unprepared: await withStatements(next(50)),
      tenant: await withStatements(next(50)),
    });
  }
  ctx.log(`progress.record (50 updates): API vs bare, ${settings.progressCalls} calls each`);
  const measured = await interleaved(
    cases,
    { iterations: settings.progressCalls, warmup: settings.progressWarmup },
    {
      api: (c) => ctx.callerFor(c.api.institutionId).progress.record(c.api.request),
      bare: (c) => ctx.bare.run(c.bare.statements, { prepare: true, transaction: true }),
      bareUnprepared: (c) => ctx.bare.run(c.unprepared.statements, { prepare: false, transaction: true }),
      bareTenant: (c) => ctx.bare.inTenant(c.tenant.batch.institutionId, c.tenant.statements),
    },
  );

  ctx.log("progress.record (50 updates): the guide's statements");
  const guideBatches = Array.from({ length: settings.guide.max + settings.guide.warmup }, () => next(50));
  const guide = await budgeted(guideBatches, settings.guide, (b) => guideUpdateProgress(ctx.guideSql, b.guide));

  let httpSeries: OperationResult["http"];
  if (http) {
    ctx.log(`progress.record (50 updates): HTTP, ${settings.progressCalls} sequential calls`);
    const batches = Array.from({ length: total }, () => next(50));
    const sequential = await interleaved(
      batches,
      { iterations: settings.progressCalls, warmup: settings.progressWarmup },
      { http: (b) => http.clientFor(b.institutionId).progress.record.mutate(b.request) },
    );
    httpSeries = sequential.series.http;
  }

  const api = measured.series.api ?? { error: "not run" };
  const bare = measured.series.bare ?? { error: "not run" };
  return {
    key: "progress",
    label: "progress.record (50 updates)",
    target: `<= ${TARGET_MS} ms`,
    targetP95Ms: TARGET_MS,
    api,
    bare,
    ...(measured.series.bareUnprepared ? { bareUnprepared: measured.series.bareUnprepared } : {}),
    ...(measured.series.bareTenant ? { bareTenant: measured.series.bareTenant } : {}),
    guide,
    statements: cases[0]?.bare.statements.length ?? 0,
    ...(httpSeries ? { http: httpSeries } : {}),
    ...(api.p95 && bare.p95 ? { overhead: api.p95 / bare.p95 } : {}),
    ...(api.p95 && guide.p95 ? { speedup: guide.p95 / api.p95 } : {}),
    load: measured.load,
  };
}

/** Sequential ingestion through the caller and bare, in batches of 1, 50 and 1,000. */
export async function benchIngestion(ctx: BenchContext, next: (size: number) => Batch): Promise<IngestionResult[]> {
  const results: IngestionResult[] = [];
  for (const size of [1, 50, 1000] as const) {
    const calls = ctx.settings.ingestion[size];
    const warmup = Math.max(1, Math.round(calls / 10));
    ctx.log(`ingestion: batches of ${size}, ${calls} calls through the API, then bare`);
    const api = await throughput(
      () => next(size),
      { calls, warmup, itemsPerCall: size },
      (b) => ctx.callerFor(b.institutionId).progress.record(b.request),
    );
    // Statements recorded ahead (outside the clock), then replayed.
    const prepared: BareBatch[] = [];
    for (let i = 0; i < calls + warmup; i++) prepared.push(await withStatements(next(size)));
    let k = 0;
    const bare = await throughput(
      () => prepared[k++] as BareBatch,
      { calls, warmup, itemsPerCall: size },
      (b) => ctx.bare.run(b.statements, { prepare: true, transaction: true }),
    );
    results.push({ batch: size, api, bare });
  }
  return results;
}
