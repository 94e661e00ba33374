/**
 * The operator's way to the jobs, on the server itself (shell access = platform operator):
 *
 *   tsx packages/server/src/jobs/cli.ts list            schedules, next and last runs
 *   tsx packages/server/src/jobs/cli.ts run <job>       run one now (retention included)
 *
 * Connects as the owner from DATABASE_URL (or the embedded database), like `pnpm db:migrate`.
 * A manual run is claimed like any other: refused while a run of the job is going anywhere.
 */
import { createDatabase } from "@coursebase/db";
import { JOB_NAMES, jobNameSchema, latestJobRuns } from "@coursebase/db/queries/jobs";
import pino from "pino";
import { jobsConfigFromEnv } from "./config.ts";
import { createScheduler } from "./scheduler.ts";

const USAGE = `usage: cli.ts list | run <${JOB_NAMES.join("|")}>`;

const [command, name] = process.argv.slice(2);
if (command !== "list" && command !== "run") {
  console.error(USAGE);
  process.exit(2);
}
const job = command === "run" ? jobNameSchema.safeParse(name) : undefined;
if (job && !job.success) {
  console.error(`unknown job "${name ?? ""}"\n${USAGE}`);
  process.exit(2);
}

const database = await createDatabase();
const logger = pino({ level: process.env.LOG_LEVEL ?? "info", name: "coursebase-jobs" });
try {
  const scheduler = createScheduler({ db: database.db, config: jobsConfigFromEnv(), logger });
  if (job?.success) {
    const execution = await scheduler.runNow(job.data, { requestedBy: null });
    console.log(JSON.stringify(execution, null, 2));
    if (execution.status !== "succeeded") process.exitCode = 1;
  } else {
    const latest = await latestJobRuns(database.db);
    const rows = scheduler.schedules().map((s) => ({ ...s, lastRun: latest.get(s.job) ?? null }));
    console.log(JSON.stringify(rows, null, 2));
  }
} catch (error) {
  console.error(`jobs: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await database.close();
}
