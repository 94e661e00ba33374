import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { migrationsFolder } from "@coursebase/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testEngine } from "../support/database.ts";

/**
 * The Drizzle schema (packages/db/src/schema) and the migrations in drizzle/ are in sync:
 * `drizzle-kit generate` on the current tree has nothing to add.
 *
 * drizzle-kit runs against a throw-away copy of drizzle/, never the real folder: a generate
 * that finds changes rewrites meta/_journal.json and adds a snapshot as well as a .sql file,
 * and other test files (and other people) migrate from drizzle/ while this one runs.
 *
 * Engine-independent, so it runs once, in the postgres project.
 */

const packageDir = fileURLToPath(new URL("../../packages/db/", import.meta.url));
const GENERATE_TIMEOUT_MS = 60_000;

interface Journal {
  entries: { idx: number; tag: string; when: number; breakpoints: boolean }[];
}

const sqlFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort();

function drizzleKit(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // stdin closed: should drizzle-kit ask an interactive question (a rename), it gets EOF
    // instead of waiting for an answer forever.
    const child = spawn("pnpm", ["exec", "drizzle-kit", ...args], {
      cwd: packageDir,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `drizzle-kit ${args.join(" ")} did not finish in ${GENERATE_TIMEOUT_MS / 1000} s ` +
            `(an interactive question, such as a rename?):\n${output}`,
        ),
      );
    }, GENERATE_TIMEOUT_MS);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe.skipIf(testEngine !== "postgres")("schema and migrations are in sync", () => {
  let workDir: string;
  let copy: string;
  let configFile: string;

  beforeAll(() => {
    workDir = mkdtempSync(join(tmpdir(), "coursebase-migrations-sync-"));
    copy = join(workDir, "drizzle");
    cpSync(migrationsFolder, copy, { recursive: true });
    // The project's own config, with only the output folder moved to the copy. drizzle-kit
    // resolves `out` against its working directory and mangles absolute paths, hence relative.
    configFile = join(workDir, "drizzle.config.ts");
    writeFileSync(
      configFile,
      `import base from ${JSON.stringify(join(packageDir, "drizzle.config.ts"))};\n` +
        `export default { ...base, out: ${JSON.stringify(relative(packageDir, copy))} };\n`,
    );
  });
  afterAll(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it("drizzle-kit generate finds no schema changes", async () => {
    const before = sqlFiles(copy);
    const { code, output } = await drizzleKit(["generate", "--config", configFile]);
    const created = sqlFiles(copy).filter((f) => !before.includes(f));
    const diff = created.map((f) => `--- ${f}\n${readFileSync(join(copy, f), "utf8")}`).join("\n");
    expect(
      created,
      `the schema has changes no migration holds; run \`pnpm db:generate\` and commit the result:\n${diff}`,
    ).toEqual([]);
    // drizzle-kit exits 0 even when it fails (a bad config, an unreadable snapshot), so its
    // verdict is read from what it prints.
    expect(code).toBe(0);
    expect(output).toContain("No schema changes, nothing to migrate");
    // And the real folder was not touched.
    expect(sqlFiles(migrationsFolder)).toEqual(before);
  });

  it("drizzle-kit check finds the snapshots consistent", async () => {
    const { code, output } = await drizzleKit(["check", "--config", configFile]);
    expect(code).toBe(0);
    expect(output).toContain("Everything's fine");
  });

  it("every migration file is in the journal, with a snapshot, in order", () => {
    const journal = JSON.parse(readFileSync(join(migrationsFolder, "meta", "_journal.json"), "utf8")) as Journal;
    const tags = journal.entries.map((e) => e.tag);
    // A .sql file missing from the journal is silently never applied.
    expect(sqlFiles(migrationsFolder)).toEqual(tags.map((t) => `${t}.sql`).sort());
    expect(journal.entries.map((e) => e.idx)).toEqual(journal.entries.map((_, i) => i));
    for (const entry of journal.entries) {
      expect(existsSync(join(migrationsFolder, "meta", `${String(entry.idx).padStart(4, "0")}_snapshot.json`))).toBe(
        true,
      );
      expect(entry.breakpoints, `${entry.tag}: statements need breakpoints`).toBe(true);
    }
    // Drizzle's migrator applies only migrations newer than the last one a database has seen:
    // a migration whose timestamp is not after its predecessor's is skipped on existing databases.
    const whens = journal.entries.map((e) => e.when);
    expect(whens.every((when, i) => i === 0 || when > (whens[i - 1] ?? 0))).toBe(true);
  });
});
