import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { queryRows } from "@coursebase/db";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";

/**
 * The server process (packages/server/src/main.ts) runs the schedule and stops it cleanly on
 * SIGTERM. PostgreSQL only: the test reads job_runs from outside the child process, which an
 * embedded PGlite in the child would not allow.
 */

const root = fileURLToPath(new URL("../..", import.meta.url));
let database: TestDatabase;
let child: ChildProcess | undefined;

beforeAll(async () => {
  database = await createTestDatabase("postgres");
});
afterAll(async () => {
  child?.kill("SIGKILL");
  await database.destroy();
});

describe("the server runs the scheduled jobs", () => {
  it("runs a job every second once started, and stops with the server on SIGTERM", async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOST: "127.0.0.1",
      PORT: "0",
      LOG_LEVEL: "info",
      DATABASE_URL: database.url ?? "",
      READ_DATABASE_URL: "",
      METRICS_TOKEN: "",
      JOBS: "on",
      JOB_SCHEDULE_PROGRESS_PARTITIONS: "* * * * * *",
      JOB_SCHEDULE_REFRESH_COURSE_SUMMARY: "off",
      JOB_SCHEDULE_ROLLUP_COURSE_ANALYTICS: "off",
      JOB_SCHEDULE_RETENTION: "off",
    };
    const proc = spawn(process.execPath, ["--import", "tsx", "packages/server/src/main.ts"], { cwd: root, env });
    child = proc;
    let output = "";
    proc.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    proc.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));

    const finishedRuns = async () =>
      queryRows<{ runner: string; outcome: string }>(
        database.db,
        sql`select runner, outcome from job_runs where job = 'progress-partitions' and outcome <> 'running'`,
      );
    const deadline = Date.now() + 90_000;
    while ((await finishedRuns()).length < 2) {
      if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`no scheduled runs:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }

    proc.kill("SIGTERM");
    expect(await exited).toBe(0);
    child = undefined;
    const runs = await queryRows<{ runner: string; outcome: string; trigger: string }>(
      database.db,
      sql`select runner, outcome, trigger from job_runs`,
    );
    // Only the one scheduled job, run by that process, each run finished (none left running).
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs.every((r) => r.outcome === "succeeded" && r.trigger === "schedule")).toBe(true);
    expect(new Set(runs.map((r) => r.runner))).toEqual(new Set([expect.stringMatching(`:${proc.pid}$`)]));
    expect(output).toContain('"msg":"scheduled jobs started"');
    expect(output).toContain('"msg":"stopped"');
  }, 150_000);
});
