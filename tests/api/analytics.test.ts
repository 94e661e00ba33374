import { type Database, schema } from "@coursebase/db";
import {
  type CourseSummaryInput,
  courseSummaryInput,
  getCourseAnalytics,
  getCourseSummary,
} from "@coursebase/db/queries/analytics";
import { refreshCourseSummary } from "@coursebase/db/queries/summary-refresh";
import { TRPCError } from "@trpc/server";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ZodError } from "zod";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { ids, loadFixture } from "../support/fixture.ts";
import { as } from "../support/principals.ts";
import { callerAs, createTestServices } from "../support/services.ts";

/**
 * Every expected number below is worked out by hand from tests/support/fixture.ts with
 * now = 2026-11-25T12:00:00Z (so "n days ago" is 2026-11-(25-n) at 12:00 UTC), plus the rows
 * this file adds (`extra`). Northwind is UTC; Southbank is America/New_York, whose DST ended on
 * Sunday 2026-11-01 at 06:00 UTC (that local day is 25 hours long).
 */
const NOW = new Date("2026-11-25T12:00:00Z");

const extra = {
  kim: "b0000000-0000-4000-8000-000000000100",
  // C2: two completions on 2026-11-16 (Sam's L6 at 12:00, 200 s, no score; this one, 100 s,
  // score 40) and one on 2026-11-18 (600 s, score 100). Daily averages 150 and 600 s would
  // average to 375 s; the true range average is (200 + 100 + 600) / 3 = 300 s.
  alexL5: { completedAt: new Date("2026-11-16T20:00:00Z"), timeSpent: 100, score: "40.00" },
  alexL6: { completedAt: new Date("2026-11-18T09:00:00Z"), timeSpent: 600, score: "100.00" },
  // C5 (New York): 03:30 UTC on the 20th is 22:30 on the 19th locally.
  beaL8: { completedAt: new Date("2026-11-20T03:30:00Z"), timeSpent: 300, score: "90.00" },
  // C5: 04:30 UTC on Nov 2 is 23:30 EST on Nov 1 (a fixed EDT offset would say 00:30 on Nov 2).
  kimEnrolledAt: new Date("2026-11-02T04:30:00Z"),
};

async function addExtraRows(db: Database) {
  await db.insert(schema.users).values({
    id: extra.kim,
    email: "kim@southbank.ac.uk",
    name: "Kim Night-Owl",
    role: "STUDENT",
    institutionId: ids.southbank,
  });
  await db.insert(schema.enrollments).values({
    studentId: extra.kim,
    courseId: ids.c5,
    institutionId: ids.southbank,
    status: "ACTIVE",
    progress: 0,
    enrolledAt: extra.kimEnrolledAt,
  });
  await db.insert(schema.lessonProgress).values([
    { studentId: ids.alex, lessonId: ids.l5, courseId: ids.c2, institutionId: ids.northwind, ...extra.alexL5 },
    { studentId: ids.alex, lessonId: ids.l6, courseId: ids.c2, institutionId: ids.northwind, ...extra.alexL6 },
    { studentId: ids.bea, lessonId: ids.l8, courseId: ids.c5, institutionId: ids.southbank, ...extra.beaL8 },
  ]);
}

const idle = (date: string) => ({
  date,
  enrollments: 0,
  completions: 0,
  avgTimeSpent: 0,
  avgScore: null,
  lessonsCompleted: 0,
});

function datesFrom(start: string, count: number): string[] {
  const first = Date.parse(`${start}T00:00:00Z`);
  return Array.from({ length: count }, (_, i) => new Date(first + i * 86_400_000).toISOString().slice(0, 10));
}

async function expectBadRequest(call: Promise<unknown>, field: string, reason: RegExp) {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCError);
  expect((error as TRPCError).code).toBe("BAD_REQUEST");
  const issues = ((error as TRPCError).cause as ZodError).issues.map((i) => ({
    path: i.path.join("."),
    message: i.message,
  }));
  expect(issues).toContainEqual({ path: field, message: expect.stringMatching(reason) });
}

describe("analytics", () => {
  let database: TestDatabase;
  // Course analytics go through the API as an administrator of the course's institution. The
  // summary's orderings span both institutions, which no caller may see at once: valid inputs
  // run on the query layer (as the owner), invalid ones through the API (BAD_REQUEST naming the field).
  let api: {
    analytics: {
      course: ReturnType<typeof callerAs>["analytics"]["course"];
      summary: (input: CourseSummaryInput) => ReturnType<ReturnType<typeof callerAs>["analytics"]["summary"]>;
    };
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    await loadFixture(database.db, NOW);
    await addExtraRows(database.db);
    // The summary reads a materialized view: bring it up to date with these rows.
    await refreshCourseSummary(database.db);
    const services = createTestServices(database);
    const northwind = callerAs(services, as.northwindToken);
    const southbank = callerAs(services, as.southbankToken);
    api = {
      analytics: {
        course: (input) => (input.courseId === ids.c5 ? southbank : northwind).analytics.course(input),
        summary: (input) =>
          courseSummaryInput.safeParse(input).success
            ? getCourseSummary(database.db, input)
            : northwind.analytics.summary(input),
      },
    };
  });
  afterAll(() => database.destroy());

  describe("analytics.course", () => {
    it("a one-day range counts that whole day, last instant included", async () => {
      // Sam completed L1 at 12:00 on Nov 24; the guide's BETWEEN '11-24' AND '11-24' would miss it.
      const result = await api.analytics.course({ courseId: ids.c1, start: "2026-11-24", end: "2026-11-24" });
      expect(result).toEqual({
        courseId: ids.c1,
        timeZone: "UTC",
        start: "2026-11-24",
        end: "2026-11-24",
        series: [
          { date: "2026-11-24", enrollments: 0, completions: 0, avgTimeSpent: 600, avgScore: 80, lessonsCompleted: 1 },
        ],
        totals: { enrollments: 0, completions: 0, avgTimeSpent: 600, avgScore: 80, lessonsCompleted: 1 },
      });
    });

    it("30 days: every day present, zeros on idle days, figures on active days", async () => {
      const result = await api.analytics.course({ courseId: ids.c1, start: "2026-11-01", end: "2026-11-30" });
      const active: Record<string, object> = {
        // Sam enrolled at 10:00.
        "2026-11-01": { enrollments: 1 },
        // Alex's lessons, 500 s each, one a day.
        "2026-11-05": { lessonsCompleted: 1, avgTimeSpent: 500, avgScore: 70 },
        "2026-11-06": { lessonsCompleted: 1, avgTimeSpent: 500, avgScore: 75 },
        "2026-11-07": { lessonsCompleted: 1, avgTimeSpent: 500, avgScore: 85 },
        // Alex also completed the course that day (he enrolled on Oct 1, outside the range: the
        // guide, counting completions on enrollment days, would report none in November).
        "2026-11-08": { lessonsCompleted: 1, avgTimeSpent: 500, avgScore: 95, completions: 1 },
        "2026-11-23": { lessonsCompleted: 1, avgTimeSpent: 900, avgScore: 90 },
        "2026-11-24": { lessonsCompleted: 1, avgTimeSpent: 600, avgScore: 80 },
      };
      const expected = datesFrom("2026-11-01", 30).map((date) => ({ ...idle(date), ...active[date] }));
      expect(result.series).toEqual(expected);
      expect(result.series.filter((day) => active[day.date] === undefined)).toHaveLength(23);
      // (4 x 500 + 900 + 600) / 6 = 583.33 s; (70 + 75 + 85 + 95 + 90 + 80) / 6 = 82.5.
      expect(result.totals).toEqual({
        enrollments: 1,
        completions: 1,
        avgTimeSpent: 583.33,
        avgScore: 82.5,
        lessonsCompleted: 6,
      });
    });

    it("totals come from sums and counts, not from daily averages; unscored lessons are not zeros", async () => {
      const result = await api.analytics.course({ courseId: ids.c2, start: "2026-11-10", end: "2026-11-18" });
      expect(result.series).toHaveLength(9);
      expect(result.series[0]).toEqual({ ...idle("2026-11-10"), enrollments: 1 });
      // 200 s unscored + 100 s scored 40: average time 150 s, average score 40 (not 20).
      expect(result.series[6]).toEqual({ ...idle("2026-11-16"), lessonsCompleted: 2, avgTimeSpent: 150, avgScore: 40 });
      expect(result.series[8]).toEqual({
        ...idle("2026-11-18"),
        lessonsCompleted: 1,
        avgTimeSpent: 600,
        avgScore: 100,
      });
      expect(result.totals).toEqual({
        enrollments: 1,
        completions: 0,
        avgTimeSpent: 300,
        avgScore: 70,
        lessonsCompleted: 3,
      });
    });

    it("cuts days in the institution's zone: a late-evening event lands on its local day", async () => {
      const result = await api.analytics.course({ courseId: ids.c5, start: "2026-11-19", end: "2026-11-20" });
      expect(result.timeZone).toBe("America/New_York");
      expect(result.series).toEqual([
        { ...idle("2026-11-19"), lessonsCompleted: 1, avgTimeSpent: 300, avgScore: 90 },
        idle("2026-11-20"),
      ]);
      // Bea's L7 at 12:00 UTC on Nov 24 is 07:00 in New York, the same date.
      const nov24 = await api.analytics.course({ courseId: ids.c5, start: "2026-11-24", end: "2026-11-24" });
      expect(nov24.series).toEqual([{ ...idle("2026-11-24"), lessonsCompleted: 1, avgTimeSpent: 400, avgScore: 60 }]);
    });

    it("handles the 25-hour day when daylight saving time ends", async () => {
      // Kim at 04:30 UTC Nov 2 = 23:30 EST Nov 1; Bea at 15:00 UTC Nov 2 = 10:00 EST Nov 2.
      const result = await api.analytics.course({ courseId: ids.c5, start: "2026-10-31", end: "2026-11-02" });
      expect(result.series).toEqual([
        idle("2026-10-31"),
        { ...idle("2026-11-01"), enrollments: 1 },
        { ...idle("2026-11-02"), enrollments: 1 },
      ]);
    });

    it("does not depend on the session's time zone", async () => {
      // The guide's DATE(completed_at) follows the server/session zone; here UTC+14 changes nothing.
      const expected = await api.analytics.course({ courseId: ids.c1, start: "2026-11-01", end: "2026-11-30" });
      const shifted = await database.db.transaction(async (tx) => {
        await tx.execute(sql`set local time zone 'Pacific/Kiritimati'`);
        return getCourseAnalytics(tx as unknown as Database, {
          courseId: ids.c1,
          start: "2026-11-01",
          end: "2026-11-30",
        });
      });
      expect(shifted).toEqual(expected);
    });

    it("works at the extreme zone offsets, +14 h and -12 h", async () => {
      // Southbank's zone is changed inside a transaction that is rolled back afterwards.
      async function analyticsInZone(timeZone: string, start: string, end: string) {
        const undo = new Error("undo the zone change");
        let result: Awaited<ReturnType<typeof getCourseAnalytics>> = null;
        await database.db
          .transaction(async (tx) => {
            await tx.execute(sql`update institutions set time_zone = ${timeZone} where id = ${ids.southbank}::uuid`);
            result = await getCourseAnalytics(tx as unknown as Database, { courseId: ids.c5, start, end });
            throw undo;
          })
          .catch((error: unknown) => {
            if (error !== undo) throw error;
          });
        return result as Awaited<ReturnType<typeof getCourseAnalytics>>;
      }
      // One-day ranges, so that an index range narrower than the zone's day would lose the event.
      const l7 = { lessonsCompleted: 1, avgTimeSpent: 400, avgScore: 60 };
      const l8 = { lessonsCompleted: 1, avgTimeSpent: 300, avgScore: 90 };
      // Bea's L7 at 12:00 UTC Nov 24 is 02:00 on Nov 25 in Kiritimati (UTC+14).
      const plus14 = await analyticsInZone("Pacific/Kiritimati", "2026-11-25", "2026-11-25");
      expect(plus14?.series).toEqual([{ ...idle("2026-11-25"), ...l7 }]);
      // At UTC-12, Bea's L8 at 03:30 UTC Nov 20 is 15:30 on Nov 19...
      const minus12 = await analyticsInZone("Etc/GMT+12", "2026-11-19", "2026-11-19");
      expect(minus12?.series).toEqual([{ ...idle("2026-11-19"), ...l8 }]);
      // ...and L7 is exactly midnight starting Nov 24: a day's first instant belongs to it.
      const midnight = await analyticsInZone("Etc/GMT+12", "2026-11-23", "2026-11-24");
      expect(midnight?.series).toEqual([idle("2026-11-23"), { ...idle("2026-11-24"), ...l7 }]);
      expect((await api.analytics.course({ courseId: ids.c5, start: "2026-11-24", end: "2026-11-24" })).timeZone).toBe(
        "America/New_York",
      );
    });

    it("a course with no lessons: enrollments only, zeros elsewhere", async () => {
      // Sam enrolled in C4 (later dropped) at 10:00 UTC on Oct 15.
      const result = await api.analytics.course({ courseId: ids.c4, start: "2026-10-14", end: "2026-10-15" });
      expect(result.series).toEqual([idle("2026-10-14"), { ...idle("2026-10-15"), enrollments: 1 }]);
      expect(result.totals).toEqual({
        enrollments: 1,
        completions: 0,
        avgTimeSpent: 0,
        avgScore: null,
        lessonsCompleted: 0,
      });
    });

    it("accepts 366 days and rejects 367, naming the field", async () => {
      const leapYear = await api.analytics.course({ courseId: ids.c1, start: "2024-01-01", end: "2024-12-31" });
      expect(leapYear.series).toHaveLength(366);
      expect(leapYear.series.at(-1)).toEqual(idle("2024-12-31"));
      await expectBadRequest(
        api.analytics.course({ courseId: ids.c1, start: "2025-01-01", end: "2026-01-02" }),
        "end",
        /at most 366 days/,
      );
    });

    it("rejects start after end, impossible dates and bad ids, naming the field", async () => {
      await expectBadRequest(
        api.analytics.course({ courseId: ids.c1, start: "2026-11-02", end: "2026-11-01" }),
        "end",
        /on or after start/,
      );
      await expectBadRequest(
        api.analytics.course({ courseId: ids.c1, start: "2026-11-31", end: "2026-12-01" }),
        "start",
        /YYYY-MM-DD/,
      );
      await expectBadRequest(
        api.analytics.course({ courseId: ids.c1, start: "2026-11-01", end: "2026-11-01T00:00:00Z" }),
        "end",
        /YYYY-MM-DD/,
      );
      await expectBadRequest(
        api.analytics.course({ courseId: "c1", start: "2026-11-01", end: "2026-11-01" }),
        "courseId",
        /uuid/,
      );
    });

    it("an unknown course is NOT_FOUND", async () => {
      await expect(
        api.analytics.course({ courseId: ids.unknown, start: "2026-11-01", end: "2026-11-30" }),
      ).rejects.toMatchObject({ code: "NOT_FOUND" });
    });

    it("with an institution scope, another institution's course is not found", async () => {
      const input = { courseId: ids.c5, start: "2026-11-19", end: "2026-11-19" };
      expect(await getCourseAnalytics(database.db, input, { institutionId: ids.northwind })).toBeNull();
      const own = await getCourseAnalytics(database.db, input, { institutionId: ids.southbank });
      expect(own?.totals.lessonsCompleted).toBe(1);
    });
  });

  describe("analytics.summary", () => {
    // Published: C1, C2, C4, C5 (C3 is a DRAFT). By hand:
    //   C1: enrollments Sam ACTIVE 50 and Alex COMPLETED 100; 7 progress rows, 6 scored
    //       (80, 90, 70, 75, 85, 95), 600 + 900 + 120 + 4 x 500 = 3620 s.
    //   C2: Sam ACTIVE 50 and Alex SUSPENDED 0; rows 300 s, 200 s (unscored), 100 s (40), 600 s (100).
    //   C4: Sam DROPPED 0; no lessons, no progress.
    //   C5: Bea ACTIVE 50 and Kim ACTIVE 0; rows 400 s (60) and 300 s (90).
    const c1 = {
      courseId: ids.c1,
      title: "Calculus I: Limits and Derivatives",
      category: "MATHEMATICS",
      difficulty: "BEGINNER",
      totalEnrollments: 2, // the guide's one-pass join reports 2 x 7 = 14
      completions: 1, // the guide: 7
      avgProgress: 75,
      avgScore: 82.5,
      totalHoursSpent: 1.01, // 3620 / 3600 (the guide's doubled sum, in integer hours: 2)
    };
    const c2 = {
      courseId: ids.c2,
      title: "Introduction to C++ Programming",
      category: "PROGRAMMING",
      difficulty: "INTERMEDIATE",
      totalEnrollments: 2,
      completions: 0,
      avgProgress: 25,
      avgScore: 70,
      totalHoursSpent: 0.33, // 1200 s
    };
    const c4 = {
      courseId: ids.c4,
      title: "Linear Algebra",
      category: "MATHEMATICS",
      difficulty: "INTERMEDIATE",
      totalEnrollments: 1,
      completions: 0,
      avgProgress: 0,
      avgScore: null,
      totalHoursSpent: 0,
    };
    const c5 = {
      courseId: ids.c5,
      title: "Calculus for Business",
      category: "BUSINESS",
      difficulty: "BEGINNER",
      totalEnrollments: 2,
      completions: 0,
      avgProgress: 25,
      avgScore: 75,
      totalHoursSpent: 0.19, // 700 s
    };

    it("counts each side on its own (no multiplication), published courses only, with freshness", async () => {
      const before = Date.now();
      const result = await api.analytics.summary({ sort: "hoursSpent", page: 1, limit: 20 });
      expect(result.courses).toEqual([c1, c2, c5, c4]);
      expect(result.courses.map((c) => c.courseId)).not.toContain(ids.c3);
      expect(result.pagination).toEqual({ page: 1, limit: 20, total: 4, hasMore: false });
      // From the materialized view, as of the refresh in beforeAll (seconds ago).
      expect(result.source).toBe("materialized");
      expect(result.refreshedAt).toBeInstanceOf(Date);
      expect(Math.abs(result.refreshedAt.getTime() - before)).toBeLessThan(60_000);
    });

    it("sorts by each figure, best first by default, nulls last either way", async () => {
      const order = async (input: Parameters<typeof api.analytics.summary>[0]) =>
        (await api.analytics.summary(input)).courses.map((c) => c.courseId);
      expect(await order({ sort: "avgScore" })).toEqual([ids.c1, ids.c5, ids.c2, ids.c4]);
      expect(await order({ sort: "avgScore", order: "asc" })).toEqual([ids.c2, ids.c5, ids.c1, ids.c4]);
      // Ties (0 completions) fall back to title: "Calculus for Business", "Introduction...", "Linear...".
      expect(await order({ sort: "completions" })).toEqual([ids.c1, ids.c5, ids.c2, ids.c4]);
      // C2 and C5 tie at 25: title again.
      expect(await order({ sort: "avgProgress", order: "asc" })).toEqual([ids.c4, ids.c5, ids.c2, ids.c1]);
      const byEnrollments = await order({});
      expect(byEnrollments.at(-1)).toBe(ids.c4);
      expect(new Set(byEnrollments.slice(0, 3))).toEqual(new Set([ids.c1, ids.c2, ids.c5]));
    });

    it("filters by category and sorts by title", async () => {
      const math = await api.analytics.summary({ category: "MATHEMATICS", sort: "title" });
      expect(math.courses).toEqual([c1, c4]);
      expect(math.pagination.total).toBe(2);
      const desc = await api.analytics.summary({ category: "MATHEMATICS", sort: "title", order: "desc" });
      expect(desc.courses).toEqual([c4, c1]);
      const none = await api.analytics.summary({ category: "DESIGN" });
      expect(none).toMatchObject({ courses: [], pagination: { page: 1, total: 0, hasMore: false } });
    });

    it("paginates, and a page past the end still reports the total", async () => {
      const page1 = await api.analytics.summary({ sort: "hoursSpent", page: 1, limit: 3 });
      expect(page1.courses).toEqual([c1, c2, c5]);
      expect(page1.pagination).toEqual({ page: 1, limit: 3, total: 4, hasMore: true });
      const page2 = await api.analytics.summary({ sort: "hoursSpent", page: 2, limit: 3 });
      expect(page2.courses).toEqual([c4]);
      expect(page2.pagination).toEqual({ page: 2, limit: 3, total: 4, hasMore: false });
      const page3 = await api.analytics.summary({ sort: "hoursSpent", page: 3, limit: 3 });
      expect(page3.courses).toEqual([]);
      expect(page3.pagination).toEqual({ page: 3, limit: 3, total: 4, hasMore: false });
    });

    it("rejects bad paging and sort keys, naming the field", async () => {
      await expectBadRequest(api.analytics.summary({ limit: 101 }), "limit", /100/);
      await expectBadRequest(api.analytics.summary({ page: 0 }), "page", /1/);
      await expectBadRequest(
        // @ts-expect-error: not a sort key
        api.analytics.summary({ sort: "price" }),
        "sort",
        /enrollments/,
      );
    });

    it("with an institution scope, other institutions' courses are excluded", async () => {
      const northwind = await getCourseSummary(database.db, { sort: "hoursSpent" }, { institutionId: ids.northwind });
      expect(northwind.courses).toEqual([c1, c2, c4]);
      expect(northwind.pagination.total).toBe(3);
      const southbank = await getCourseSummary(database.db, {}, { institutionId: ids.southbank });
      expect(southbank.courses).toEqual([c5]);
    });
  });
});
