import { relations } from "drizzle-orm";
import { courseAnalytics } from "./analytics.ts";
import { assignments, grades, submissions } from "./assignments.ts";
import { lessons, modules } from "./content.ts";
import { coursePrerequisites, courses } from "./courses.ts";
import { enrollments } from "./enrollments.ts";
import { departments, institutions } from "./institutions.ts";
import { lessonProgress } from "./progress.ts";
import { users } from "./users.ts";

// The guide's relations, for Drizzle's relational query API.

export const institutionsRelations = relations(institutions, ({ many }) => ({
  departments: many(departments),
  courses: many(courses),
  users: many(users),
}));

export const departmentsRelations = relations(departments, ({ one, many }) => ({
  institution: one(institutions, { fields: [departments.institutionId], references: [institutions.id] }),
  users: many(users),
  courses: many(courses),
}));

export const usersRelations = relations(users, ({ one, many }) => ({
  institution: one(institutions, { fields: [users.institutionId], references: [institutions.id] }),
  department: one(departments, { fields: [users.departmentId], references: [departments.id] }),
  enrollments: many(enrollments),
  submissions: many(submissions),
  progressRecords: many(lessonProgress),
  instructedCourses: many(courses),
  assignedGrades: many(grades),
}));

export const coursesRelations = relations(courses, ({ one, many }) => ({
  institution: one(institutions, { fields: [courses.institutionId], references: [institutions.id] }),
  instructor: one(users, { fields: [courses.instructorId], references: [users.id] }),
  department: one(departments, { fields: [courses.departmentId], references: [departments.id] }),
  modules: many(modules),
  enrollments: many(enrollments),
  assignments: many(assignments),
  analytics: many(courseAnalytics),
  prerequisites: many(coursePrerequisites, { relationName: "dependentCourse" }),
  dependentCourses: many(coursePrerequisites, { relationName: "prerequisiteCourse" }),
}));

export const coursePrerequisitesRelations = relations(coursePrerequisites, ({ one }) => ({
  course: one(courses, {
    fields: [coursePrerequisites.courseId],
    references: [courses.id],
    relationName: "dependentCourse",
  }),
  prerequisite: one(courses, {
    fields: [coursePrerequisites.prerequisiteId],
    references: [courses.id],
    relationName: "prerequisiteCourse",
  }),
}));

export const modulesRelations = relations(modules, ({ one, many }) => ({
  course: one(courses, { fields: [modules.courseId], references: [courses.id] }),
  lessons: many(lessons),
}));

export const lessonsRelations = relations(lessons, ({ one, many }) => ({
  module: one(modules, { fields: [lessons.moduleId], references: [modules.id] }),
  progress: many(lessonProgress),
}));

export const enrollmentsRelations = relations(enrollments, ({ one }) => ({
  student: one(users, { fields: [enrollments.studentId], references: [users.id] }),
  course: one(courses, { fields: [enrollments.courseId], references: [courses.id] }),
}));

export const lessonProgressRelations = relations(lessonProgress, ({ one }) => ({
  student: one(users, { fields: [lessonProgress.studentId], references: [users.id] }),
  lesson: one(lessons, { fields: [lessonProgress.lessonId], references: [lessons.id] }),
}));

export const courseAnalyticsRelations = relations(courseAnalytics, ({ one }) => ({
  course: one(courses, { fields: [courseAnalytics.courseId], references: [courses.id] }),
}));

export const assignmentsRelations = relations(assignments, ({ one, many }) => ({
  course: one(courses, { fields: [assignments.courseId], references: [courses.id] }),
  submissions: many(submissions),
}));

export const submissionsRelations = relations(submissions, ({ one }) => ({
  assignment: one(assignments, { fields: [submissions.assignmentId], references: [assignments.id] }),
  student: one(users, { fields: [submissions.studentId], references: [users.id] }),
  grade: one(grades),
}));

export const gradesRelations = relations(grades, ({ one }) => ({
  submission: one(submissions, { fields: [grades.submissionId], references: [submissions.id] }),
  grader: one(users, { fields: [grades.graderId], references: [users.id] }),
}));
