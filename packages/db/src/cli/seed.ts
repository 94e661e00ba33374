// pnpm db:seed --scale <n> [--seed <s>] [--anchor YYYY-MM-DD] [--force] [--no-vacuum]
// Fills DATABASE_URL (or the embedded database) with the deterministic generated dataset.
import { parseArgs } from "node:util";
import { createDatabase } from "../client.ts";
import { DEFAULT_SEED, MAX_SCALE, SeedRefusedError, type SeedStep, seedDatabase, todayUtc } from "../seed/index.ts";

const usage = `usage: pnpm db:seed --scale <n> [--seed <s>] [--anchor YYYY-MM-DD] [--force] [--no-vacuum]
  --scale    size factor in (0, ${MAX_SCALE}]: 1 = 10,000 students, 500 courses, ~1M lesson_progress rows;
             10 is the standard benchmark scale
  --seed     any integer or word (default ${DEFAULT_SEED}); same seed + same anchor = identical rows
  --anchor   the day generated history ends (default: today, UTC)
  --force    TRUNCATE every Coursebase table first (deletes all their rows); without it a
             database that already has data is refused
  --no-vacuum  skip the final VACUUM (ANALYZE)`;

function fail(message: string): never {
  console.error(`${message}\n\n${usage}`);
  process.exit(2);
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        scale: { type: "string" },
        seed: { type: "string" },
        anchor: { type: "string" },
        force: { type: "boolean", default: false },
        "no-vacuum": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    return fail((error as Error).message);
  }
})();

if (values.help) {
  console.log(usage);
  process.exit(0);
}
if (values.scale === undefined) fail("--scale is required");
const scale = Number(values.scale);
if (!Number.isFinite(scale) || scale <= 0 || scale > MAX_SCALE) fail(`--scale must be a number in (0, ${MAX_SCALE}]`);
let anchor = todayUtc();
if (values.anchor !== undefined) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(values.anchor)) fail("--anchor must be a date, YYYY-MM-DD");
  anchor = new Date(`${values.anchor}T00:00:00Z`);
  if (Number.isNaN(anchor.getTime()) || anchor.toISOString().slice(0, 10) !== values.anchor) {
    fail(`--anchor is not a valid date: ${values.anchor}`);
  }
}
const seed = values.seed ?? DEFAULT_SEED;

const number = (n: number) => n.toLocaleString("en-US");
const seconds = (ms: number) =>
  ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;

function printProgress(step: SeedStep) {
  const label = `[${String(step.index).padStart(2)}/${step.total}] ${step.name.padEnd(21)}`;
  if (step.phase === "start") {
    process.stdout.write(`  ${label}`);
    return;
  }
  const rows = step.rows === undefined ? "" : `${number(step.rows).padStart(12)} rows`;
  process.stdout.write(`${rows.padEnd(17)} ${seconds(step.elapsedMs ?? 0).padStart(10)}\n`);
}

const handle = await createDatabase();
const target =
  handle.driver === "postgres" ? `PostgreSQL ${safeTarget(process.env.DATABASE_URL ?? "")}` : "embedded PGlite";

function safeTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return "(DATABASE_URL)";
  }
}

try {
  console.log(`seeding ${target}: scale ${scale}, seed ${seed}, anchor ${anchor.toISOString().slice(0, 10)}`);
  const result = await seedDatabase(handle, {
    scale,
    seed,
    anchor,
    force: values.force,
    ...(values["no-vacuum"] ? { vacuum: false } : {}),
    onProgress: printProgress,
  });
  const { plan } = result;
  console.log(
    `\n${plan.institutions.length} institutions: ${plan.institutions.map((i) => `${i.name} (${i.domain})`).join(", ")}\n`,
  );
  const width = Math.max(...Object.keys(result.rows).map((t) => t.length));
  console.log(`  ${"table".padEnd(width)}  ${"rows".padStart(12)}`);
  let total = 0;
  for (const [name, rows] of Object.entries(result.rows)) {
    total += rows;
    console.log(`  ${name.padEnd(width)}  ${number(rows).padStart(12)}`);
  }
  console.log(`  ${"total".padEnd(width)}  ${number(total).padStart(12)}`);
  console.log(`\nseeded in ${seconds(result.elapsedMs)}`);
} catch (error) {
  process.stdout.write("\n");
  if (error instanceof SeedRefusedError) {
    console.error(error.message);
  } else if ((error as { code?: string }).code === "42P01") {
    console.error(`seed failed: ${(error as Error).message} (is the database migrated? run pnpm db:migrate first)`);
  } else {
    console.error(`seed failed: ${(error as Error).message}`);
  }
  process.exitCode = 1;
} finally {
  await handle.close();
}
