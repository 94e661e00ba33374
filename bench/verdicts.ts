import type { RunResult, ScaleResult, Verdict } from "./report.ts";

/** DESIGN.md's Targets section, as checks on the measured figures. */
export const MAX_OVERHEAD = 1.5;
export const MIN_SPEEDUP = 5;
export const MAX_GROWTH = 1.3;
export const MIN_INGESTION_PER_SECOND = 20_000;

/** p95 at the largest scale over p95 at the smallest, per operation (in-process API). */
export function growthOf(scales: readonly ScaleResult[]): RunResult["growth"] {
  if (scales.length < 2) return undefined;
  const sorted = [...scales].sort((a, b) => a.scale - b.scale);
  const small = sorted[0] as ScaleResult;
  const large = sorted.at(-1) as ScaleResult;
  return large.operations.map((op) => {
    const before = small.operations.find((o) => o.key === op.key)?.api.p95;
    const after = op.api.p95;
    return {
      key: op.key,
      label: op.label,
      from: small.scale,
      to: large.scale,
      ...(before && after ? { ratio: after / before } : {}),
    };
  });
}

export function verdictsFor(run: RunResult): Verdict[] {
  const verdicts: Verdict[] = [];
  const fmt = (x: number, unit: string) => `${x < 10 ? x.toFixed(2) : x.toFixed(1)}${unit}`;
  for (const scale of run.scales) {
    for (const op of scale.operations) {
      const p95 = op.api.p95;
      if (op.targetP95Ms !== undefined && p95 !== undefined) {
        verdicts.push({
          scale: scale.scale,
          operation: op.label,
          check: `p95 ${op.target}`,
          value: fmt(p95, " ms"),
          ok: p95 <= op.targetP95Ms,
        });
      } else if (op.api.error) {
        verdicts.push({
          scale: scale.scale,
          operation: op.label,
          check: `p95 ${op.target}`,
          value: "error",
          ok: false,
        });
      }
      if (op.overhead !== undefined) {
        verdicts.push({
          scale: scale.scale,
          operation: op.label,
          check: `API / bare <= ${MAX_OVERHEAD}x`,
          value: fmt(op.overhead, "x"),
          ok: op.overhead <= MAX_OVERHEAD,
        });
      }
      if (op.speedup !== undefined) {
        verdicts.push({
          scale: scale.scale,
          operation: op.label,
          check: `guide / API >= ${MIN_SPEEDUP}x`,
          value: fmt(op.speedup, "x"),
          ok: op.speedup >= MIN_SPEEDUP,
        });
      }
    }
    const big = scale.ingestion.find((i) => i.batch === 1000);
    if (big) {
      const perSecond = big.api.itemsPerSecond;
      verdicts.push({
        scale: scale.scale,
        operation: "ingestion, batches of 1,000",
        check: `>= ${MIN_INGESTION_PER_SECOND.toLocaleString("en-US")} updates/s`,
        value: perSecond === undefined ? "error" : `${Math.round(perSecond).toLocaleString("en-US")}/s`,
        ok: perSecond !== undefined && perSecond >= MIN_INGESTION_PER_SECOND,
      });
    }
  }
  for (const g of run.growth ?? []) {
    if (g.ratio === undefined) continue;
    verdicts.push({
      scale: g.to,
      operation: g.label,
      check: `p95 scale ${g.to} / scale ${g.from} <= ${MAX_GROWTH}x`,
      value: fmt(g.ratio, "x"),
      ok: g.ratio <= MAX_GROWTH,
    });
  }
  return verdicts;
}
