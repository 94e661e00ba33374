import {
  archiveCourse,
  courseIdInput,
  createCourse,
  createCourseInput,
  getCourse,
  listCourses,
  listCoursesInput,
  publishCourse,
  updateCourse,
  updateCourseInput,
} from "@coursebase/db/queries/courses";
import { router } from "../trpc/init.ts";
import { editorOf, manageAdminProcedure, manageContentProcedure } from "./_manage.ts";

// Administrators manage every course of their institution; instructors read and edit the
// content of the courses they teach (not slug, price, instructor, department or status).
export const coursesRouter = router({
  list: manageContentProcedure
    .input(listCoursesInput)
    .query(({ ctx, input }) => listCourses(ctx.db, editorOf(ctx.principal), input)),
  get: manageContentProcedure
    .input(courseIdInput)
    .query(({ ctx, input }) => getCourse(ctx.db, editorOf(ctx.principal), input.courseId)),
  create: manageAdminProcedure
    .input(createCourseInput)
    .mutation(({ ctx, input }) => createCourse(ctx.db, editorOf(ctx.principal), input)),
  update: manageContentProcedure
    .input(updateCourseInput)
    .mutation(({ ctx, input }) => updateCourse(ctx.db, editorOf(ctx.principal), input)),
  // DRAFT -> PUBLISHED -> ARCHIVED, nothing else.
  publish: manageAdminProcedure
    .input(courseIdInput)
    .mutation(({ ctx, input }) => publishCourse(ctx.db, editorOf(ctx.principal), input.courseId)),
  archive: manageAdminProcedure
    .input(courseIdInput)
    .mutation(({ ctx, input }) => archiveCourse(ctx.db, editorOf(ctx.principal), input.courseId)),
});
