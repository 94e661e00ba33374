import { sql } from "drizzle-orm";
import {
  check,
  foreignKey,
  index,
  integer,
  numeric,
  pgTable,
  primaryKey,
  unique,
  uuid,
  varchar,
} from "drizzle-orm/pg-core";
import { createdAt, id, jsonObject, timestamptz, updatedAt } from "./columns.ts";
import { lessons } from "./content.ts";
import { enrollments } from "./enrollments.ts";
import { institutions } from "./institutions.ts";
import { users } from "./users.ts";

/** Current learning state: one row per student and lesson. */
export const lessonProgress = pgTable(
  "lesson_progress",
  {
    id: id(),
    studentId: uuid("student_id")
      .notNull()
      .references(() => users.id),
    lessonId: uuid("lesson_id").notNull(),
    courseId: uuid("course_id").notNull(), // denormalised for query performance (the guide's)
    institutionId: uuid("institution_id")
      .notNull()
      .references(() => institutions.id),
    timeSpent: integer("time_spent").notNull(), // seconds
    score: numeric("score", { precision: 5, scale: 2 }),
    completedAt: timestamptz("completed_at"),
    attempts: integer("attempts").notNull().default(1),
    metadata: jsonObject("metadata"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // The lesson belongs to that course, and the student is enrolled in it: both by the database.
    foreignKey({
      name: "lesson_progress_lesson_course_fk",
      columns: [t.lessonId, t.courseId],
      foreignColumns: [lessons.id, lessons.courseId],
    }),
    foreignKey({
      name: "lesson_progress_enrollment_fk",
      columns: [t.studentId, t.courseId],
      foreignColumns: [enrollments.studentId, enrollments.courseId],
    }),
    unique("lesson_progress_student_id_lesson_id_key").on(t.studentId, t.lessonId),
    index("lesson_progress_student_id_course_id_idx").on(t.studentId, t.courseId),
    // The guide's @@index([courseId, completedAt]) is replaced by its partial
    // idx_lesson_progress_course_completion, built in custom SQL (drizzle/0016): INCLUDE
    // (institution_id) only, so that progress.record's updates, which change time_spent and
    // score, can be HOT (docs/indexes.md).
    index("lesson_progress_lesson_id_completed_at_idx").on(t.lessonId, t.completedAt),
    // The guide's @@index([completedAt]) is dropped (drizzle/0016): no query reads lesson_progress
    // by time across courses (time ranges read progress_history), and it cost every completion.
    // Dashboard: a student's recent completions, newest first, and their count.
    index("lesson_progress_student_recent_completions_idx")
      .on(t.studentId, t.completedAt.desc())
      .where(sql`${t.completedAt} is not null`),
    check("lesson_progress_time_spent_non_negative", sql`${t.timeSpent} >= 0`),
    check("lesson_progress_score_range", sql`${t.score} is null or ${t.score} between 0 and 100`),
    check("lesson_progress_attempts_positive", sql`${t.attempts} >= 1`),
  ],
);

/**
 * Idempotency ledger for progress events: an event id is applied at most once per institution.
 * Kept apart from the (partitioned) history so that uniqueness need not contain a partition key.
 */
export const progressEventKeys = pgTable(
  "progress_event_keys",
  {
    institutionId: uuid("institution_id")
      .notNull()
      .references(() => institutions.id, { onDelete: "cascade" }),
    eventId: varchar("event_id", { length: 128 }).notNull(),
    recordedAt: timestamptz("recorded_at").notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: "progress_event_keys_pkey", columns: [t.institutionId, t.eventId] }),
    index("progress_event_keys_recorded_at_idx").on(t.recordedAt),
  ],
);
