import { bigint, date, index, integer, numeric, pgTable, unique, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, jsonObject, updatedAt } from "./columns.ts";
import { courses } from "./courses.ts";
import { institutions } from "./institutions.ts";

/**
 * Daily per-course rollup (the guide's CourseAnalytics). Besides its averages it keeps the sums
 * and counts behind them, so that days can be merged into a range without averaging averages.
 *
 * Written only by refreshCourseAnalyticsRollups (queries/rollups.ts), one row per course and day
 * with activity, in the institution's zone. Which rows analytics.course may trust is decided by
 * course_analytics_state (per-course watermark and zone) and course_analytics_dirty_days (changed
 * days, appended by triggers on enrollments and lesson_progress): both are plain SQL in
 * drizzle/0012_course_analytics_rollups.sql, read with raw SQL only (docs/analytics-rollups.md).
 */
export const courseAnalytics = pgTable(
  "course_analytics",
  {
    id: id(),
    courseId: uuid("course_id")
      .notNull()
      .references(() => courses.id, { onDelete: "cascade" }),
    institutionId: uuid("institution_id")
      .notNull()
      .references(() => institutions.id),
    date: date("date", { mode: "string" }).notNull(),
    enrollmentCount: integer("enrollment_count").notNull().default(0),
    completionCount: integer("completion_count").notNull().default(0),
    avgTimeSpent: integer("avg_time_spent").notNull().default(0), // minutes (the guide's)
    avgScore: numeric("avg_score", { precision: 5, scale: 2 }),
    lessonsCompleted: integer("lessons_completed").notNull().default(0),
    totalTimeSpent: bigint("total_time_spent", { mode: "number" }).notNull().default(0), // seconds
    scoreSum: numeric("score_sum", { precision: 14, scale: 2 }).notNull().default("0"),
    scoreCount: integer("score_count").notNull().default(0),
    engagement: jsonObject("engagement"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // Also serves the guide's @@index([courseId, date]); its covering
    // idx_course_analytics_date_range (INCLUDE) is a custom migration.
    unique("course_analytics_course_id_date_key").on(t.courseId, t.date),
    index("course_analytics_date_idx").on(t.date),
  ],
);
