import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { parse } from "csv-parse";
import { type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../client.ts";
import { queryOne } from "../execute.ts";
import { userRole } from "../schema/enums.ts";
import { recordAudit } from "./audit.ts";
import { type Actor, Refusal } from "./refusals.ts";

// Bulk import of users and enrollments from CSV (issue 7, item 6), for scripts and the SIS.
//
// The file is streamed through csv-parse (never held whole: only the current batch and the set of
// keys already seen, to catch a row repeated within the file). Each row is checked on its own
// (zod) and then, 1,000 at a time, against the database in ONE statement per batch that also
// writes the batch (INSERT ... SELECT ... ON CONFLICT DO NOTHING), so a real run costs about
// 100 round trips for 100k rows and a re-run inserts nothing twice. A dry run executes the same
// checks with the insert switched off: the report is the one a real run would give, and nothing
// is written. Bad rows are reported with their line number (the line a record starts on; the
// header is line 1) and the column at fault, and never stop the good rows.

export const IMPORT_BATCH_SIZE = 1000;
export const MAX_IMPORT_ROWS = 1_000_000;
export const MAX_IMPORT_BYTES = 256 * 1024 * 1024;
/** A report lists every bad row; past this many, the rest are counted but not listed. */
export const MAX_REPORTED_ISSUES = 100_000;

export type ImportKind = "users" | "enrollments";

export interface ImportIssue {
  line: number;
  /** The column at fault, when one is. */
  column?: string;
  message: string;
}

export interface ImportReport {
  kind: ImportKind;
  dryRun: boolean;
  /** Data rows read (the header excluded). */
  rows: number;
  /** Rows written (a dry run: rows a real run would write). */
  applied: number;
  /** Valid rows already present (skipped: a re-run changes nothing). */
  existing: number;
  /** Bad rows: every one is in `issues` (up to MAX_REPORTED_ISSUES). */
  invalid: number;
  issues: ImportIssue[];
  /** Students and courses whose enrollments changed (enrollments import), for cache invalidation. */
  touched: { studentIds: string[]; courseIds: string[] };
}

export type CsvSource = WebReadableStream<Uint8Array> | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array | string>;

export interface ImportOptions {
  dryRun: boolean;
  actor: Actor;
}

// Row schemas ------------------------------------------------------------------------------------

const email = z
  .string()
  .trim()
  .toLowerCase()
  .min(1, "is required")
  .max(255, "must be at most 255 characters")
  .pipe(z.email("must be an email address"));

export const userImportRow = z.object({
  email,
  name: z.string().trim().min(1, "is required").max(100, "must be at most 100 characters"),
  role: z
    .string()
    .trim()
    .toUpperCase()
    .pipe(z.enum(userRole.enumValues, { error: `must be one of ${userRole.enumValues.join(", ")}` })),
  /** A department code of the institution; empty: none. */
  department: z
    .string()
    .trim()
    .max(20, "must be at most 20 characters")
    .optional()
    .transform((code) => (code ? code : null)),
});

export const enrollmentImportRow = z.object({
  student_email: email,
  course_slug: z.string().trim().min(1, "is required").max(150, "must be at most 150 characters"),
});

const columnsOf = {
  users: { required: ["email", "name", "role"], optional: ["department"] },
  enrollments: { required: ["student_email", "course_slug"], optional: [] },
} as const;

// Streaming --------------------------------------------------------------------------------------

function toNodeStream(source: CsvSource): Readable {
  if (typeof (source as ReadableStream).getReader === "function") {
    return Readable.fromWeb(source as WebReadableStream<Uint8Array>);
  }
  return Readable.from(source as AsyncIterable<Uint8Array | string>);
}

interface CsvRow {
  line: number;
  record: Record<string, string | undefined>;
}

/**
 * Yields each record with the line it starts on, and reports malformed records (bad quoting,
 * wrong field count) through `onIssue` instead of stopping. Refuses a header without the
 * required columns, or with unknown ones, before any row is used.
 */
async function* csvRows(source: CsvSource, kind: ImportKind, onIssue: (issue: ImportIssue) => void) {
  const { required, optional } = columnsOf[kind];
  const known: readonly string[] = [...required, ...optional];
  // Records come as arrays (csv-parse's `columns` option costs about as much again as the
  // parsing); the header is the first record, and each later one is zipped with it here.
  const parser = parse({
    bom: true,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: 64 * 1024,
  });
  let header: string[] | null = null;
  let previousEnd = 1;
  let previousEmpty = 0;
  parser.on("skip", (error: Error & { lines?: number }) => {
    const line = error.lines ?? previousEnd + 1;
    onIssue({ line, message: `malformed CSV: ${error.message.replace(/ at line \d+.*$/, "")}` });
    previousEnd = line;
  });
  const input = toNodeStream(source);
  input.on("error", (error) => parser.destroy(error));
  input.pipe(parser);
  let rows = 0;
  for await (const { record: fields, info } of parser as AsyncIterable<{
    record: string[];
    info: { lines: number; empty_lines: number; bytes: number };
  }>) {
    if (header === null) {
      header = fields.map((name) => name.trim().toLowerCase());
      const names = header;
      const missing = required.filter((name) => !names.includes(name));
      const unknown = names.filter((name) => !known.includes(name));
      const repeated = names.filter((name, i) => names.indexOf(name) !== i);
      const problems = [
        missing.length ? `missing column(s) ${missing.join(", ")}` : "",
        unknown.length ? `unknown column(s) ${unknown.join(", ")}` : "",
        repeated.length ? `repeated column(s) ${repeated.join(", ")}` : "",
      ].filter(Boolean);
      if (problems.length) {
        const expected = `${required.join(", ")}${optional.length ? `, optionally ${optional.join(", ")}` : ""}`;
        throw new Refusal("BAD_REQUEST", `file: line 1: ${problems.join("; ")} (expected: ${expected})`);
      }
      previousEnd = info.lines;
      previousEmpty = info.empty_lines;
      continue;
    }
    const line = previousEnd + 1 + (info.empty_lines - previousEmpty);
    previousEnd = info.lines;
    previousEmpty = info.empty_lines;
    rows += 1;
    if (rows > MAX_IMPORT_ROWS) throw new Refusal("BAD_REQUEST", `file: more than ${MAX_IMPORT_ROWS} rows`);
    if (info.bytes > MAX_IMPORT_BYTES) {
      throw new Refusal("BAD_REQUEST", `file: larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MB`);
    }
    if (fields.length !== header.length) {
      onIssue({ line, message: `has ${fields.length} fields; the header has ${header.length}` });
      continue;
    }
    const record: Record<string, string> = {};
    for (let i = 0; i < header.length; i++) record[header[i] as string] = fields[i] as string;
    yield { line, record } satisfies CsvRow;
  }
  if (header === null) throw new Refusal("BAD_REQUEST", "file: is empty (line 1 must name the columns)");
}

// The runner -------------------------------------------------------------------------------------

interface BatchOutcome {
  inserted: number;
  existing: number;
  issues: ImportIssue[];
  studentIds?: string[] | null;
  courseIds?: string[] | null;
}

async function runImport<Row extends { line: number }>(
  kind: ImportKind,
  source: CsvSource,
  options: ImportOptions,
  schema: z.ZodType<Omit<Row, "line">>,
  keyOf: (row: Omit<Row, "line">) => string,
  applyBatch: (batch: Row[]) => Promise<BatchOutcome>,
): Promise<ImportReport> {
  const report: ImportReport = {
    kind,
    dryRun: options.dryRun,
    rows: 0,
    applied: 0,
    existing: 0,
    invalid: 0,
    issues: [],
    touched: { studentIds: [], courseIds: [] },
  };
  const students = new Set<string>();
  const courses = new Set<string>();
  const addIssue = (issue: ImportIssue) => {
    report.invalid += 1;
    if (report.issues.length < MAX_REPORTED_ISSUES) report.issues.push(issue);
  };
  const seen = new Map<string, number>();
  let batch: Row[] = [];
  // One batch in flight while the next is parsed: the database writes batch n as Node parses
  // and checks batch n + 1 (they share one connection, so batches still apply in order).
  let inFlight: Promise<void> = Promise.resolve();
  const flush = async () => {
    if (batch.length === 0) return;
    const rows = batch;
    batch = [];
    await inFlight;
    inFlight = applyBatch(rows).then((outcome) => {
      report.applied += outcome.inserted;
      report.existing += outcome.existing;
      for (const issue of outcome.issues) addIssue(issue);
      for (const id of outcome.studentIds ?? []) students.add(id);
      for (const id of outcome.courseIds ?? []) courses.add(id);
    });
    // Its failure surfaces at the next await of inFlight; until then it must not count as unhandled.
    inFlight.catch(() => {});
  };
  try {
    for await (const { line, record } of csvRows(source, kind, (issue) => {
      report.rows += 1;
      addIssue(issue);
    })) {
      report.rows += 1;
      const parsed = schema.safeParse(record);
      if (!parsed.success) {
        const first = parsed.error.issues[0];
        addIssue({
          line,
          ...(first?.path[0] !== undefined ? { column: String(first.path[0]) } : {}),
          message: first?.message ?? "is invalid",
        });
        continue;
      }
      const key = keyOf(parsed.data);
      const firstLine = seen.get(key);
      if (firstLine !== undefined) {
        addIssue({ line, message: `repeats line ${firstLine}` });
        continue;
      }
      seen.set(key, line);
      batch.push({ ...parsed.data, line } as Row);
      if (batch.length >= IMPORT_BATCH_SIZE) await flush();
    }
    await flush();
    await inFlight;
  } catch (error) {
    // Let the batch in flight finish before the caller rolls the transaction back.
    await inFlight.catch(() => {});
    throw error;
  }
  report.issues.sort((a, b) => a.line - b.line);
  report.touched = { studentIds: [...students], courseIds: [...courses] };
  return report;
}

const auditImport = (db: Database, actor: Actor, report: ImportReport) =>
  recordAudit(db, {
    institutionId: actor.institutionId,
    actorUserId: actor.userId,
    actorTokenId: actor.tokenId,
    action: `import.${report.kind}`,
    targetType: "import",
    targetId: null,
    details: { rows: report.rows, applied: report.applied, existing: report.existing, invalid: report.invalid },
  });

const issuesJson = (issues: SQL) =>
  sql`coalesce((select jsonb_agg(issue order by (issue->>'line')::int) from (${issues}) i(issue)), '[]'::jsonb)`;

// Users --------------------------------------------------------------------------------------------

type UserRow = z.output<typeof userImportRow> & { line: number };

/**
 * One batch of users: resolves department codes, tells apart emails already in this institution
 * (skipped) from emails in use elsewhere (refused, without saying where: users_emails_taken_elsewhere
 * answers only yes or no), and inserts the rest unless `apply` is false.
 */
function usersBatch(rows: UserRow[], institutionId: string, apply: boolean): SQL {
  return sql`
    with batch as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as b(line int, email text, name text, role user_role, department text)
    ),
    taken as (
      select t.email from users_emails_taken_elsewhere((select array_agg(email) from batch), ${institutionId}::uuid) as t(email)
    ),
    checked as (
      select b.*, d.id as department_id, here.found is not null as exists_here,
             case
               when b.email in (select email from taken)
                 then jsonb_build_object('line', b.line, 'column', 'email', 'message', 'is already in use by another account')
               when b.department is not null and d.id is null
                 then jsonb_build_object('line', b.line, 'column', 'department', 'message', 'no department with this code')
             end as issue
        from batch b
        left join departments d on d.code = b.department and d.institution_id = ${institutionId}
        -- A lateral probe by the email index per row: as EXISTS, the planner hashes every user of
        -- the institution once per batch (100k rows read per 1,000 checked).
        left join lateral (
          select true as found from users u where u.email = b.email and u.institution_id = ${institutionId} limit 1
        ) here on true
    ),
    inserted as (
      insert into users (email, name, role, institution_id, department_id)
      select email, name, role, ${institutionId}, department_id from checked
       where issue is null and not exists_here and ${apply}
       order by email
      on conflict (email) do nothing
      returning 1
    )
    select (select count(*)::int from inserted) as inserted,
           (select count(*)::int from checked where issue is null and exists_here) as existing,
           (select count(*)::int from checked where issue is null and not exists_here) as candidates,
           ${issuesJson(sql`select issue from checked where issue is not null`)} as issues`;
}

/** Imports users (columns email, name, role, optionally department): see the module comment. */
export async function importUsersCsv(db: Database, source: CsvSource, options: ImportOptions): Promise<ImportReport> {
  const { institutionId } = options.actor;
  return db.transaction(async (tx) => {
    const report = await runImport<UserRow>(
      "users",
      source,
      options,
      userImportRow,
      (row) => row.email,
      async (batch) => {
        const outcome = await queryOne<BatchOutcome & { candidates: number }>(
          tx,
          usersBatch(batch, institutionId, !options.dryRun),
        );
        if (!outcome) throw new Error("import batch returned no row");
        // A dry run reports what a real run would write; a real run, what it wrote (an email taken
        // by a concurrent writer meanwhile is counted as existing).
        return options.dryRun
          ? { ...outcome, inserted: outcome.candidates }
          : { ...outcome, existing: outcome.existing + outcome.candidates - outcome.inserted };
      },
    );
    if (!options.dryRun) await auditImport(tx, options.actor, report);
    return report;
  });
}

// Enrollments ------------------------------------------------------------------------------------

type EnrollmentRow = z.output<typeof enrollmentImportRow> & { line: number };

/**
 * One batch of enrollments, with enroll's rules (queries/enrollments.ts): the student must be an
 * active STUDENT of the institution, the course PUBLISHED, its prerequisites COMPLETED. A row
 * whose enrollment already exists (whatever its status) is skipped: an import adds, it does not
 * reactivate.
 */
function enrollmentsBatch(rows: EnrollmentRow[], institutionId: string, apply: boolean): SQL {
  const issue = (column: string, message: SQL | string) =>
    sql`jsonb_build_object('line', r.line, 'column', ${column}::text, 'message', ${message}::text)`;
  return sql`
    with batch as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as b(line int, student_email text, course_slug text)
    ),
    resolved as (
      select b.line, u.id as student_id, u.role, u.is_active, c.id as course_id, c.status as course_status,
             e.status as existing
        from batch b
        -- Lateral probes by unique index, row by row: as plain joins the planner (which takes a
        -- jsonb_to_recordset for 100 rows) hashes every user and enrollment of the institution
        -- once per batch.
        left join lateral (
          select id, role, is_active from users
           where email = b.student_email and institution_id = ${institutionId} limit 1
        ) u on true
        left join lateral (
          select id, status from courses where slug = b.course_slug and institution_id = ${institutionId} limit 1
        ) c on true
        left join lateral (
          select status from enrollments where student_id = u.id and course_id = c.id limit 1
        ) e on true
    ),
    missing as (
      select r.line, string_agg(p.title, ', ' order by p.title) as titles
        from resolved r
        join course_prerequisites cp on cp.course_id = r.course_id
        join courses p on p.id = cp.prerequisite_id
        left join lateral (
          select true as found from enrollments done
           where done.student_id = r.student_id and done.course_id = cp.prerequisite_id and done.status = 'COMPLETED'
           limit 1
        ) done on true
       where r.student_id is not null and r.existing is null and done.found is null
       group by r.line
    ),
    checked as (
      select r.*, case
          when r.student_id is null then ${issue("student_email", "no user with this email in the institution")}
          when r.role <> 'STUDENT' then ${issue("student_email", sql`'the user is ' || r.role || ', not a STUDENT'`)}
          when not r.is_active then ${issue("student_email", "the account is deactivated")}
          when r.course_id is null then ${issue("course_slug", "no such course")}
          when r.existing is not null then null
          when r.course_status <> 'PUBLISHED'
            then ${issue("course_slug", sql`'the course is ' || r.course_status || '; only a PUBLISHED course accepts enrollments'`)}
          when m.titles is not null then ${issue("course_slug", sql`'prerequisites not completed: ' || m.titles`)}
        end as issue
        from resolved r left join missing m on m.line = r.line
    ),
    inserted as (
      insert into enrollments (student_id, course_id, institution_id)
      select student_id, course_id, ${institutionId} from checked
       where issue is null and existing is null and ${apply}
       order by student_id, course_id
      on conflict (student_id, course_id) do nothing
      returning student_id, course_id
    )
    select (select count(*)::int from inserted) as inserted,
           (select count(*)::int from checked where issue is null and existing is not null) as existing,
           (select count(*)::int from checked where issue is null and existing is null) as candidates,
           (select jsonb_agg(distinct student_id) from inserted) as "studentIds",
           (select jsonb_agg(distinct course_id) from inserted) as "courseIds",
           ${issuesJson(sql`select issue from checked where issue is not null`)} as issues`;
}

/** Imports enrollments (columns student_email, course_slug): see the module comment. */
export async function importEnrollmentsCsv(
  db: Database,
  source: CsvSource,
  options: ImportOptions,
): Promise<ImportReport> {
  const { institutionId } = options.actor;
  return db.transaction(async (tx) => {
    const report = await runImport<EnrollmentRow>(
      "enrollments",
      source,
      options,
      enrollmentImportRow,
      (row) => `${row.student_email}\n${row.course_slug}`,
      async (batch) => {
        const outcome = await queryOne<BatchOutcome & { candidates: number }>(
          tx,
          enrollmentsBatch(batch, institutionId, !options.dryRun),
        );
        if (!outcome) throw new Error("import batch returned no row");
        return options.dryRun
          ? { ...outcome, inserted: outcome.candidates }
          : { ...outcome, existing: outcome.existing + outcome.candidates - outcome.inserted };
      },
    );
    if (!options.dryRun) await auditImport(tx, options.actor, report);
    return report;
  });
}
