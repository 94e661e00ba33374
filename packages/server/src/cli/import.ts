// pnpm cb import users|enrollments <file.csv> [--dry-run] — bulk import through the API.
// The file is streamed from disk as the request body (never read whole here); the server parses
// it as it arrives. COURSEBASE_URL and COURSEBASE_TOKEN (an ADMIN token) as for `pnpm cb`.
// Prints the report as JSON on stdout and a one-line summary on stderr. Exit status: 0 all rows
// good, 3 some rows refused (listed in the report), 1 the import failed, 2 usage.
import { openAsBlob } from "node:fs";
import { stat } from "node:fs/promises";
import { createClient } from "../client.ts";

export const importUsage = "usage: pnpm cb import users|enrollments <file.csv> [--dry-run]";

export async function runImportCommand(argv: string[]): Promise<number> {
  const dryRun = argv.includes("--dry-run");
  const [kind, path, ...rest] = argv.filter((arg) => arg !== "--dry-run");
  if ((kind !== "users" && kind !== "enrollments") || !path || rest.length > 0) {
    console.error(importUsage);
    return 2;
  }
  const size = await stat(path).then(
    (info) => info.size,
    () => null,
  );
  if (size === null) {
    console.error(`error: cannot read ${path}`);
    return 2;
  }
  const client = createClient({
    url: process.env.COURSEBASE_URL ?? "http://127.0.0.1:3000",
    token: process.env.COURSEBASE_TOKEN,
  });
  // A file-backed Blob: fetch streams it from disk.
  const file = await openAsBlob(path, { type: "text/csv" });
  const procedure = client.imports[kind];
  const started = performance.now();
  const report = dryRun ? await procedure.dryRun.mutate(file) : await procedure.run.mutate(file);
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  console.error(
    `${kind}${dryRun ? " (dry run)" : ""}: ${report.rows} rows, ${report.applied} ${dryRun ? "would be applied" : "applied"}, ` +
      `${report.existing} already present, ${report.invalid} refused; ${seconds.toFixed(1)} s ` +
      `(${Math.round(report.rows / Math.max(seconds, 0.001))} rows/s)`,
  );
  return report.invalid > 0 ? 3 : 0;
}
