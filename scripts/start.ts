/**
 * pnpm start: set up whatever is missing, then serve.
 *   1. build the admin SPA when packages/admin/dist is missing or older than its sources;
 *   2. open the database (DATABASE_URL, else embedded PGlite under ./.data/) and migrate it;
 *   3. on an empty embedded database, load the demo dataset (never on a real PostgreSQL:
 *      that is someone's data, or will be);
 *   4. serve, and print where to open it.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type DatabaseHandle, databaseConfigFromEnv } from "@coursebase/db";
import { setPassword } from "@coursebase/db/queries/auth";
import { DEFAULT_SEED, DEMO_SCALE, type SeedStep, seedDatabase } from "@coursebase/db/seed/index";
import { createServices } from "@coursebase/server";
import { hashPassword } from "@coursebase/server/auth/passwords";
import { httpConfigFromEnv } from "@coursebase/server/http/config";
import { describeError, serve } from "@coursebase/server/main";

const root = fileURLToPath(new URL("..", import.meta.url));
const adminDir = join(root, "packages/admin");
const adminDist = join(adminDir, "dist");

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** Stale when dist/index.html is missing or older than anything the build reads. */
function adminBuildIsStale(): boolean {
  const built = join(adminDist, "index.html");
  if (!existsSync(built)) return true;
  const inputs = ["src", "index.html", "vite.config.ts", "package.json", "tsconfig.json"]
    .map((name) => join(adminDir, name))
    .filter((path) => existsSync(path));
  return Math.max(...inputs.map(newestMtime)) > statSync(built).mtimeMs;
}

/** Runs the admin package's own Vite with this Node (pnpm itself need not be on PATH under npx). */
function buildAdmin(): void {
  let viteBin: string;
  try {
    const vitePackage = createRequire(join(adminDir, "package.json")).resolve("vite/package.json");
    const bin = (JSON.parse(readFileSync(vitePackage, "utf8")) as { bin: { vite: string } }).bin.vite;
    viteBin = join(dirname(vitePackage), bin);
  } catch {
    throw new Error("Vite is not installed: run `pnpm install` first");
  }
  console.log("building the admin app (packages/admin) ...");
  const result = spawnSync(process.execPath, [viteBin, "build", "--logLevel", "warn"], {
    cwd: adminDir,
    stdio: "inherit",
  });
  if (result.status !== 0) throw new Error("building the admin app failed (see above)");
}

/** Rows of a constant statement (postgres.js answers with an array of rows, PGlite with { rows }). */
async function rowsOf<T>(database: DatabaseHandle, statement: string): Promise<T[]> {
  const result = (await database.db.execute(statement)) as unknown as T[] | { rows: T[] };
  return Array.isArray(result) ? result : result.rows;
}

async function isEmpty(database: DatabaseHandle): Promise<boolean> {
  return (await rowsOf(database, "select 1 from institutions limit 1")).length === 0;
}

/**
 * The generated people have no passwords: the first administrator of each demo institution gets
 * a random one, printed here once and stored only as an argon2id hash (DEMO_ADMIN_PASSWORD sets
 * it instead, for automation). Only ever on the demo dataset this script just loaded into an
 * empty embedded database.
 */
async function enableDemoSignIn(database: DatabaseHandle): Promise<void> {
  const admins = await rowsOf<{ id: string; email: string; institution: string }>(
    database,
    `select distinct on (u.institution_id) u.id, u.email, i.name as institution
       from users u join institutions i on i.id = u.institution_id
      where u.role = 'ADMIN' and u.is_active
      order by u.institution_id, u.email`,
  );
  console.log("demo administrators (these passwords are shown once):");
  for (const admin of admins) {
    const password = process.env.DEMO_ADMIN_PASSWORD || randomBytes(12).toString("base64url");
    await setPassword(database.db, admin.id, await hashPassword(password));
    console.log(`  ${admin.email} (${admin.institution})  password: ${password}`);
  }
}

/** The deterministic demo dataset, with its progress on one line (a terminal) or a line per step. */
async function loadDemoData(database: DatabaseHandle): Promise<void> {
  console.log(
    `the embedded database is empty: loading the demo dataset (scale ${DEMO_SCALE}, seed ${DEFAULT_SEED}) ...`,
  );
  const tty = process.stdout.isTTY;
  const onProgress = (step: SeedStep) => {
    if (step.phase !== "start") return;
    const line = `  [${step.index}/${step.total}] ${step.name}`;
    if (tty) process.stdout.write(`\r${line.padEnd(48)}`);
    else console.log(line);
  };
  const result = await seedDatabase(database, { scale: DEMO_SCALE, seed: DEFAULT_SEED, onProgress });
  if (tty) process.stdout.write(`\r${"".padEnd(48)}\r`);
  const counts = Object.entries(result.rows)
    .filter(([, rows]) => rows > 0)
    .map(([table, rows]) => `${rows.toLocaleString("en-US")} ${table}`)
    .join(", ");
  console.log(`demo dataset loaded in ${(result.elapsedMs / 1000).toFixed(1)} s: ${counts}`);
}

async function main(): Promise<void> {
  const http = httpConfigFromEnv(); // fail on a bad PORT before any slow step
  if (adminBuildIsStale()) buildAdmin();

  const config = databaseConfigFromEnv();
  // PGlite creates its directory but not the parents (./.data on a fresh clone).
  if (!config.url && !config.dataDir.includes("://")) mkdirSync(dirname(config.dataDir), { recursive: true });

  const services = await createServices();
  const { database } = services;
  try {
    const where = database.driver === "pglite" ? `embedded PGlite in ${config.dataDir}` : "PostgreSQL (DATABASE_URL)";
    console.log(`database: ${where}; applying migrations ...`);
    await database.migrate();
    if (await isEmpty(database)) {
      if (database.driver === "pglite") {
        await loadDemoData(database);
        await enableDemoSignIn(database);
      } else {
        console.log("the database has no institutions yet: `pnpm db:seed --scale <n>` fills it with generated data");
      }
    }
  } catch (error) {
    await services.close();
    throw error;
  }
  await serve(services, http, { adminDist });
}

try {
  await main();
} catch (error) {
  console.error(`coursebase: ${describeError(error)}`);
  process.exit(1);
}
