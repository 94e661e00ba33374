import { sql } from "drizzle-orm";
import { boolean, check, index, integer, numeric, pgTable, text, unique, uuid, varchar } from "drizzle-orm/pg-core";
import { createdAt, id, jsonObject, timestamptz, updatedAt } from "./columns.ts";
import { courses } from "./courses.ts";
import { institutions } from "./institutions.ts";
import { users } from "./users.ts";

export const assignments = pgTable(
  "assignments",
  {
    id: id(),
    courseId: uuid("course_id")
      .notNull()
      .references(() => courses.id, { onDelete: "cascade" }),
    institutionId: uuid("institution_id")
      .notNull()
      .references(() => institutions.id),
    title: varchar("title", { length: 200 }).notNull(),
    instructions: text("instructions").notNull(),
    dueAt: timestamptz("due_at"),
    maxPoints: numeric("max_points", { precision: 7, scale: 2 }).notNull(),
    settings: jsonObject("settings"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("assignments_course_id_due_at_idx").on(t.courseId, t.dueAt),
    check("assignments_max_points_positive", sql`${t.maxPoints} > 0`),
  ],
);

export const submissions = pgTable(
  "submissions",
  {
    id: id(),
    assignmentId: uuid("assignment_id")
      .notNull()
      .references(() => assignments.id, { onDelete: "cascade" }),
    studentId: uuid("student_id")
      .notNull()
      .references(() => users.id),
    institutionId: uuid("institution_id")
      .notNull()
      .references(() => institutions.id),
    attempt: integer("attempt").notNull().default(1),
    content: text("content").notNull(),
    submittedAt: timestamptz("submitted_at").notNull().defaultNow(),
    isLate: boolean("is_late").notNull().default(false),
  },
  (t) => [
    unique("submissions_assignment_student_attempt_key").on(t.assignmentId, t.studentId, t.attempt),
    index("submissions_student_id_submitted_at_idx").on(t.studentId, t.submittedAt),
    check("submissions_attempt_positive", sql`${t.attempt} >= 1`),
  ],
);

export const grades = pgTable(
  "grades",
  {
    id: id(),
    // One grade per submission; a regrade updates it (the audit trail keeps the history).
    submissionId: uuid("submission_id")
      .notNull()
      .unique()
      .references(() => submissions.id, { onDelete: "cascade" }),
    graderId: uuid("grader_id")
      .notNull()
      .references(() => users.id),
    institutionId: uuid("institution_id")
      .notNull()
      .references(() => institutions.id),
    points: numeric("points", { precision: 7, scale: 2 }).notNull(),
    feedback: text("feedback"),
    gradedAt: timestamptz("graded_at").notNull().defaultNow(),
  },
  (t) => [index("grades_grader_id_idx").on(t.graderId), check("grades_points_non_negative", sql`${t.points} >= 0`)],
);
