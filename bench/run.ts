// pnpm bench [--scale 1,10] [--seed s] [--only dashboard,analytics,search,filters,progress,ingestion]
//            [--quick] [--iterations n] [--rebuild] [--no-http]
// Builds (once) or reuses a dataset per scale, measures every API operation in-process, bare, as
// the guide writes it and over HTTP, prints the tables and writes bench/results/<time>.json.
// What each figure means: docs/benchmarks.md.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { parseArgs } from "node:util";
import { DEFAULT_SEED } from "@coursebase/db/seed/index";
import { FULL, FULL_SCALES, QUICK, QUICK_SCALE } from "./settings.ts";

// Set before the server code is loaded: its loggers read LOG_LEVEL once. Query monitoring's
// slow-statement warnings would bury the tables (the slow calls are in the figures anyway).
process.env.LOG_LEVEL ??= "error";

const usage = `usage: pnpm bench [--scale 1,10] [--seed <s>] [--only <ops>] [--quick] [--rebuild] [--no-http]
  --scale    comma-separated scale factors (default 1,10; --quick: ${QUICK_SCALE}); 1 = ~1M lesson_progress rows
  --seed     generator seed (default ${DEFAULT_SEED})
  --only     comma-separated: dashboard, analytics, search, filters, progress, ingestion (default: all)
  --quick    few iterations (and scale ${QUICK_SCALE} unless --scale is given): a smoke test
  --iterations  calls per read operation and variant (default 2000; --quick: 200)
  --rebuild  drop and rebuild the datasets even if they match
  --no-http  skip the HTTP measurements (typed client and autocannon)
  env BENCH_PG_URL (or TEST_PG_URL): the server to create coursebase_bench_s<scale> on
      (default postgres://postgres@127.0.0.1:5432/postgres)`;

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        scale: { type: "string" },
        seed: { type: "string" },
        only: { type: "string" },
        quick: { type: "boolean", default: false },
        iterations: { type: "string" },
        rebuild: { type: "boolean", default: false },
        "no-http": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    process.exit(2);
  }
})();
if (values.help) {
  console.log(usage);
  process.exit(0);
}

const { OPERATION_KEYS } = await import("./operations.ts");
const scales = values.scale
  ? values.scale.split(",").map((s) => Number(s.trim()))
  : values.quick
    ? [QUICK_SCALE]
    : FULL_SCALES;
if (scales.some((s) => !Number.isFinite(s) || s <= 0)) {
  console.error(`--scale must be positive numbers\n\n${usage}`);
  process.exit(2);
}
const only = values.only?.split(",").map((s) => s.trim()) ?? [...OPERATION_KEYS];
const unknown = only.filter((k) => !(OPERATION_KEYS as readonly string[]).includes(k));
if (unknown.length) {
  console.error(`--only: unknown operation(s) ${unknown.join(", ")}\n\n${usage}`);
  process.exit(2);
}

const { benchScale } = await import("./scale.ts");
const { formatGrowth, formatScale, formatVerdicts } = await import("./report.ts");
const { verdictsFor, growthOf } = await import("./verdicts.ts");
const { load1 } = await import("./stats.ts");

const iterations = values.iterations === undefined ? undefined : Number(values.iterations);
if (iterations !== undefined && (!Number.isInteger(iterations) || iterations < 10)) {
  console.error(`--iterations must be an integer >= 10\n\n${usage}`);
  process.exit(2);
}
const settings = {
  ...(values.quick ? QUICK : FULL),
  ...(iterations ? { iterations, warmup: Math.max(10, Math.round(iterations / 10)) } : {}),
};
const adminUrl = process.env.BENCH_PG_URL || process.env.TEST_PG_URL || "postgres://postgres@127.0.0.1:5432/postgres";
const startedAt = new Date();

function git(args: string[]): string | undefined {
  try {
    return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return undefined;
  }
}

const run: import("./report.ts").RunResult = {
  startedAt: startedAt.toISOString(),
  settings: {
    ...settings,
    quick: values.quick,
    scales,
    only,
    seed: values.seed ?? String(DEFAULT_SEED),
    http: !values["no-http"],
  },
  machine: {
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    commit: git(["rev-parse", "--short", "HEAD"]),
    uncommittedFiles: git(["status", "--porcelain"])?.split("\n").filter(Boolean).length,
    loadAtStart: load1(),
  },
  scales: [],
};

const log = (line: string) => console.log(line);
for (const scale of scales) {
  log(`\n== scale ${scale} ==`);
  const result = await benchScale({
    adminUrl,
    scale,
    seed: values.seed ?? String(DEFAULT_SEED),
    rebuild: values.rebuild,
    http: !values["no-http"],
    only: only as (typeof OPERATION_KEYS)[number][],
    settings,
    log,
  });
  run.scales.push(result);
  run.machine.postgres ??= result.dataset.postgres;
  log(`\n${formatScale(result)}`);
}

run.growth = growthOf(run.scales);
run.verdicts = verdictsFor(run);
run.finishedAt = new Date().toISOString();

const dir = new URL("./results/", import.meta.url);
mkdirSync(dir, { recursive: true });
const file = new URL(`${startedAt.toISOString().replace(/[:.]/g, "-")}.json`, dir);
writeFileSync(file, `${JSON.stringify(run, null, 2)}\n`);

log("");
for (const scale of run.scales) log(`${formatScale(scale)}\n`);
const growth = formatGrowth(run);
if (growth) log(`Growth (API p95, in-process):\n\n${growth}\n`);
log(`Targets:\n\n${formatVerdicts(run.verdicts)}\n`);
log(`results: ${file.pathname}`);
process.exit(0);
