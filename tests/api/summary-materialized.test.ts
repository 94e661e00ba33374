import { type Database, schema, withTenant } from "@coursebase/db";
import { queryRows } from "@coursebase/db/execute";
import { type CourseSummaryRow, coursePerformanceSelect, getCourseSummary } from "@coursebase/db/queries/analytics";
import { refreshCourseSummary } from "@coursebase/db/queries/summary-refresh";
import { TRPCError } from "@trpc/server";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { ids, loadFixture } from "../support/fixture.ts";
import { as } from "../support/principals.ts";
import { callerAs, createTestServices } from "../support/services.ts";

/**
 * analytics.summary from the materialized view course_performance_summary (drizzle/0007): equal
 * to the live SELECT after a refresh, stale until the next one, refreshed by admins only, and
 * never showing the application role another institution's rows.
 *
 * Fixture by hand (published: C1, C2, C4 at Northwind, C5 at Southbank; C3 is a draft).
 *   C2: Sam ACTIVE 50, Alex SUSPENDED 0; progress 300 s and 200 s, neither scored.
 * This file adds Noel to C2 (ACTIVE 40) with 3600 s on L5 scored 80:
 *   C2 becomes 3 enrollments, avg progress (50 + 0 + 40) / 3 = 30, avg score 80,
 *   hours (300 + 200 + 3600) / 3600 = 1.1389 -> 1.14 (before: 500 / 3600 = 0.14).
 */

async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "OK";
  } catch (error) {
    if (error instanceof TRPCError) return error.code;
    throw error;
  }
}

/** The database's own message, under drizzle's "Failed query: ..." wrapper. */
async function databaseError(call: Promise<unknown>): Promise<string> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : (error as Error).message;
}

/** The live SELECT, in getCourseSummary's row shape, ordered by title. */
async function liveSummary(db: Database): Promise<CourseSummaryRow[]> {
  const rows = await queryRows<{
    course_id: string;
    title: string;
    category: CourseSummaryRow["category"];
    difficulty: CourseSummaryRow["difficulty"];
    total_enrollments: number;
    completions: number;
    avg_progress: number | null;
    avg_score: number | null;
    total_hours_spent: number;
  }>(
    db,
    sql`select course_id, title, category, difficulty, total_enrollments::int, completions::int,
               avg_progress::float8, avg_score::float8, total_hours_spent::float8
          from (${coursePerformanceSelect}) as live
         order by title, course_id`,
  );
  return rows.map((row) => ({
    courseId: row.course_id,
    title: row.title,
    category: row.category,
    difficulty: row.difficulty,
    totalEnrollments: row.total_enrollments,
    completions: row.completions,
    avgProgress: row.avg_progress,
    avgScore: row.avg_score,
    totalHoursSpent: row.total_hours_spent,
  }));
}

const byTitle = { sort: "title", limit: 100 } as const;

describe("analytics.summary from the materialized view", () => {
  let database: TestDatabase;
  let services: ReturnType<typeof createTestServices>;

  beforeAll(async () => {
    database = await createTestDatabase();
    await loadFixture(database.db);
    services = createTestServices(database);
  });
  afterAll(() => database.destroy());

  it("a fresh database has the view populated by the migration, and the population recorded", async () => {
    // The template was migrated before the fixture was loaded: an empty but recorded summary.
    const summary = await getCourseSummary(database.db, byTitle);
    expect(summary.source).toBe("materialized");
    expect(summary.courses).toEqual([]);
    const [record] = await queryRows<{ rows: number; duration_ms: number | null }>(
      database.db,
      sql`select "rows", duration_ms from materialized_view_refreshes where view_name = 'course_performance_summary'`,
    );
    expect(record).toEqual({ rows: 0, duration_ms: null });
  });

  it("after a refresh the summary equals the live computation, row for row", async () => {
    const refresh = await refreshCourseSummary(database.db);
    expect(refresh.rows).toBe(4); // C1, C2, C4, C5
    const summary = await getCourseSummary(database.db, byTitle);
    expect(summary.courses).toEqual(await liveSummary(database.db));
    expect(summary.courses.map((c) => c.courseId).sort()).toEqual([ids.c1, ids.c2, ids.c4, ids.c5].sort());
    expect(summary.refreshedAt).toEqual(refresh.refreshedAt);
    // Column for column, types included: the view is exactly coursePerformanceSelect.
    const [diff] = await queryRows<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from (
            (select * from course_performance_summary except all select * from (${coursePerformanceSelect}) l)
            union all
            (select * from (${coursePerformanceSelect}) l except all select * from course_performance_summary)
          ) d`,
    );
    expect(diff?.n).toBe(0);
  });

  it("new progress is invisible until the next refresh, then counted; refreshedAt moves forward", async () => {
    const c2 = async () => (await getCourseSummary(database.db, byTitle)).courses.find((c) => c.courseId === ids.c2);
    const first = await refreshCourseSummary(database.db);
    expect(await c2()).toMatchObject({ totalEnrollments: 2, avgProgress: 25, avgScore: null, totalHoursSpent: 0.14 });

    await database.db.insert(schema.enrollments).values({
      studentId: ids.noel,
      courseId: ids.c2,
      institutionId: ids.northwind,
      status: "ACTIVE",
      progress: 40,
    });
    await database.db.insert(schema.lessonProgress).values({
      studentId: ids.noel,
      lessonId: ids.l5,
      courseId: ids.c2,
      institutionId: ids.northwind,
      timeSpent: 3600,
      score: "80.00",
    });
    const stale = await getCourseSummary(database.db, byTitle);
    expect(stale.courses.find((c) => c.courseId === ids.c2)).toMatchObject({
      totalEnrollments: 2,
      totalHoursSpent: 0.14,
    });
    expect(stale.refreshedAt).toEqual(first.refreshedAt);

    // A plain (blocking) refresh records itself the same way.
    const second = await refreshCourseSummary(database.db, { concurrently: false });
    expect(second.refreshedAt.getTime()).toBeGreaterThan(first.refreshedAt.getTime());
    expect(second.durationMs).toBeGreaterThanOrEqual(0);
    const fresh = await getCourseSummary(database.db, byTitle);
    expect(fresh.refreshedAt).toEqual(second.refreshedAt);
    expect(fresh.courses.find((c) => c.courseId === ids.c2)).toMatchObject({
      totalEnrollments: 3,
      completions: 0,
      avgProgress: 30,
      avgScore: 80,
      totalHoursSpent: 1.14,
    });
    expect(fresh.courses).toEqual(await liveSummary(database.db));
  });

  describe("tenant isolation (row-level security does not cover materialized views)", () => {
    beforeAll(() => refreshCourseSummary(database.db));

    it("in a tenant transaction only that institution's rows are visible, whatever the query asks", async () => {
      // No institution filter of its own, and a condition that would match every row.
      const visibleTo = (institution: string) =>
        withTenant(database.db, institution, (tx) =>
          queryRows<{ course_id: string }>(
            tx,
            sql`select course_id from tenant_course_performance_summary where course_id is not null order by title`,
          ),
        );
      const northwind = await visibleTo(ids.northwind);
      const southbank = await visibleTo(ids.southbank);
      expect(northwind.map((r) => r.course_id)).toEqual([ids.c1, ids.c2, ids.c4]);
      expect(southbank.map((r) => r.course_id)).toEqual([ids.c5]);
    });

    it("getCourseSummary in a tenant transaction, even without a scope, sees its institution only", async () => {
      const summary = await withTenant(database.db, ids.southbank, (tx) => getCourseSummary(tx, byTitle));
      expect(summary.courses.map((c) => c.courseId)).toEqual([ids.c5]);
      expect(summary.pagination.total).toBe(1);
      // Asking for another institution's courses by scope finds nothing either.
      const foreign = await withTenant(database.db, ids.southbank, (tx) =>
        getCourseSummary(tx, byTitle, { institutionId: ids.northwind }),
      );
      expect(foreign.courses).toEqual([]);
    });

    it("the application role cannot read the materialized view directly, nor the view without a tenant", async () => {
      const direct = withTenant(database.db, ids.northwind, (tx) =>
        queryRows(tx, sql`select course_id from course_performance_summary`),
      );
      expect(await databaseError(direct)).toMatch(/permission denied/);
      const noTenant = await database.db.transaction(async (tx) => {
        await tx.execute(sql`set local role coursebase_app`);
        return queryRows(tx as unknown as Database, sql`select course_id from tenant_course_performance_summary`);
      });
      expect(noTenant).toEqual([]);
      // Nor refresh it.
      const refresh = withTenant(database.db, ids.northwind, (tx) => refreshCourseSummary(tx));
      // PostgreSQL 15 says "must be owner"; 17+ (PGlite) checks the MAINTAIN privilege instead.
      expect(await databaseError(refresh)).toMatch(/must be owner|permission denied/);
    });

    it("through the API an administrator sees their institution's summary", async () => {
      const summary = await callerAs(services, as.southbankToken).analytics.summary({});
      expect(summary.courses.map((c) => c.courseId)).toEqual([ids.c5]);
      expect(summary.source).toBe("materialized");
    });
  });

  describe("analytics.refreshSummary", () => {
    it("is for administrators only", async () => {
      const input = {};
      expect(await outcome(callerAs(services, null).analytics.refreshSummary(input))).toBe("UNAUTHORIZED");
      expect(await outcome(callerAs(services, as.sam).analytics.refreshSummary(input))).toBe("FORBIDDEN");
      expect(await outcome(callerAs(services, as.ada).analytics.refreshSummary(input))).toBe("FORBIDDEN");
      expect(await outcome(callerAs(services, as.tom).analytics.refreshSummary(input))).toBe("FORBIDDEN");
      expect(await outcome(callerAs(services, as.grace).analytics.refreshSummary(input))).toBe("FORBIDDEN");
    });

    it("refreshes as the owner, reports the refresh, and the summary then reports the same time", async () => {
      const before = await getCourseSummary(database.db, byTitle);
      const admin = callerAs(services, as.northwindAdmin);
      const result = await admin.analytics.refreshSummary({});
      expect(result).toEqual({ refreshedAt: expect.any(Date), durationMs: expect.any(Number), rows: 4 });
      expect(result.refreshedAt.getTime()).toBeGreaterThan(before.refreshedAt.getTime());
      const after = await admin.analytics.summary({});
      expect(after.refreshedAt).toEqual(result.refreshedAt);
      const blocking = await callerAs(services, as.southbankToken).analytics.refreshSummary({ concurrently: false });
      expect(blocking.refreshedAt.getTime()).toBeGreaterThan(result.refreshedAt.getTime());
    });

    it("rejects a non-boolean option, naming the field", async () => {
      const admin = callerAs(services, as.northwindAdmin);
      // @ts-expect-error: not a boolean
      const error = await admin.analytics.refreshSummary({ concurrently: "yes" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TRPCError);
      expect((error as TRPCError).code).toBe("BAD_REQUEST");
      expect((error as TRPCError).message).toMatch(/concurrently/);
    });
  });
});
