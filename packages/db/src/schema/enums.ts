import { pgEnum } from "drizzle-orm/pg-core";

// The seed guide's enums, plus the three it references without defining (DESIGN.md).
export const userRole = pgEnum("user_role", ["STUDENT", "INSTRUCTOR", "ADMIN", "TEACHING_ASSISTANT"]);
export const courseStatus = pgEnum("course_status", ["DRAFT", "PUBLISHED", "ARCHIVED"]);
export const lessonType = pgEnum("lesson_type", ["VIDEO", "TEXT", "QUIZ", "ASSIGNMENT", "INTERACTIVE"]);
export const enrollmentStatus = pgEnum("enrollment_status", ["ACTIVE", "COMPLETED", "DROPPED", "SUSPENDED"]);
export const institutionType = pgEnum("institution_type", ["UNIVERSITY", "COLLEGE", "SCHOOL", "CORPORATE"]);
export const courseCategory = pgEnum("course_category", [
  "PROGRAMMING",
  "DATA_SCIENCE",
  "MATHEMATICS",
  "SCIENCE",
  "BUSINESS",
  "DESIGN",
  "LANGUAGES",
  "HUMANITIES",
]);
export const difficultyLevel = pgEnum("difficulty_level", ["BEGINNER", "INTERMEDIATE", "ADVANCED"]);

export type UserRole = (typeof userRole.enumValues)[number];
export type CourseStatus = (typeof courseStatus.enumValues)[number];
export type LessonType = (typeof lessonType.enumValues)[number];
export type EnrollmentStatus = (typeof enrollmentStatus.enumValues)[number];
export type InstitutionType = (typeof institutionType.enumValues)[number];
export type CourseCategory = (typeof courseCategory.enumValues)[number];
export type DifficultyLevel = (typeof difficultyLevel.enumValues)[number];
