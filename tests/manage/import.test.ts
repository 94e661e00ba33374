import { type Database, queryOne, queryRows, schema } from "@coursebase/db";
import type { ImportIssue } from "@coursebase/db/queries/import";
import type { Cache } from "@coursebase/server/cache";
import { createOffCache } from "@coursebase/server/cache/off-cache";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { ids, loadFixture } from "../support/fixture.ts";
import { as } from "../support/principals.ts";
import { callerAs, createTestServices } from "../support/services.ts";
import { refusal } from "./support.ts";

/**
 * A generated users CSV of 2,500 data rows (three batches of up to 1,000) with bad rows planted at
 * known lines, and a multi-line quoted name early on so that every later line number depends on
 * counting physical lines, not records. The expected issues are written down as the file is
 * built (line -> reason), not computed by the code under test.
 */
const USERS = 2500;

interface Generated {
  csv: string;
  expected: ImportIssue[];
  good: number;
  existing: number;
}

function generateUsersCsv(): Generated {
  const lines: string[] = ["email,name,role,department"];
  const expected: ImportIssue[] = [];
  let good = 0;
  let existing = 0;
  // Physical lines so far: a quoted field may span several.
  const nextLine = () => lines.reduce((count, row) => count + row.split("\n").length, 0) + 1;
  for (let n = 1; n <= USERS; n++) {
    const email = `student${String(n).padStart(5, "0")}@import.northwind.edu`;
    const line = nextLine();
    switch (n) {
      case 4:
        lines.push("not-an-email,Broken Email,STUDENT,");
        expected.push({ line, column: "email", message: "must be an email address" });
        break;
      case 9:
        lines.push(`${email},Wizard,WIZARD,`);
        expected.push({
          line,
          column: "role",
          message: "must be one of STUDENT, INSTRUCTOR, ADMIN, TEACHING_ASSISTANT",
        });
        break;
      case 14:
        lines.push(`${email},Lost Department,STUDENT,NOPE`);
        expected.push({ line, column: "department", message: "no department with this code" });
        break;
      case 19:
        // Repeats the email of data row 2 (line 3).
        lines.push(`${"student00002@import.northwind.edu"},Twin,STUDENT,`);
        expected.push({ line, message: "repeats line 3" });
        break;
      case 24:
        // Southbank's student: refused without naming the other institution.
        lines.push("bea@southbank.ac.uk,Bea Again,STUDENT,");
        expected.push({ line, column: "email", message: "is already in use by another account" });
        break;
      case 29:
        lines.push(`${email},Too Few`);
        expected.push({ line, message: "has 2 fields; the header has 4" });
        break;
      case 39:
        // Already a Northwind user (any case): skipped, not an error.
        lines.push("SAM@northwind.edu,Sam Student,STUDENT,");
        existing += 1;
        break;
      case 49:
        lines.push(`${email},"Multi\nLine Name",STUDENT,MATH`);
        good += 1;
        break;
      case 59:
        lines.push(`${email},No Role,,`);
        expected.push({
          line,
          column: "role",
          message: "must be one of STUDENT, INSTRUCTOR, ADMIN, TEACHING_ASSISTANT",
        });
        break;
      case 1500:
        lines.push(`${email},,INSTRUCTOR,`);
        expected.push({ line, column: "name", message: "is required" });
        break;
      case 2222:
        lines.push(`${email},"Unclosed "quote",STUDENT,`);
        expected.push({ line, message: expect.stringMatching(/^malformed CSV: /) as unknown as string });
        break;
      default:
        lines.push(
          `${email},Imported Student ${n},${n % 10 === 0 ? "teaching_assistant" : "STUDENT"},${n % 7 === 0 ? "CS" : ""}`,
        );
        good += 1;
    }
  }
  return { csv: `${lines.join("\n")}\n`, expected, good, existing };
}

const file = (text: string) => new Blob([text]);

describe("bulk import", () => {
  let database: TestDatabase;
  let db: Database;
  const api = (principal: Parameters<typeof callerAs>[1]) => callerAs(createTestServices(database), principal);
  const generated = generateUsersCsv();
  const importedUsers = async () =>
    (
      await queryOne<{ n: number }>(
        db,
        sql`select count(*)::int as n from users where email like '%@import.northwind.edu'`,
      )
    )?.n;
  const auditCount = async (action: string) =>
    (await queryOne<{ n: number }>(db, sql`select count(*)::int as n from audit_log where action = ${action}`))?.n;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = database.db;
    await loadFixture(db);
  });
  afterAll(() => database.destroy());

  describe("users", () => {
    it("a dry run reports every planted bad row with its line number and applies nothing", async () => {
      const report = await api(as.northwindAdmin).imports.users.dryRun(file(generated.csv));
      expect(report).toMatchObject({
        kind: "users",
        dryRun: true,
        rows: USERS,
        applied: generated.good,
        existing: generated.existing,
        invalid: generated.expected.length,
      });
      expect(report.issues).toEqual(generated.expected);
      // Nothing about the other institution leaks: no name, domain or id of it.
      expect(JSON.stringify(report.issues)).not.toMatch(/southbank|Southbank|a0000000-0000-4000-8000-000000000002/i);
      expect(await importedUsers()).toBe(0);
      expect(await auditCount("import.users")).toBe(0);
    });

    it("a real run applies every good row once, and a second run adds nothing", async () => {
      const first = await api(as.northwindToken).imports.users.run(file(generated.csv));
      expect(first).toMatchObject({ dryRun: false, applied: generated.good, existing: generated.existing });
      expect(first.issues).toEqual(generated.expected);
      expect(await importedUsers()).toBe(generated.good);
      const second = await api(as.northwindToken).imports.users.run(file(generated.csv));
      expect(second).toMatchObject({ applied: 0, existing: generated.good + generated.existing });
      expect(await importedUsers()).toBe(generated.good);
      expect(await auditCount("import.users")).toBe(2);
      // Spot checks: case-folded role, department resolved by code, multi-line name kept.
      const rows = await queryRows<{ email: string; role: string; code: string | null; name: string }>(
        db,
        sql`select u.email, u.role, d.code, u.name from users u left join departments d on d.id = u.department_id
             where u.email in ('student00070@import.northwind.edu', 'student00049@import.northwind.edu') order by u.email`,
      );
      expect(rows).toEqual([
        { email: "student00049@import.northwind.edu", role: "STUDENT", code: "MATH", name: "Multi\nLine Name" },
        {
          email: "student00070@import.northwind.edu",
          role: "TEACHING_ASSISTANT",
          code: "CS",
          name: "Imported Student 70",
        },
      ]);
      const users = await queryRows<{ institutionId: string }>(
        db,
        sql`select distinct institution_id as "institutionId" from users where email like '%@import.northwind.edu'`,
      );
      expect(users).toEqual([{ institutionId: ids.northwind }]);
    });

    it("an email of another institution is refused to it too, and the file's header is checked first", async () => {
      const report = await api(as.southbankToken).imports.users.dryRun(
        file("email,name,role\nsam@northwind.edu,Sam,STUDENT\nnew@southbank.ac.uk,New,STUDENT\n"),
      );
      expect(report).toMatchObject({ applied: 1, existing: 0, invalid: 1 });
      expect(report.issues).toEqual([{ line: 2, column: "email", message: "is already in use by another account" }]);
      expect(
        await refusal(api(as.northwindAdmin).imports.users.run(file("email,name,department\na@b.edu,A,\n"))),
      ).toEqual({
        code: "BAD_REQUEST",
        message: "file: line 1: missing column(s) role (expected: email, name, role, optionally department)",
      });
      expect(
        await refusal(
          api(as.northwindAdmin).imports.users.run(file("email,name,role,shoe_size\na@b.edu,A,STUDENT,9\n")),
        ),
      ).toEqual({
        code: "BAD_REQUEST",
        message: "file: line 1: unknown column(s) shoe_size (expected: email, name, role, optionally department)",
      });
      expect(
        (await queryOne<{ n: number }>(db, sql`select count(*)::int as n from users where email = 'a@b.edu'`))?.n,
      ).toBe(0);
    });
  });

  describe("enrollments", () => {
    const csv = [
      "student_email,course_slug", // line 1
      "student00001@import.northwind.edu,calculus-i", // 2 ok
      "student00002@import.northwind.edu,calculus-i", // 3 ok
      "student00003@import.northwind.edu,linear-algebra", // 4 ok
      "nobody@import.northwind.edu,calculus-i", // 5 unknown student
      "ada@northwind.edu,calculus-i", // 6 not a student
      "student00001@import.northwind.edu,no-such-course", // 7 unknown course
      "student00001@import.northwind.edu,data-science-python", // 8 DRAFT
      "student00001@import.northwind.edu,intro-cpp", // 9 prerequisite C1 not completed
      "student00002@import.northwind.edu,calculus-i", // 10 repeats line 3
      "sam@northwind.edu,calculus-i", // 11 already enrolled: skipped
      "bea@southbank.ac.uk,calculus-i", // 12 another institution's student: unknown here
      "student00005@import.northwind.edu,calculus-business", // 13 another institution's course
      "",
    ].join("\n");
    const expectedIssues: ImportIssue[] = [
      { line: 5, column: "student_email", message: "no user with this email in the institution" },
      { line: 6, column: "student_email", message: "the user is INSTRUCTOR, not a STUDENT" },
      { line: 7, column: "course_slug", message: "no such course" },
      {
        line: 8,
        column: "course_slug",
        message: "the course is DRAFT; only a PUBLISHED course accepts enrollments",
      },
      { line: 9, column: "course_slug", message: "prerequisites not completed: Calculus I: Limits and Derivatives" },
      { line: 10, message: "repeats line 3" },
      { line: 12, column: "student_email", message: "no user with this email in the institution" },
      { line: 13, column: "course_slug", message: "no such course" },
    ];

    it("dry run reports, real run applies once, re-run adds nothing", async () => {
      await db
        .insert(schema.coursePrerequisites)
        .values({ courseId: ids.c2, prerequisiteId: ids.c1, institutionId: ids.northwind });
      const enrolled = async () =>
        (
          await queryOne<{ n: number }>(
            db,
            sql`select count(*)::int as n from enrollments e join users u on u.id = e.student_id
                 where u.email like '%@import.northwind.edu'`,
          )
        )?.n;
      const dry = await api(as.northwindAdmin).imports.enrollments.dryRun(file(csv));
      expect(dry).toMatchObject({ rows: 12, applied: 3, existing: 1, invalid: 8 });
      expect(dry.issues).toEqual(expectedIssues);
      expect(await enrolled()).toBe(0);
      // The changed students' dashboards and courses' analytics are dropped once committed.
      const invalidated: string[][] = [];
      const off = createOffCache({ dashboardSeconds: 300, analyticsSeconds: 1800 });
      const cache: Cache = {
        ...off,
        async invalidate(tags) {
          invalidated.push([...tags]);
        },
      };
      const run = await callerAs(createTestServices(database, cache), as.northwindAdmin).imports.enrollments.run(
        file(csv),
      );
      expect(run).toMatchObject({ applied: 3, existing: 1, invalid: 8 });
      const students = await queryRows<{ id: string }>(
        db,
        sql`select id from users where email in ('student00001@import.northwind.edu', 'student00002@import.northwind.edu',
                                                  'student00003@import.northwind.edu') order by id`,
      );
      expect(invalidated.length).toBe(1);
      expect([...(invalidated[0] ?? [])].sort()).toEqual(
        [
          ...students.map((student) => `student:${ids.northwind}:${student.id}`),
          `course:${ids.northwind}:${ids.c1}`,
          `course:${ids.northwind}:${ids.c4}`,
        ].sort(),
      );
      expect(run.issues).toEqual(expectedIssues);
      expect(await enrolled()).toBe(3);
      const again = await api(as.northwindAdmin).imports.enrollments.run(file(csv));
      expect(again).toMatchObject({ applied: 0, existing: 4, invalid: 8 });
      expect(await enrolled()).toBe(3);
      expect(await auditCount("import.enrollments")).toBe(2);
    });
  });

  describe("roles", () => {
    it("administrators and API tokens import; nobody else", async () => {
      const body = "email,name,role\nrole-test@import.northwind.edu,Role Test,STUDENT\n";
      for (const principal of [as.ada, as.tom, as.sam]) {
        expect((await refusal(api(principal).imports.users.run(file(body)))).code).toBe("FORBIDDEN");
        expect(
          (await refusal(api(principal).imports.enrollments.dryRun(file("student_email,course_slug\n")))).code,
        ).toBe("FORBIDDEN");
      }
      expect((await refusal(api(null).imports.users.run(file(body)))).code).toBe("UNAUTHORIZED");
      // The file may also come as bytes (Uint8Array), as the typed client may send it.
      const asBytes = await api(as.northwindToken).imports.users.dryRun(new TextEncoder().encode(body));
      expect(asBytes).toMatchObject({ rows: 1, applied: 1, invalid: 0 });
      expect(
        (
          await queryOne<{ n: number }>(
            db,
            sql`select count(*)::int as n from users where email = 'role-test@import.northwind.edu'`,
          )
        )?.n,
      ).toBe(0);
    });
  });
});
