import { getInstitutionAnalytics, institutionAnalyticsInput } from "@coursebase/db/queries/institution-analytics";
import type { createCaller } from "@coursebase/server";
import { TRPCError } from "@trpc/server";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ZodError } from "zod";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { ids, loadFixture } from "../support/fixture.ts";
import { as } from "../support/principals.ts";
import { callerAs, createTestServices } from "../support/services.ts";

// Expected figures are worked out by hand from the fixture (loaded with a fixed `now`) and the
// progress events this file adds:
// - Northwind (UTC) enrollments: Sam C1 2026-11-01, Sam C2 2026-11-10 (plus three in October);
//   Alex completed C1 at now - 17 days = 2026-11-03T12:00Z. ACTIVE: Sam C1, Sam C2. PUBLISHED: C1, C2, C4.
// - Southbank (America/New_York, UTC-5 after 2026-11-01): Bea enrolled in C5 2026-11-02T15:00Z.
//   Events: Bea L7 completed 2026-11-05T03:00Z (local 11-04 22:00), 1,800 s; Bea L8 not completed
//   2026-11-05T06:00Z (local 11-05 01:00), 900 s.
// - Northwind event: Sam L1 completed 2026-11-05T06:00Z, 600 s (must never show at Southbank).
const now = new Date("2026-11-20T12:00:00Z");

describe("analytics.institution", () => {
  let database: TestDatabase;
  let api: (principal: Parameters<typeof callerAs>[1]) => ReturnType<typeof createCaller>;

  beforeAll(async () => {
    database = await createTestDatabase();
    await loadFixture(database.db, now);
    const event = (
      institution: string,
      eventId: string,
      student: string,
      lesson: string,
      course: string,
      timeSpent: number,
      occurredAt: string,
      completed: boolean,
    ) => sql`(${institution}::uuid, ${eventId}, ${student}::uuid, ${lesson}::uuid, ${course}::uuid, ${timeSpent},
              ${completed ? occurredAt : null}::timestamptz, ${occurredAt}::timestamptz)`;
    await database.db.execute(sql`
      insert into progress_history
        (institution_id, event_id, student_id, lesson_id, course_id, time_spent, completed_at, occurred_at)
      values ${sql.join(
        [
          event(ids.southbank, "bea-l7", ids.bea, ids.l7, ids.c5, 1800, "2026-11-05T03:00:00Z", true),
          event(ids.southbank, "bea-l8", ids.bea, ids.l8, ids.c5, 900, "2026-11-05T06:00:00Z", false),
          event(ids.northwind, "sam-l1", ids.sam, ids.l1, ids.c1, 600, "2026-11-05T06:00:00Z", true),
        ],
        sql`, `,
      )}`);
    const services = createTestServices(database);
    api = (principal) => callerAs(services, principal);
  });
  afterAll(() => database.destroy());

  const zero = { enrollments: 0, completions: 0, lessonsCompleted: 0, activeStudents: 0, hoursLearned: 0 };

  it("cuts days in the institution's zone and counts only its own rows", async () => {
    const report = await getInstitutionAnalytics(
      database.db,
      ids.southbank,
      institutionAnalyticsInput.parse({ start: "2026-11-02", end: "2026-11-05" }),
      new Date("2026-11-06T00:00:00Z"),
    );
    expect(report).toEqual({
      timeZone: "America/New_York",
      start: "2026-11-02",
      end: "2026-11-05",
      figures: {
        activeStudents: 1,
        hoursLearnedThisWeek: 0.75,
        activeEnrollments: 1,
        completions: 0,
        publishedCourses: 1,
      },
      series: [
        { date: "2026-11-02", ...zero, enrollments: 1 },
        { date: "2026-11-03", ...zero },
        { date: "2026-11-04", ...zero, lessonsCompleted: 1, activeStudents: 1, hoursLearned: 0.5 },
        { date: "2026-11-05", ...zero, activeStudents: 1, hoursLearned: 0.25 },
      ],
      totals: { enrollments: 1, completions: 0, lessonsCompleted: 1, activeStudents: 1, hoursLearned: 0.75 },
    });
  });

  it("serves an administrator their own institution through the API", async () => {
    const report = await api(as.northwindAdmin).analytics.institution({ start: "2026-11-01", end: "2026-11-10" });
    expect(report.timeZone).toBe("UTC");
    expect(report.series).toHaveLength(10);
    const busyDays = report.series.filter(
      (day) => day.enrollments + day.completions + day.lessonsCompleted + day.activeStudents > 0,
    );
    expect(busyDays).toEqual([
      { date: "2026-11-01", ...zero, enrollments: 1 },
      { date: "2026-11-03", ...zero, completions: 1 },
      { date: "2026-11-05", ...zero, lessonsCompleted: 1, activeStudents: 1, hoursLearned: 0.17 },
      { date: "2026-11-10", ...zero, enrollments: 1 },
    ]);
    expect(report.totals).toEqual({
      enrollments: 2,
      completions: 1,
      lessonsCompleted: 1,
      activeStudents: 1,
      hoursLearned: 0.17,
    });
    expect(report.figures).toMatchObject({ activeEnrollments: 2, completions: 1, publishedCourses: 3 });
  });

  it("is for administrators only, and validates the range", async () => {
    const range = { start: "2026-11-01", end: "2026-11-10" };
    for (const principal of [as.ada, as.tom, as.sam]) {
      await expect(api(principal).analytics.institution(range)).rejects.toMatchObject({ code: "FORBIDDEN" });
    }
    await expect(api(null).analytics.institution(range)).rejects.toMatchObject({ code: "UNAUTHORIZED" });

    const error = await api(as.northwindAdmin)
      .analytics.institution({ start: "2026-11-10", end: "2026-11-01" })
      .catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(TRPCError);
    expect(error).toMatchObject({ code: "BAD_REQUEST" });
    const issues = ((error as TRPCError).cause as ZodError).issues;
    expect(issues.map((issue) => [issue.path.join("."), issue.message])).toEqual([
      ["end", "must be on or after start (2026-11-10)"],
    ]);
  });
});
