import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type Database, queryOne } from "@coursebase/db";
import type { ImportIssue } from "@coursebase/db/queries/import";
import { mintApiToken } from "@coursebase/server/auth/tokens";
import { createClient } from "@coursebase/server/client";
import { createHttpServer } from "@coursebase/server/http/index";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { ids, loadFixture } from "../support/fixture.ts";
import { createTestServices } from "../support/services.ts";

/**
 * The CSV bulk import end to end over real HTTP: createHttpServer (octet-stream body handed to
 * tRPC), the typed client (files through httpLink) and `pnpm cb import` as a child process. The
 * server runs in this process, so the CLI only needs its URL: the file runs on PGlite too.
 * Expected reports are written down by hand from the fixture and the files below.
 */
const execFileAsync = promisify(execFile);
// Each `pnpm cb` child process starts tsx afresh: seconds each on a loaded machine.
const CLI_TEST_TIMEOUT_MS = 180_000;

// Line 3 a bad email, lines 4-5 one record (a quoted multi-line name), line 6 an existing user
// (skipped), line 7 an unknown role.
const usersCsv = [
  "email,name,role,department",
  "http1@import.northwind.edu,Http One,STUDENT,MATH",
  "not-an-email,Broken Email,STUDENT,",
  'http2@import.northwind.edu,"Http',
  'Two",teaching_assistant,',
  "sam@northwind.edu,Sam Student,STUDENT,",
  "http3@import.northwind.edu,Http Three,WIZARD,",
  "",
].join("\n");
const usersIssues: ImportIssue[] = [
  { line: 3, column: "email", message: "must be an email address" },
  { line: 7, column: "role", message: "must be one of STUDENT, INSTRUCTOR, ADMIN, TEACHING_ASSISTANT" },
];

// Same shape, for the CLI: line 3 a student of another institution, line 5 a missing field.
const cliUsersCsv = [
  "email,name,role",
  "cli1@import.northwind.edu,Cli One,STUDENT",
  "bea@southbank.ac.uk,Bea Again,STUDENT",
  "cli2@import.northwind.edu,Cli Two,INSTRUCTOR",
  "cli3@import.northwind.edu,Cli Three",
  "",
].join("\n");
const cliUsersIssues: ImportIssue[] = [
  { line: 3, column: "email", message: "is already in use by another account" },
  { line: 5, message: "has 2 fields; the header has 3" },
];

// Sam is already in Calculus I (fixture); line 4 names no course.
const enrollmentsCsv = [
  "student_email,course_slug",
  "http1@import.northwind.edu,calculus-i",
  "cli1@import.northwind.edu,linear-algebra",
  "http1@import.northwind.edu,no-such-course",
  "sam@northwind.edu,calculus-i",
  "",
].join("\n");
const enrollmentsIssues: ImportIssue[] = [{ line: 4, column: "course_slug", message: "no such course" }];

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

describe("bulk import over HTTP: typed client and `pnpm cb import`", () => {
  let database: TestDatabase;
  let db: Database;
  let app: Awaited<ReturnType<typeof createHttpServer>>;
  let url: string;
  let token: string;
  let dir: string;

  const count = async (query: ReturnType<typeof sql>) => (await queryOne<{ n: number }>(db, query))?.n;
  const users = () => count(sql`select count(*)::int as n from users`);
  const importedUsers = () =>
    count(sql`select count(*)::int as n from users where email like '%@import.northwind.edu'`);
  const enrollments = () => count(sql`select count(*)::int as n from enrollments`);
  const audits = (action: string) => count(sql`select count(*)::int as n from audit_log where action = ${action}`);

  async function cli(...args: string[]): Promise<CliResult> {
    const env = { ...process.env, COURSEBASE_URL: url, COURSEBASE_TOKEN: token };
    try {
      const { stdout, stderr } = await execFileAsync(
        "pnpm",
        ["exec", "tsx", "packages/server/src/cli/cb.ts", "import", ...args],
        { env },
      );
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code?: unknown; stdout?: string; stderr?: string };
      if (typeof failed.code !== "number") throw error;
      return { code: failed.code, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
    }
  }
  const csvFile = async (name: string, text: string) => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    db = database.db;
    await loadFixture(db);
    token = (await mintApiToken(db, { institutionId: ids.northwind, role: "ADMIN", name: "import-http" })).token;
    app = await createHttpServer(createTestServices(database));
    await app.listen({ host: "127.0.0.1", port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    dir = await mkdtemp(join(tmpdir(), "coursebase-import-http-"));
  });
  afterAll(async () => {
    await app?.close();
    await database?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("typed client: a dry run reports the bad rows by line and writes nothing; run applies once", async () => {
    const client = createClient({ url, token });
    const usersBefore = await users();

    const dry = await client.imports.users.dryRun.mutate(new Blob([usersCsv], { type: "text/csv" }));
    expect(dry).toMatchObject({ kind: "users", dryRun: true, rows: 5, applied: 2, existing: 1, invalid: 2 });
    expect(dry.issues).toEqual(usersIssues);
    expect(await users()).toBe(usersBefore);
    expect(await audits("import.users")).toBe(0);

    // The same file as bytes (Uint8Array) also goes as the request body.
    const first = await client.imports.users.run.mutate(new TextEncoder().encode(usersCsv));
    expect(first).toMatchObject({ kind: "users", dryRun: false, rows: 5, applied: 2, existing: 1, invalid: 2 });
    expect(first.issues).toEqual(usersIssues);
    expect(await users()).toBe((usersBefore ?? 0) + 2);
    const http2 = await queryOne<{ name: string; role: string }>(
      db,
      sql`select name, role from users where email = 'http2@import.northwind.edu'`,
    );
    expect(http2).toEqual({ name: "Http\nTwo", role: "TEACHING_ASSISTANT" });

    const second = await client.imports.users.run.mutate(new Blob([usersCsv]));
    expect(second).toMatchObject({ applied: 0, existing: 3, invalid: 2 });
    expect(second.issues).toEqual(usersIssues);
    expect(await users()).toBe((usersBefore ?? 0) + 2);
    expect(await audits("import.users")).toBe(2);
  });

  it("typed client: refuses the unauthenticated and a bad header over HTTP, writing nothing", async () => {
    const before = await users();
    const anonymous = await createClient({ url })
      .imports.users.run.mutate(new Blob([usersCsv]))
      .catch((caught) => caught);
    expect(anonymous.data.code).toBe("UNAUTHORIZED");
    const badHeader = await createClient({ url, token })
      .imports.users.run.mutate(new Blob(["email,name\nx@import.northwind.edu,X\n"]))
      .catch((caught) => caught);
    expect(badHeader.data.code).toBe("BAD_REQUEST");
    expect(badHeader.message).toBe(
      "file: line 1: missing column(s) role (expected: email, name, role, optionally department)",
    );
    expect(await users()).toBe(before);
  });

  it(
    "CLI: users dry run prints the same report as the client and exits 3; run applies; re-run applies none",
    async () => {
      const path = await csvFile("users.csv", cliUsersCsv);
      const client = createClient({ url, token });
      const before = await importedUsers();
      expect(before).toBe(2); // http1, http2 from the test above

      const dry = await cli("users", path, "--dry-run");
      expect(dry.code).toBe(3);
      const dryReport = JSON.parse(dry.stdout);
      expect(dryReport).toMatchObject({ kind: "users", dryRun: true, rows: 4, applied: 2, existing: 0, invalid: 2 });
      expect(dryReport.issues).toEqual(cliUsersIssues);
      expect(dryReport).toEqual(await client.imports.users.dryRun.mutate(new Blob([cliUsersCsv])));
      expect(dry.stderr).toMatch(/users \(dry run\): 4 rows, 2 would be applied, 0 already present, 2 refused/);
      expect(await importedUsers()).toBe(2);

      const run = await cli("users", path);
      expect(run.code).toBe(3);
      expect(JSON.parse(run.stdout)).toMatchObject({ dryRun: false, rows: 4, applied: 2, existing: 0, invalid: 2 });
      expect(JSON.parse(run.stdout).issues).toEqual(cliUsersIssues);
      expect(run.stderr).toMatch(/users: 4 rows, 2 applied, 0 already present, 2 refused/);
      expect(await importedUsers()).toBe(4);

      const again = await cli("users", path);
      expect(again.code).toBe(3);
      expect(JSON.parse(again.stdout)).toMatchObject({ applied: 0, existing: 2, invalid: 2 });
      expect(await importedUsers()).toBe(4);
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    "CLI: enrollments dry run writes nothing, run enrolls the good rows once; a clean file exits 0",
    async () => {
      const path = await csvFile("enrollments.csv", enrollmentsCsv);
      const before = await enrollments();

      const dry = await cli("enrollments", path, "--dry-run");
      expect(dry.code).toBe(3);
      expect(JSON.parse(dry.stdout)).toMatchObject({
        kind: "enrollments",
        dryRun: true,
        rows: 4,
        applied: 2,
        existing: 1,
        invalid: 1,
      });
      expect(JSON.parse(dry.stdout).issues).toEqual(enrollmentsIssues);
      expect(await enrollments()).toBe(before);

      const run = await cli("enrollments", path);
      expect(run.code).toBe(3);
      expect(JSON.parse(run.stdout)).toMatchObject({ dryRun: false, applied: 2, existing: 1, invalid: 1 });
      expect(await enrollments()).toBe((before ?? 0) + 2);

      // Through the typed client, the re-run finds every good row already there.
      const again = await createClient({ url, token }).imports.enrollments.run.mutate(new Blob([enrollmentsCsv]));
      expect(again).toMatchObject({ applied: 0, existing: 3, invalid: 1 });
      expect(again.issues).toEqual(enrollmentsIssues);
      expect(await enrollments()).toBe((before ?? 0) + 2);
      expect(await audits("import.enrollments")).toBe(2);

      const clean = await cli(
        "enrollments",
        await csvFile("clean.csv", "student_email,course_slug\nsam@northwind.edu,calculus-i\n"),
      );
      expect(clean.code).toBe(0);
      expect(JSON.parse(clean.stdout)).toMatchObject({ rows: 1, applied: 0, existing: 1, invalid: 0, issues: [] });

      const usage = await cli("courses", path);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toMatch(/usage: pnpm cb import users\|enrollments <file\.csv> \[--dry-run\]/);
    },
    CLI_TEST_TIMEOUT_MS,
  );
});
