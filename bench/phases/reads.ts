import type { Statement } from "../bare.ts";
import type { BenchContext } from "../context.ts";
import { budgeted, interleaved } from "../measure.ts";
import type { ReadOperation } from "../operations.ts";
import type { OperationResult } from "../report.ts";
import type { Scoped } from "../samples.ts";

interface Case {
  scoped: Scoped<unknown>;
  statements: Statement[];
}

/**
 * One read procedure, in-process: the API through the caller (CACHE=off), and its captured
 * statements bare (prepared; unprepared and in a tenant transaction as diagnostics),
 * interleaved call by call over the same inputs; then the guide's code on the same inputs.
 */
export async function benchReadOperation(ctx: BenchContext, op: ReadOperation): Promise<OperationResult> {
  const { settings } = ctx;
  const inputs = op.inputs.slice(0, settings.iterations);
  ctx.log(`${op.label}: capturing the statements of ${inputs.length} inputs`);
  const cases: Case[] = [];
  for (const scoped of inputs)
    cases.push({ scoped, statements: await ctx.capture.capture((db) => op.query(db, scoped)) });

  // "Warm" as the targets mean it: every input goes through every variant once before the measured
  // pass, so no variant pays for reading another's pages into shared buffers, or for planning.
  const warmup = Math.max(settings.warmup, cases.length);
  ctx.log(`${op.label}: API vs bare, ${settings.iterations} calls each (+${warmup} warm-up)`);
  const measured = await interleaved(
    cases,
    { iterations: settings.iterations, warmup },
    {
      api: (c) => op.api(ctx.callerFor(c.scoped.institutionId), c.scoped.input),
      bare: (c) => ctx.bare.run(c.statements, { prepare: true }),
      bareUnprepared: (c) => ctx.bare.run(c.statements, { prepare: false }),
      bareTenant: (c) => ctx.bare.inTenant(c.scoped.institutionId, c.statements),
    },
  );

  ctx.log(`${op.label}: the guide's statements`);
  const guide = await budgeted(op.inputs, settings.guide, (scoped) => op.guide(ctx.guideSql, scoped));

  const api = measured.series.api ?? { error: "not run" };
  const bare = measured.series.bare ?? { error: "not run" };
  return {
    key: op.key,
    label: op.label,
    target: `<= ${op.targetMs} ms`,
    targetP95Ms: op.targetMs,
    api,
    bare,
    ...(measured.series.bareUnprepared ? { bareUnprepared: measured.series.bareUnprepared } : {}),
    ...(measured.series.bareTenant ? { bareTenant: measured.series.bareTenant } : {}),
    guide,
    statements: cases[0]?.statements.length ?? 0,
    ...(api.p95 && bare.p95 ? { overhead: api.p95 / bare.p95 } : {}),
    ...(api.p95 && guide.p95 ? { speedup: guide.p95 / api.p95 } : {}),
    load: measured.load,
  };
}
