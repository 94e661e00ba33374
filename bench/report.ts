import type { LoadResult } from "./http/load.ts";
import type { Series } from "./measure.ts";

/** Everything measured for one operation at one scale. */
export interface OperationResult {
  key: string;
  label: string;
  /** "<= 2 ms" */
  target: string;
  targetP95Ms?: number;
  /** In-process caller: tRPC + zod + tenant transaction + Drizzle + monitoring + SQL. */
  api: Series;
  /** The same statements through postgres.js alone, prepared. */
  bare: Series;
  /** Diagnostics: unprepared (as Drizzle sends them), and prepared inside the tenant transaction. */
  bareUnprepared?: Series;
  bareTenant?: Series;
  guide: Series;
  /** Statements per call: ours (bare) and the guide's. */
  statements?: number;
  http?: Series;
  throughput?: LoadResult[];
  cache?: { cold: Series; warm: Series };
  /** api p95 / bare p95 */
  overhead?: number;
  /** guide p95 / api p95 */
  speedup?: number;
  load: [number, number];
}

export interface IngestionResult {
  batch: number;
  api: Series & { itemsPerSecond?: number };
  bare: Series & { itemsPerSecond?: number };
}

export interface ScaleResult {
  scale: number;
  database: string;
  dataset: Record<string, unknown>;
  rows: Record<string, number>;
  operations: OperationResult[];
  ingestion: IngestionResult[];
  load: [number, number];
  seconds: number;
}

export interface RunResult {
  startedAt: string;
  finishedAt?: string;
  settings: Record<string, unknown>;
  machine: Record<string, unknown>;
  scales: ScaleResult[];
  /** Per operation: p95 at the largest scale / p95 at the smallest (api, in-process). */
  growth?: { key: string; label: string; from: number; to: number; ratio?: number }[];
  verdicts?: Verdict[];
}

export interface Verdict {
  scale: number;
  operation: string;
  check: string;
  value: string;
  ok: boolean;
}

const ms = (x: number | undefined) =>
  x === undefined || Number.isNaN(x) ? "-" : x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0);
const ratio = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? "-" : `${x.toFixed(2)}x`);
const rate = (x: number | undefined) => (x === undefined ? "-" : Math.round(x).toLocaleString("en-US"));
const err = (s: Series | undefined) => (s?.error ? "ERR" : undefined);

function table(header: string[], rows: string[][], rightFrom = 1): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i >= rightFrom ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (i >= rightFrom ? `${"-".repeat(w + 1)}:` : `${"-".repeat(w + 2)}`)).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

/** Markdown tables (they read well in a terminal and paste into docs/benchmarks.md). */
export function formatScale(result: ScaleResult): string {
  const out: string[] = [];
  out.push(
    `### Scale ${result.scale}: ${rate(result.rows.lesson_progress)} lesson_progress, ${rate(result.rows.students)} students, ` +
      `${rate(result.rows.courses)} courses (${result.database}); load average ${result.load[0]} -> ${result.load[1]}`,
  );
  out.push("");
  const rps = (r: OperationResult, c: number) =>
    rate(r.throughput?.find((t) => t.connections === c)?.requestsPerSecond);
  out.push(
    table(
      [
        "operation",
        "target p95",
        "p50",
        "p95",
        "p99",
        "bare p95",
        "overhead",
        "guide p95",
        "speed-up",
        "HTTP p50",
        "HTTP p95",
        "req/s c=1",
        "c=8",
        "c=32",
      ],
      result.operations.map((r) => [
        r.label,
        r.target,
        err(r.api) ?? ms(r.api.p50),
        err(r.api) ?? ms(r.api.p95),
        err(r.api) ?? ms(r.api.p99),
        err(r.bare) ?? ms(r.bare.p95),
        ratio(r.overhead),
        err(r.guide) ?? ms(r.guide.p95),
        ratio(r.speedup),
        err(r.http) ?? ms(r.http?.p50),
        err(r.http) ?? ms(r.http?.p95),
        rps(r, 1),
        rps(r, 8),
        rps(r, 32),
      ]),
      2,
    ),
  );
  out.push("");
  out.push("Latencies in ms. overhead = API p95 / bare p95; speed-up = guide p95 / API p95.");

  const diagnostics = result.operations.filter((r) => r.bareUnprepared || r.bareTenant);
  if (diagnostics.length) {
    out.push("");
    out.push(
      table(
        [
          "operation",
          "statements",
          "bare p50",
          "bare p95",
          "unprepared p95",
          "bare in tenant tx p95",
          "guide statements",
        ],
        diagnostics.map((r) => [
          r.label,
          String(r.statements ?? "-"),
          err(r.bare) ?? ms(r.bare.p50),
          err(r.bare) ?? ms(r.bare.p95),
          err(r.bareUnprepared) ?? ms(r.bareUnprepared?.p95),
          err(r.bareTenant) ?? ms(r.bareTenant?.p95),
          r.key === "dashboard" ? "<= 8" : r.key === "progress" ? "67" : r.key === "analytics" ? "1" : "3",
        ]),
      ),
    );
  }

  const cached = result.operations.filter((r) => r.cache);
  if (cached.length) {
    out.push("");
    out.push(
      table(
        ["operation (CACHE memory)", "cold p50", "cold p95", "warm p50", "warm p95"],
        cached.map((r) => [
          r.label,
          err(r.cache?.cold) ?? ms(r.cache?.cold.p50),
          err(r.cache?.cold) ?? ms(r.cache?.cold.p95),
          err(r.cache?.warm) ?? ms(r.cache?.warm.p50),
          err(r.cache?.warm) ?? ms(r.cache?.warm.p95),
        ]),
      ),
    );
  }

  if (result.ingestion.length) {
    out.push("");
    out.push(
      table(
        ["ingestion (progress.record)", "calls", "p50 / call", "p95 / call", "updates/s", "bare updates/s"],
        result.ingestion.map((r) => [
          `batches of ${r.batch.toLocaleString("en-US")}`,
          String(r.api.count ?? "-"),
          err(r.api) ?? ms(r.api.p50),
          err(r.api) ?? ms(r.api.p95),
          err(r.api) ?? rate(r.api.itemsPerSecond),
          err(r.bare) ?? rate(r.bare.itemsPerSecond),
        ]),
      ),
    );
  }

  const failures = [
    ...result.operations.flatMap((r) =>
      Object.entries({ api: r.api, bare: r.bare, guide: r.guide, http: r.http, ...(r.cache ?? {}) })
        .filter(([, s]) => s?.error)
        .map(([name, s]) => `${r.label} ${name}: ${s?.error}`),
    ),
    ...result.ingestion.flatMap((r) =>
      [
        ["api", r.api],
        ["bare", r.bare],
      ]
        .filter(([, s]) => (s as Series).error)
        .map(([name, s]) => `ingestion ${r.batch} ${name}: ${(s as Series).error}`),
    ),
    ...result.operations.flatMap((r) =>
      (r.throughput ?? [])
        .filter((t) => t.non2xx > 0 || t.errors > 0)
        .map((t) => `${r.label} load c=${t.connections}: ${t.non2xx} non-2xx, ${t.errors} errors of ${t.requests}`),
    ),
  ];
  if (failures.length) {
    out.push("");
    out.push("Errors:");
    for (const f of failures) out.push(`- ${f}`);
  }
  return out.join("\n");
}

export function formatGrowth(run: RunResult): string {
  if (!run.growth?.length) return "";
  return table(
    ["operation", `p95 at scale ${run.growth[0]?.from}`, `p95 at scale ${run.growth[0]?.to}`, "growth (<= 1.3x)"],
    run.growth.map((g) => {
      const from = run.scales.find((s) => s.scale === g.from)?.operations.find((o) => o.key === g.key)?.api.p95;
      const to = run.scales.find((s) => s.scale === g.to)?.operations.find((o) => o.key === g.key)?.api.p95;
      return [g.label, ms(from), ms(to), ratio(g.ratio)];
    }),
  );
}

export function formatVerdicts(verdicts: readonly Verdict[]): string {
  return table(
    ["scale", "operation", "check", "measured", "met"],
    verdicts.map((v) => [String(v.scale), v.operation, v.check, v.value, v.ok ? "yes" : "NO"]),
    5,
  );
}
