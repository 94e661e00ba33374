import { readFileSync } from "node:fs";
import { queryOne, queryRows } from "@coursebase/db";
import { seedDatabase, todayUtc } from "@coursebase/db/seed/index";
import type { Services } from "@coursebase/server";
import { type SQL, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { callerAs, createTestServices, personPrincipal } from "../support/services.ts";

/**
 * The index audit (issue 4, item 5). On a generated dataset big enough for the planner to prefer
 * an index where one fits (the seed generator at a small scale, plus 20,000 extra published
 * courses in one institution, since even the standard scale has only 5,000 courses), after
 * ANALYZE, every SQL statement each hot procedure sends is captured at the driver and explained
 * (EXPLAIN (FORMAT JSON), no ANALYZE) as coursebase_app inside that procedure's tenant
 * transaction, with the very parameters it sent. A plan fails the audit when it has
 * - a Seq Scan of a large table (LARGE_TABLE_ROWS rows or more, by the planner's own estimate), or
 * - a Sort of SORTED_ROWS rows or more directly over a scan of a large table: rows read from a
 *   table only to be ordered, which an index in that order would return sorted (a Sort over an
 *   aggregate, a join, a small table or a handful of rows is fine; all are listed in the audit
 *   table printed at the end).
 * A few plans are allowed a listed exception, each with its reason (ALLOWED below).
 *
 * PostgreSQL only: PGlite is the embedded demo database (one connection, small data); its
 * planner is the same code, and the indexes are the same migrations.
 */

const SCALE = 0.2;
const EXTRA_COURSES = 20_000;
const EXTRA_STUDENTS = 10_000;
const ENROLLMENTS_PER_STUDENT = 3;
const LARGE_TABLE_ROWS = 5_000;
/** A Sort of fewer rows than this (the planner's estimate) is cheap whatever feeds it. */
const SORTED_ROWS = 1_000;

interface Captured {
  query: string;
  params: unknown[];
}

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  "Plan Rows"?: number;
  Plans?: PlanNode[];
}

interface Finding {
  procedure: string;
  statement: number;
  problem: string;
}

/** Plans allowed a Sort or Seq Scan, by procedure and the node's relation, with the reason. */
const ALLOWED: Record<string, { node: string; relation: string; reason: string }[]> = {
  "search.courses (query)": [
    {
      node: "Sort",
      relation: "courses",
      reason:
        "ranked by ts_rank, which no index can return in order; the GIN index narrows the input to the matching courses",
    },
  ],
};

const SCANS = new Set(["Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan"]);

let database: TestDatabase;
let services: Services;
let capturing = false;
let captured: Captured[] = [];
const tableRows = new Map<string, number>();
const auditTable: string[] = [];

/** The relation a node reads, for scans (and a Sort: the scan right below it). */
function scanBelow(node: PlanNode): PlanNode | undefined {
  let child = node.Plans?.[0];
  // Look through nodes that pass rows on unchanged in number and order.
  while (child && ["Result", "Materialize", "Memoize", "Gather", "Gather Merge"].includes(child["Node Type"])) {
    child = child.Plans?.[0];
  }
  return child && SCANS.has(child["Node Type"]) ? child : undefined;
}

function* walk(node: PlanNode): Generator<PlanNode> {
  yield node;
  for (const child of node.Plans ?? []) yield* walk(child);
}

const isLarge = (relation: string | undefined) =>
  relation ? (tableRows.get(relation) ?? 0) >= LARGE_TABLE_ROWS : false;

function inspect(procedure: string, statement: number, plan: PlanNode): Finding[] {
  const findings: Finding[] = [];
  const allowed = ALLOWED[procedure] ?? [];
  const permitted = (node: string, relation: string) => allowed.some((a) => a.node === node && a.relation === relation);
  for (const node of walk(plan)) {
    const type = node["Node Type"];
    const relation = node["Relation Name"];
    if (type === "Seq Scan" && relation && isLarge(relation) && !permitted("Seq Scan", relation)) {
      findings.push({ procedure, statement, problem: `Seq Scan on ${relation} (${tableRows.get(relation)} rows)` });
    }
    if (type === "Sort") {
      const scan = scanBelow(node);
      const sorted = scan?.["Relation Name"];
      if (sorted && isLarge(sorted) && (node["Plan Rows"] ?? 0) >= SORTED_ROWS && !permitted("Sort", sorted)) {
        findings.push({
          procedure,
          statement,
          problem: `Sort over ${scan["Node Type"]} on ${sorted}${scan["Index Name"] ? ` using ${scan["Index Name"]}` : ""}`,
        });
      }
    }
  }
  return findings;
}

/** How a plan reads its tables, in one line: `Index Only Scan enrollments(idx_...)`, ... */
function accessPaths(plan: PlanNode): string {
  const paths: string[] = [];
  for (const node of walk(plan)) {
    const relation = node["Relation Name"];
    if (relation) {
      paths.push(`${node["Node Type"]} ${relation}${node["Index Name"] ? `(${node["Index Name"]})` : ""}`);
    } else if (node["Node Type"] === "Sort" || node["Node Type"] === "Bitmap Index Scan") {
      paths.push(node["Index Name"] ? `${node["Node Type"]}(${node["Index Name"]})` : node["Node Type"]);
    }
  }
  return [...new Set(paths)].join(", ");
}

/** Statements worth explaining: not the transaction's own housekeeping. */
const explainable = (query: string) =>
  !/^\s*(begin|commit|rollback|savepoint|release|set\b|select set_config|show\b)/i.test(query);

/** Runs the call with statement capture on; returns what it sent. */
async function capture(call: () => Promise<unknown>): Promise<Captured[]> {
  captured = [];
  capturing = true;
  try {
    await call();
  } finally {
    capturing = false;
  }
  return captured.filter((c) => explainable(c.query));
}

/** EXPLAIN of each statement as coursebase_app in a tenant transaction of `institutionId`. */
async function explainAll(
  institutionId: string,
  statements: Captured[],
  format: "json" | "text",
): Promise<(PlanNode | string)[]> {
  const client = database.sql;
  if (!client) throw new Error("PostgreSQL only");
  const plans: (PlanNode | string)[] = [];
  const rolledBack = new Error("explained: roll back");
  await client
    .begin(async (tx) => {
      await tx.unsafe("select set_config('role', 'coursebase_app', true), set_config('app.institution_id', $1, true)", [
        institutionId,
      ]);
      for (const statement of statements) {
        const rows = await tx.unsafe(`explain (format ${format}) ${statement.query}`, statement.params as never[]);
        const lines = rows.map((row) => (row as Record<string, unknown>)["QUERY PLAN"]);
        if (format === "text") {
          plans.push(lines.join("\n"));
        } else {
          const json = lines[0];
          const parsed = (typeof json === "string" ? JSON.parse(json) : json) as { Plan: PlanNode }[];
          plans.push(parsed[0]?.Plan as PlanNode);
        }
      }
      // EXPLAIN without ANALYZE runs nothing; the rollback makes sure of it.
      throw rolledBack;
    })
    .catch((error: unknown) => {
      if (error !== rolledBack) throw error;
    });
  return plans;
}

async function audit(procedure: string, institutionId: string, call: () => Promise<unknown>): Promise<Finding[]> {
  const statements = await capture(call);
  expect(statements.length, `${procedure} sent no statement`).toBeGreaterThan(0);
  const plans = await explainAll(institutionId, statements, "json");
  const findings: Finding[] = [];
  plans.forEach((plan, i) => {
    findings.push(...inspect(procedure, i + 1, plan as PlanNode));
    auditTable.push(`| ${procedure} | ${i + 1} | ${accessPaths(plan as PlanNode)} |`);
  });
  if (findings.length > 0) {
    // The failure shows the offending statements and their plans, ready to work on.
    const texts = await explainAll(institutionId, statements, "text");
    const offending = [...new Set(findings.map((f) => f.statement))];
    console.error(
      offending
        .map((n) => `${procedure}, statement ${n}:\n${statements[n - 1]?.query}\n${texts[n - 1] as string}`)
        .join("\n\n"),
    );
  }
  return findings;
}

/**
 * A bulk setup statement: without the pool's statement timeout, and without triggers (foreign
 * key checks, rollup marks: session_replication_role = replica), since the rows are consistent
 * by construction and the checks would triple the setup time.
 */
async function setup(query: SQL): Promise<void> {
  await database.db.transaction(async (tx) => {
    await tx.execute(sql`set local statement_timeout = 0`);
    await tx.execute(sql`set local session_replication_role = replica`);
    await tx.execute(query);
  });
}

interface Subjects {
  institutionId: string;
  adminId: string;
  studentId: string;
  courseId: string;
  departmentId: string | null;
  updates: {
    eventId: string;
    studentId: string;
    lessonId: string;
    courseId: string;
    timeSpent: number;
    score: number;
  }[];
}
let subjects: Subjects;

beforeAll(async () => {
  database = await createTestDatabase("postgres");
  await seedDatabase(database, { scale: SCALE, seed: "index-audit", anchor: todayUtc() });

  // Another institution gets a large catalogue: 20,000 courses of one instructor, with varied
  // titles so that full-text search has selective and common words. In another tenant on
  // purpose: the audited institution's queries must reach their own rows through an index, not
  // by reading everyone's (at the standard scale a tenant holds a fraction of each table).
  const bulk = await queryOne<{ institutionId: string; instructorId: string }>(
    database.db,
    sql`with i as (
          insert into institutions (name, domain, type) values ('Index Audit Bulk', 'index-audit.example', 'CORPORATE')
          returning id
        ), u as (
          insert into users (email, name, role, institution_id)
          select 'bulk-instructor@index-audit.example', 'Bulk Instructor', 'INSTRUCTOR', id from i
          returning id, institution_id
        )
        select institution_id as "institutionId", id as "instructorId" from u`,
  );
  if (!bulk) throw new Error("could not create the bulk institution");
  await setup(sql`
    insert into courses (title, description, slug, category, difficulty, status, price, estimated_hours,
                         institution_id, instructor_id, published_at)
    select 'Topic ' || g || ' ' || (array['algebra','python','history','design','finance','biology','poetry','statistics'])[g % 8 + 1],
           'A generated course about ' || (array['numbers','programs','the past','shapes','money','cells','verse','data'])[g % 8 + 1],
           'index-audit-' || g,
           (enum_range(null::course_category))[g % 8 + 1],
           (enum_range(null::difficulty_level))[g % 3 + 1],
           case when g % 10 = 0 then 'DRAFT'::course_status else 'PUBLISHED'::course_status end,
           (g % 200)::numeric, g % 40 + 1,
           ${bulk.institutionId}, ${bulk.instructorId},
           case when g % 10 = 0 then null else now() - (g % 900) * interval '1 day' end
      from generate_series(1, ${EXTRA_COURSES}) g`);
  // ...with 10,000 students enrolled in 3 courses each, and one module and lesson per course:
  // at the standard scale an institution holds a tenth of the people, enrollments and lessons,
  // so its statements must not read the others' rows.
  await setup(sql`
    insert into users (email, name, role, institution_id)
    select 'bulk-student-' || g || '@index-audit.example', 'Bulk Student ' || g, 'STUDENT', ${bulk.institutionId}
      from generate_series(1, ${EXTRA_STUDENTS}) g`);
  await setup(sql`
    insert into modules (title, description, order_index, course_id, institution_id)
    select 'Module', 'The only module', 0, id, institution_id from courses where institution_id = ${bulk.institutionId}`);
  await setup(sql`
    insert into lessons (title, type, content, duration, order_index, module_id, course_id, institution_id)
    select 'Lesson', 'TEXT', '{}'::jsonb, 10, 0, id, course_id, institution_id
      from modules where institution_id = ${bulk.institutionId}`);
  await setup(sql`
    with s as (select id, row_number() over (order by id) as n from users
                where institution_id = ${bulk.institutionId} and role = 'STUDENT'),
         c as (select id, row_number() over (order by id) - 1 as n from courses
                where institution_id = ${bulk.institutionId} and status = 'PUBLISHED'),
         total as (select count(*) as n from c)
    insert into enrollments (student_id, course_id, institution_id, status, progress, enrolled_at)
    select s.id, c.id, ${bulk.institutionId}, 'ACTIVE', 0, now() - (s.n % 300) * interval '1 day'
      from s cross join generate_series(0, ${ENROLLMENTS_PER_STUDENT - 1}) k cross join total
      join c on c.n = (s.n * ${ENROLLMENTS_PER_STUDENT} + k) % total.n`);
  // The audited institution: the generator's largest.
  const big = await queryOne<{ institutionId: string }>(
    database.db,
    sql`select institution_id as "institutionId" from courses where institution_id <> ${bulk.institutionId}
         group by institution_id order by count(*) desc limit 1`,
  );
  if (!big) throw new Error("the generator made no course");
  await setup(sql`analyze`);

  for (const row of await queryRows<{ relname: string; rows: number }>(
    database.db,
    sql`select c.relname::text as relname, c.reltuples::float8 as rows
          from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'm')`,
  )) {
    tableRows.set(row.relname, Number(row.rows));
  }

  // The subjects: the busiest student, course and roster of that institution.
  const picked = await queryOne<Omit<Subjects, "updates">>(
    database.db,
    sql`select ${big.institutionId}::uuid as "institutionId",
               (select id from users where institution_id = ${big.institutionId} and role = 'ADMIN' limit 1) as "adminId",
               (select student_id from enrollments where institution_id = ${big.institutionId} and status = 'ACTIVE'
                 group by student_id order by count(*) desc, student_id limit 1) as "studentId",
               (select course_id from enrollments where institution_id = ${big.institutionId}
                 group by course_id order by count(*) desc, course_id limit 1) as "courseId",
               (select id from departments where institution_id = ${big.institutionId} limit 1) as "departmentId"`,
  );
  if (!picked?.adminId || !picked.studentId || !picked.courseId) throw new Error("no subjects in the dataset");
  const updates = await queryRows<{ studentId: string; lessonId: string; courseId: string }>(
    database.db,
    sql`select e.student_id as "studentId", l.id as "lessonId", e.course_id as "courseId"
          from enrollments e join lessons l on l.course_id = e.course_id
         where e.institution_id = ${big.institutionId} and e.status = 'ACTIVE'
         order by e.student_id, l.id limit 50`,
  );
  subjects = {
    ...picked,
    updates: updates.map((u, i) => ({ ...u, eventId: `index-audit-${i}`, timeSpent: 60, score: 80 })),
  };

  services = createTestServices(database);
  const client = database.sql;
  if (!client) throw new Error("PostgreSQL only");
  // The driver's debug hook sees every statement with its parameters as they are sent.
  client.options.debug = (_connection: number, query: string, parameters: unknown[]) => {
    if (capturing) captured.push({ query, params: [...parameters] });
  };
}, 900_000);

afterAll(async () => {
  if (auditTable.length > 0) {
    console.log(["| procedure | statement | access paths |", "|---|---|---|", ...auditTable].join("\n"));
  }
  await database?.destroy();
});

describe("index audit: no sequential scan of a large table, no sort an index should serve", () => {
  const admin = () =>
    callerAs(services, personPrincipal({ id: subjects.adminId, institutionId: subjects.institutionId, role: "ADMIN" }));
  const student = () =>
    callerAs(
      services,
      personPrincipal({ id: subjects.studentId, institutionId: subjects.institutionId, role: "STUDENT" }),
    );

  it("the dataset is large where it matters", () => {
    for (const table of ["lesson_progress", "enrollments", "courses", "users", "lessons", "modules"]) {
      expect(tableRows.get(table) ?? 0, table).toBeGreaterThanOrEqual(LARGE_TABLE_ROWS);
    }
  });

  const cases: [string, () => Promise<unknown>][] = [
    ["dashboard.student", () => student().dashboard.student({ studentId: subjects.studentId })],
    ["search.courses (query)", () => student().search.courses({ query: "python", page: 1, limit: 20 })],
    [
      "search.courses (filters)",
      () => student().search.courses({ category: "PROGRAMMING", difficulty: "BEGINNER", page: 1, limit: 20 }),
    ],
    ["search.courses (no filter)", () => student().search.courses({ page: 3, limit: 20 })],
    [
      "analytics.course (90 days)",
      () => {
        const end = todayUtc();
        const start = new Date(end.getTime() - 89 * 86_400_000);
        return admin().analytics.course({
          courseId: subjects.courseId,
          start: start.toISOString().slice(0, 10),
          end: end.toISOString().slice(0, 10),
        });
      },
    ],
    ["analytics.summary", () => admin().analytics.summary({})],
    ["progress.record (50 updates)", () => admin().progress.record({ updates: subjects.updates })],
    ["users.list", () => admin().users.list({})],
    ["users.list (role)", () => admin().users.list({ role: "INSTRUCTOR" })],
    ["courses.list", () => admin().courses.list({})],
    ["enrollments.roster", () => admin().enrollments.roster({ courseId: subjects.courseId })],
    ["departments.list", () => admin().departments.list({})],
  ];

  for (const [procedure, call] of cases) {
    it(procedure, async () => {
      const findings = await audit(procedure, subjects.institutionId, call);
      expect(findings).toEqual([]);
    });
  }
});

/**
 * Every index the seed guide lists (its Prisma @unique/@@unique/@@index/@@fulltext and its SQL
 * CREATE INDEX statements), with the index that serves it here: it must exist on that table,
 * lead with the guide's columns in the guide's order, and docs/indexes.md must name it (where
 * the reason for a replacement or a merge is written). One has no index on purpose: its reason
 * must be in docs/indexes.md.
 */
const GUIDE_INDEXES: {
  guide: string;
  table: string;
  columns: string[];
  /** null: no index serves it, on purpose; docs/indexes.md must then hold `reason`. */
  servedBy: string | null;
  reason?: string;
}[] = [
  {
    guide: "Institution domain @unique, @@index([domain])",
    table: "institutions",
    columns: ["domain"],
    servedBy: "institutions_domain_unique",
  },
  {
    guide: "Institution @@index([type, createdAt])",
    table: "institutions",
    columns: ["type", "created_at"],
    servedBy: "institutions_type_created_at_idx",
  },
  { guide: "User email @unique, @@index([email])", table: "users", columns: ["email"], servedBy: "users_email_unique" },
  {
    guide: "User @@index([institutionId, role])",
    table: "users",
    columns: ["institution_id", "role"],
    servedBy: "users_institution_id_role_idx",
  },
  {
    guide: "User @@index([role, isActive])",
    table: "users",
    columns: ["role", "is_active"],
    servedBy: "users_role_is_active_idx",
  },
  {
    guide: "User @@index([lastLoginAt])",
    table: "users",
    columns: ["last_login_at"],
    servedBy: "users_last_login_at_idx",
  },
  {
    guide: "Course slug @unique, @@index([slug])",
    table: "courses",
    columns: ["slug"],
    servedBy: "courses_slug_unique",
  },
  {
    guide: "Course @@index([institutionId, status])",
    table: "courses",
    columns: ["institution_id", "status"],
    servedBy: "courses_institution_id_status_idx",
  },
  {
    guide: "Course @@index([category, difficulty])",
    table: "courses",
    columns: ["category", "difficulty"],
    servedBy: "courses_category_difficulty_idx",
  },
  {
    guide: "Course @@index([instructorId, status])",
    table: "courses",
    columns: ["instructor_id", "status"],
    servedBy: "courses_instructor_id_status_idx",
  },
  {
    guide: "Course @@index([publishedAt, status])",
    table: "courses",
    columns: ["published_at", "status"],
    servedBy: "courses_published_at_status_idx",
  },
  // Replaced: a GIN index on a stored weighted tsvector instead of the guide's expression (docs/indexes.md).
  {
    guide: "Course @@fulltext([title, description]); idx_courses_fulltext_search",
    table: "courses",
    columns: ["search_vector"],
    servedBy: "idx_courses_fulltext_search",
  },
  {
    guide: "Module @@unique/@@index([courseId, orderIndex])",
    table: "modules",
    columns: ["course_id", "order_index"],
    servedBy: "modules_course_id_order_index_key",
  },
  {
    guide: "Lesson @@unique/@@index([moduleId, orderIndex])",
    table: "lessons",
    columns: ["module_id", "order_index"],
    servedBy: "lessons_module_id_order_index_key",
  },
  { guide: "Lesson @@index([type])", table: "lessons", columns: ["type"], servedBy: "lessons_type_idx" },
  {
    guide: "Enrollment @@unique([studentId, courseId])",
    table: "enrollments",
    columns: ["student_id", "course_id"],
    servedBy: "enrollments_student_id_course_id_key",
  },
  // Merged into the guide's own covering index on the same keys.
  {
    guide: "Enrollment @@index([studentId, status]); idx_enrollments_student_status_performance",
    table: "enrollments",
    columns: ["student_id", "status"],
    servedBy: "idx_enrollments_student_status_performance",
  },
  {
    guide: "Enrollment @@index([courseId, status])",
    table: "enrollments",
    columns: ["course_id", "status"],
    servedBy: "enrollments_course_id_status_idx",
  },
  {
    guide: "Enrollment @@index([enrolledAt])",
    table: "enrollments",
    columns: ["enrolled_at"],
    servedBy: "enrollments_enrolled_at_idx",
  },
  {
    guide: "Enrollment @@index([completedAt])",
    table: "enrollments",
    columns: ["completed_at"],
    servedBy: "enrollments_completed_at_idx",
  },
  {
    guide: "Enrollment @@index([lastAccessAt])",
    table: "enrollments",
    columns: ["last_access_at"],
    servedBy: "enrollments_last_access_at_idx",
  },
  {
    guide: "LessonProgress @@unique([studentId, lessonId])",
    table: "lesson_progress",
    columns: ["student_id", "lesson_id"],
    servedBy: "lesson_progress_student_id_lesson_id_key",
  },
  {
    guide: "LessonProgress @@index([studentId, courseId])",
    table: "lesson_progress",
    columns: ["student_id", "course_id"],
    servedBy: "lesson_progress_student_id_course_id_idx",
  },
  // Merged into the guide's own partial index on the same keys.
  {
    guide: "LessonProgress @@index([courseId, completedAt]); idx_lesson_progress_course_completion",
    table: "lesson_progress",
    columns: ["course_id", "completed_at"],
    servedBy: "idx_lesson_progress_course_completion",
  },
  {
    guide: "LessonProgress @@index([lessonId, completedAt])",
    table: "lesson_progress",
    columns: ["lesson_id", "completed_at"],
    servedBy: "lesson_progress_lesson_id_completed_at_idx",
  },
  // Dropped (drizzle/0016): no query reads lesson_progress by time across courses.
  {
    guide: "LessonProgress @@index([completedAt])",
    table: "lesson_progress",
    columns: ["completed_at"],
    servedBy: null,
    reason: "| LessonProgress | `@@index([completedAt])` | none (dropped",
  },
  {
    guide: "CourseAnalytics @@unique/@@index([courseId, date])",
    table: "course_analytics",
    columns: ["course_id", "date"],
    servedBy: "course_analytics_course_id_date_key",
  },
  {
    guide: "CourseAnalytics @@index([date])",
    table: "course_analytics",
    columns: ["date"],
    servedBy: "course_analytics_date_idx",
  },
  {
    guide: "idx_courses_search_performance",
    table: "courses",
    columns: ["institution_id", "status", "category", "difficulty"],
    servedBy: "idx_courses_search_performance",
  },
  {
    guide: "idx_users_active_educational",
    table: "users",
    columns: ["institution_id", "role"],
    servedBy: "idx_users_active_educational",
  },
  {
    guide: "idx_course_analytics_date_range",
    table: "course_analytics",
    columns: ["course_id", "date"],
    servedBy: "idx_course_analytics_date_range",
  },
];

describe("the seed guide's indexes", () => {
  it("each exists (or its replacement does) with the guide's leading columns, and docs/indexes.md names it", async () => {
    const docs = readFileSync(new URL("../../docs/indexes.md", import.meta.url), "utf8");
    const rows = await queryRows<{ index: string; table: string; columns: string[] }>(
      database.db,
      sql`select ic.relname::text as index, t.relname::text as table,
                 array(select a.attname::text
                         from unnest((string_to_array(i.indkey::text, ' ')::int2[])[1:i.indnkeyatts]) with ordinality k(attnum, ord)
                         join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
                        order by k.ord) as columns
            from pg_index i
            join pg_class ic on ic.oid = i.indexrelid
            join pg_class t on t.oid = i.indrelid
           where t.relnamespace = 'public'::regnamespace`,
    );
    const byName = new Map(rows.map((row) => [row.index, row]));
    const problems = GUIDE_INDEXES.flatMap(({ guide, table, columns, servedBy, reason }) => {
      if (servedBy === null) return docs.includes(reason ?? "(none)") ? [] : [`${guide}: no reason in docs/indexes.md`];
      const found = byName.get(servedBy);
      if (!found) return [`${guide}: ${servedBy} does not exist`];
      if (found.table !== table) return [`${guide}: ${servedBy} is on ${found.table}, not ${table}`];
      if (found.columns.slice(0, columns.length).join(",") !== columns.join(",")) {
        return [`${guide}: ${servedBy} leads with (${found.columns.join(", ")}), not (${columns.join(", ")})`];
      }
      if (!new RegExp(`\`${servedBy}[\` ]`).test(docs)) return [`${guide}: docs/indexes.md does not name ${servedBy}`];
      return [];
    });
    expect(problems).toEqual([]);
  });
});
