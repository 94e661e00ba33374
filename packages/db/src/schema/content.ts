import { sql } from "drizzle-orm";
import { check, foreignKey, index, integer, jsonb, pgTable, text, unique, uuid, varchar } from "drizzle-orm/pg-core";
import { createdAt, id, jsonObject, updatedAt } from "./columns.ts";
import { courses } from "./courses.ts";
import { lessonType } from "./enums.ts";
import { institutions } from "./institutions.ts";

export const modules = pgTable(
  "modules",
  {
    id: id(),
    title: varchar("title", { length: 150 }).notNull(),
    description: text("description").notNull(),
    orderIndex: integer("order_index").notNull(),
    courseId: uuid("course_id")
      .notNull()
      .references(() => courses.id, { onDelete: "cascade" }),
    institutionId: uuid("institution_id")
      .notNull()
      .references(() => institutions.id),
    settings: jsonObject("settings"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // Also serves the guide's @@index([courseId, orderIndex]).
    unique("modules_course_id_order_index_key").on(t.courseId, t.orderIndex),
    // Target of lessons' composite key: a lesson's course is its module's course.
    unique("modules_id_course_id_key").on(t.id, t.courseId),
    check("modules_order_index_non_negative", sql`${t.orderIndex} >= 0`),
  ],
);

export const lessons = pgTable(
  "lessons",
  {
    id: id(),
    title: varchar("title", { length: 150 }).notNull(),
    type: lessonType("type").notNull(),
    // Polymorphic by type (video URL, text body, quiz questions, ...); never the media itself.
    content: jsonb("content").$type<Record<string, unknown>>().notNull(),
    duration: integer("duration").notNull(), // minutes
    orderIndex: integer("order_index").notNull(),
    moduleId: uuid("module_id").notNull(),
    // Denormalised from the module (kept true by the composite foreign key below) so that a
    // course's lesson count and "is this lesson in that course" need no join.
    courseId: uuid("course_id").notNull(),
    institutionId: uuid("institution_id")
      .notNull()
      .references(() => institutions.id),
    settings: jsonObject("settings"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    foreignKey({
      name: "lessons_module_course_fk",
      columns: [t.moduleId, t.courseId],
      foreignColumns: [modules.id, modules.courseId],
    }).onDelete("cascade"),
    // Also serves the guide's @@index([moduleId, orderIndex]).
    unique("lessons_module_id_order_index_key").on(t.moduleId, t.orderIndex),
    // Target of lesson_progress's composite key: progress is recorded against the right course.
    unique("lessons_id_course_id_key").on(t.id, t.courseId),
    index("lessons_course_id_idx").on(t.courseId),
    index("lessons_type_idx").on(t.type),
    check("lessons_duration_non_negative", sql`${t.duration} >= 0`),
    check("lessons_order_index_non_negative", sql`${t.orderIndex} >= 0`),
  ],
);
