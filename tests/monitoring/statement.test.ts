import { maskLiterals, redactParams, summarizeStatement } from "@coursebase/db/monitoring/index";
import { describe, expect, it } from "vitest";

// What a log line or a metric label may say about a statement: worked out by hand per case.

describe("redactParams", () => {
  it("describes each bound value by type and size, never by content", () => {
    const params = [
      "b0000000-0000-4000-8000-000000000004",
      "sam@northwind.edu",
      42,
      0.3,
      10n,
      true,
      null,
      new Date("2026-01-02T03:04:05Z"),
      "2026-01-02 03:04:05.000+00",
      "2026-01-02",
      "0612345678",
      ["a", "b"],
      { name: "Sam" },
      new Uint8Array(16),
    ];
    expect(redactParams(params)).toEqual([
      "$1: <uuid>",
      "$2: <text 17 chars>",
      "$3: <integer>",
      "$4: <number>",
      "$5: <integer>",
      "$6: <boolean>",
      "$7: <null>",
      "$8: <timestamp>",
      "$9: <timestamp>",
      "$10: <date>",
      "$11: <numeric>",
      "$12: <array 2 items>",
      "$13: <json>",
      "$14: <bytes 16>",
    ]);
  });

  it("lists at most 20 parameters of a batch and counts the rest", () => {
    const described = redactParams(Array.from({ length: 1000 }, (_, i) => i));
    expect(described).toHaveLength(21);
    expect(described[19]).toBe("$20: <integer>");
    expect(described[20]).toBe("... 980 more");
  });
});

describe("maskLiterals", () => {
  it("masks string literals of every quoting style and drops comments", () => {
    expect(maskLiterals("select * from users where email = 'sam@northwind.edu' -- Sam\nand x = 1")).toBe(
      "select * from users where email = '?'  \nand x = 1",
    );
    expect(maskLiterals("select 'it''s', E'a\\'b', $$Sam's notes$$, $tag$x$tag$ /* who: /* nested */ Sam */")).toBe(
      "select '?', E'?', '?', '?'  ",
    );
  });

  it("keeps quoted identifiers, $n placeholders and numbers", () => {
    const statement = `select "users"."name", $1::uuid from "users" where "id" = $2 limit 10`;
    expect(maskLiterals(statement)).toBe(statement);
  });

  it("does not mistake a quote inside a quoted identifier for a literal", () => {
    expect(maskLiterals(`select "it's" from t where a = 'x'`)).toBe(`select "it's" from t where a = '?'`);
  });
});

describe("summarizeStatement", () => {
  it("names the operation and the main schema table, as Drizzle writes them", () => {
    expect(summarizeStatement(`select "id", "title" from "courses" where "courses"."id" = $1`)).toMatchObject({
      operation: "select",
      table: "courses",
    });
    expect(
      summarizeStatement(`insert into "lesson_progress" ("id") values ($1), ($2) on conflict do nothing`),
    ).toMatchObject({ operation: "insert", table: "lesson_progress" });
    expect(summarizeStatement(`update "enrollments" set "progress" = $1 where "id" = $2`)).toMatchObject({
      operation: "update",
      table: "enrollments",
    });
    expect(summarizeStatement(`delete from public.sessions where "expires_at" < now()`)).toMatchObject({
      operation: "delete",
      table: "sessions",
    });
  });

  it("reads the main statement of a WITH, and the first schema table behind a CTE", () => {
    const statement = `with recent as (select "course_id" from "lesson_progress" where "student_id" = $1)
      update "enrollments" set "last_access_at" = now() from recent where "enrollments"."course_id" = recent."course_id"`;
    expect(summarizeStatement(statement)).toMatchObject({ operation: "update", table: "enrollments" });
    const select = `with days as (select generate_series($1::date, $2::date, interval '1 day') as day)
      select days.day, count(lp."id")::int from days left join "lesson_progress" lp on lp."completed_at"::date = days.day group by 1`;
    expect(summarizeStatement(select)).toMatchObject({ operation: "select", table: "lesson_progress" });
  });

  it("labels transaction control and statements without a table", () => {
    expect(summarizeStatement("begin")).toMatchObject({ operation: "begin", table: "none" });
    expect(summarizeStatement("commit")).toMatchObject({ operation: "commit", table: "none" });
    expect(summarizeStatement("select pg_sleep($1)")).toMatchObject({ operation: "select", table: "none" });
    expect(summarizeStatement("select * from pg_stat_activity")).toMatchObject({ operation: "select", table: "other" });
    expect(summarizeStatement("frobnicate everything")).toMatchObject({ operation: "other", table: "none" });
  });

  it("gives one fingerprint to a statement whatever its literals, numbers or batch size", () => {
    const one = summarizeStatement(`insert into "lesson_progress" ("id", "time_spent") values ($1, $2)`);
    const three = summarizeStatement(
      `insert into "lesson_progress" ("id", "time_spent") values ($1, $2), ($3, default), ($5, $6)`,
    );
    expect(three.fingerprint).toBe(one.fingerprint);
    expect(summarizeStatement("select * from users where email = 'a@b.c' limit 5").fingerprint).toBe(
      summarizeStatement("select * from users where email = 'x@y.z' limit 50").fingerprint,
    );
    expect(summarizeStatement(`select "id" from "courses"`).fingerprint).not.toBe(
      summarizeStatement(`select "id" from "modules"`).fingerprint,
    );
    expect(one.fingerprint).toMatch(/^[0-9a-f]{12}$/);
  });
});
