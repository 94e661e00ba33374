import {
  changeEnrollmentStatus,
  type EnrollmentKeyInput,
  type EnrollmentTransition,
  enrollmentKeyInput,
  enrollStudent,
  getCourseRoster,
  rosterInput,
} from "@coursebase/db/queries/enrollments";
import { TRPCError } from "@trpc/server";
import { cacheTags } from "../cache/index.ts";
import { adminProcedure, type Context, roleProcedure, router } from "../trpc/init.ts";
import { actorOf, courseScopeOf, refusing } from "../trpc/refusal.ts";

interface WriteContext {
  services: Context["services"];
  afterCommit(task: () => Promise<void>): void;
}

/** The student's dashboard and the course's analytics, dropped once the change is committed. */
function invalidateAfterCommit(ctx: WriteContext, institutionId: string, key: EnrollmentKeyInput) {
  const tags = [cacheTags.student(institutionId, key.studentId), cacheTags.course(institutionId, key.courseId)];
  ctx.afterCommit(() => ctx.services.cache.invalidate(tags));
}

const transition = (name: EnrollmentTransition) =>
  adminProcedure.input(enrollmentKeyInput).mutation(async ({ ctx, input }) => {
    const enrollment = await refusing(() => changeEnrollmentStatus(ctx.db, name, input, actorOf(ctx.principal)));
    invalidateAfterCommit(ctx, ctx.principal.institutionId, input);
    return enrollment;
  });

export const enrollmentsRouter = router({
  /** Administrators (people and institution tokens) enroll a student; a DROPPED one is reactivated. */
  enroll: adminProcedure.input(enrollmentKeyInput).mutation(async ({ ctx, input }) => {
    const result = await refusing(() => enrollStudent(ctx.db, input, actorOf(ctx.principal)));
    invalidateAfterCommit(ctx, ctx.principal.institutionId, input);
    return result;
  }),
  drop: transition("drop"),
  suspend: transition("suspend"),
  reactivate: transition("reactivate"),

  /** A course's students with progress: administrators, and the course's instructors and TAs. */
  roster: roleProcedure("ADMIN", "INSTRUCTOR", "TEACHING_ASSISTANT")
    .input(rosterInput)
    .query(async ({ ctx, input }) => {
      const roster = await getCourseRoster(ctx.db, input, courseScopeOf(ctx.principal));
      if (!roster) throw new TRPCError({ code: "NOT_FOUND", message: "courseId: no such course" });
      return roster;
    }),
});
