import { type SQL, sql } from "drizzle-orm";
import { check, index, integer, numeric, pgTable, primaryKey, text, uuid, varchar } from "drizzle-orm/pg-core";
import { createdAt, id, jsonObject, timestamptz, tsvector, updatedAt } from "./columns.ts";
import { courseCategory, courseStatus, difficultyLevel } from "./enums.ts";
import { departments, institutions } from "./institutions.ts";
import { users } from "./users.ts";

export const courses = pgTable(
  "courses",
  {
    id: id(),
    title: varchar("title", { length: 200 }).notNull(),
    description: text("description").notNull(),
    slug: varchar("slug", { length: 150 }).notNull().unique(),
    category: courseCategory("category").notNull(),
    difficulty: difficultyLevel("difficulty").notNull(),
    status: courseStatus("status").notNull().default("DRAFT"),
    price: numeric("price", { precision: 10, scale: 2 }).notNull(),
    estimatedHours: integer("estimated_hours").notNull(),
    institutionId: uuid("institution_id")
      .notNull()
      .references(() => institutions.id),
    instructorId: uuid("instructor_id")
      .notNull()
      .references(() => users.id),
    departmentId: uuid("department_id").references(() => departments.id, { onDelete: "set null" }),
    metadata: jsonObject("metadata"),
    settings: jsonObject("settings"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    publishedAt: timestamptz("published_at"),
    // Weighted document for full-text search (title A, description B). The guide's expression
    // index `to_tsvector('english', title || ' ' || description)` is never used by its own
    // query and cannot rank title above description; a stored column is computed once per write.
    searchVector: tsvector("search_vector")
      .notNull()
      .generatedAlwaysAs(
        (): SQL =>
          sql`setweight(to_tsvector('english'::regconfig, coalesce(${courses.title}, '')), 'A') || setweight(to_tsvector('english'::regconfig, coalesce(${courses.description}, '')), 'B')`,
      ),
  },
  (t) => [
    // The guide's @@index([slug]) is served by the unique constraint's index.
    index("courses_institution_id_status_idx").on(t.institutionId, t.status),
    index("courses_category_difficulty_idx").on(t.category, t.difficulty),
    index("courses_instructor_id_status_idx").on(t.instructorId, t.status),
    index("courses_published_at_status_idx").on(t.publishedAt, t.status),
    index("idx_courses_fulltext_search").using("gin", t.searchVector),
    check("courses_price_non_negative", sql`${t.price} >= 0`),
    check("courses_estimated_hours_positive", sql`${t.estimatedHours} > 0`),
    check("courses_published_has_date", sql`${t.status} <> 'PUBLISHED' or ${t.publishedAt} is not null`),
  ],
);

/** `courseId` requires `prerequisiteId` to be completed first. */
export const coursePrerequisites = pgTable(
  "course_prerequisites",
  {
    courseId: uuid("course_id")
      .notNull()
      .references(() => courses.id, { onDelete: "cascade" }),
    prerequisiteId: uuid("prerequisite_id")
      .notNull()
      .references(() => courses.id, { onDelete: "cascade" }),
    institutionId: uuid("institution_id")
      .notNull()
      .references(() => institutions.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ name: "course_prerequisites_pkey", columns: [t.courseId, t.prerequisiteId] }),
    index("course_prerequisites_prerequisite_id_idx").on(t.prerequisiteId),
    check("course_prerequisites_not_self", sql`${t.courseId} <> ${t.prerequisiteId}`),
  ],
);

/**
 * Who teaches a course besides its lead instructor: teaching assistants and co-instructors.
 * Instructors and TAs see analytics, rosters and grades of exactly these courses.
 */
export const courseStaff = pgTable(
  "course_staff",
  {
    courseId: uuid("course_id")
      .notNull()
      .references(() => courses.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    institutionId: uuid("institution_id")
      .notNull()
      .references(() => institutions.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ name: "course_staff_pkey", columns: [t.courseId, t.userId] }),
    index("course_staff_user_id_idx").on(t.userId),
  ],
);
