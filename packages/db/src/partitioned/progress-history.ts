import { index, integer, numeric, pgTable, primaryKey, uuid, varchar } from "drizzle-orm/pg-core";
import { timestamptz } from "../schema/columns.ts";

/**
 * Append-only history of applied progress events, partitioned by month on occurred_at
 * (drizzle/0008_progress_history.sql; design in docs/progress-history.md).
 *
 * Declared here for typed queries only, outside drizzle.config.ts's schema (src/schema/index.ts):
 * drizzle-kit cannot express PARTITION BY, and generate must neither create this table as a plain
 * one nor drop it. Do not export it from src/schema/index.ts.
 */
export const progressHistory = pgTable(
  "progress_history",
  {
    institutionId: uuid("institution_id").notNull(),
    /** The sender's event id; unique per institution through the progress_event_keys ledger. */
    eventId: varchar("event_id", { length: 128 }).notNull(),
    studentId: uuid("student_id").notNull(),
    lessonId: uuid("lesson_id").notNull(),
    courseId: uuid("course_id").notNull(),
    /** Seconds spent in this event (lesson_progress.time_spent is the sum over events). */
    timeSpent: integer("time_spent").notNull(),
    score: numeric("score", { precision: 5, scale: 2 }),
    /** The event's completion time (clamped to now), null when it did not complete the lesson. */
    completedAt: timestamptz("completed_at"),
    /** When it happened: completedAt, else the time it was recorded. The partition key. */
    occurredAt: timestamptz("occurred_at").notNull(),
    recordedAt: timestamptz("recorded_at").notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: "progress_history_pkey", columns: [t.institutionId, t.eventId, t.occurredAt] }),
    index("progress_history_course_id_occurred_at_idx").on(t.courseId, t.occurredAt),
  ],
);

export type ProgressHistoryRow = typeof progressHistory.$inferSelect;

export const PROGRESS_HISTORY_TABLE = "progress_history";
export const PROGRESS_HISTORY_DEFAULT_PARTITION = "progress_history_default";
