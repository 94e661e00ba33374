import {
  addLesson,
  addLessonInput,
  lessonIdInput,
  moveLesson,
  moveLessonInput,
  removeLesson,
  reorderLessons,
  reorderLessonsInput,
  updateLesson,
  updateLessonInput,
} from "@coursebase/db/queries/content";
import { router } from "../trpc/init.ts";
import { editorOf, manageContentProcedure } from "./_manage.ts";

// A module's lessons; administrators, and instructors of that course.
export const lessonsRouter = router({
  add: manageContentProcedure
    .input(addLessonInput)
    .mutation(({ ctx, input }) => addLesson(ctx.db, editorOf(ctx.principal), input)),
  update: manageContentProcedure
    .input(updateLessonInput)
    .mutation(({ ctx, input }) => updateLesson(ctx.db, editorOf(ctx.principal), input)),
  remove: manageContentProcedure
    .input(lessonIdInput)
    .mutation(({ ctx, input }) => removeLesson(ctx.db, editorOf(ctx.principal), input)),
  reorder: manageContentProcedure
    .input(reorderLessonsInput)
    .mutation(({ ctx, input }) => reorderLessons(ctx.db, editorOf(ctx.principal), input)),
  move: manageContentProcedure
    .input(moveLessonInput)
    .mutation(({ ctx, input }) => moveLesson(ctx.db, editorOf(ctx.principal), input)),
});
