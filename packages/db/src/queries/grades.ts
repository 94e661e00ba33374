import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../client.ts";
import { queryOne, queryRows } from "../execute.ts";
import { grades } from "../schema/assignments.ts";
import { recordAudit } from "./audit.ts";
import { type CourseScope, courseInScope } from "./enrollments.ts";
import { type Actor, Refusal } from "./refusals.ts";

// Grading (issue 7, item 5) and the enrollment grade that follows it.
//
// The enrollment grade (enrollments.grade, a percentage 0..100 with 2 decimals) is
//   100 * sum over the course's assignments of the student's best graded points
//       / sum of max_points of ALL the course's assignments,
// so an assignment not (yet) graded counts as 0 of its max points: the grade is what the student
// has earned of the whole course so far, and never goes down when more work is graded. It is
// recomputed whenever an input changes (a grade given, an assignment created or its max points
// changed), in the same transaction; enrollments with no graded work keep their grade (null, or
// one set by another system before assignments existed).

const uuid = z.guid({ error: "must be a uuid" });

/** numeric(7,2), as assignments.max_points. */
const MAX_POINTS_LIMIT = 99_999.99;

const pointsValue = z
  .number()
  .min(0, "must not be negative")
  .max(MAX_POINTS_LIMIT, `must be at most ${MAX_POINTS_LIMIT}`)
  .multipleOf(0.01, "must have at most 2 decimals")
  .transform((points) => Math.round(points * 100) / 100);

export const gradeSubmissionInput = z.strictObject({
  submissionId: uuid,
  points: pointsValue,
  feedback: z.string().max(20_000, "must be at most 20,000 characters").nullish(),
});
export type GradeSubmissionInput = z.output<typeof gradeSubmissionInput>;

export interface GradeResult {
  submissionId: string;
  assignmentId: string;
  studentId: string;
  courseId: string;
  points: number;
  maxPoints: number;
  feedback: string | null;
  graderId: string;
  gradedAt: Date;
  /** The student's enrollment grade in the course after this grade. */
  enrollmentGrade: number | null;
}

/**
 * Recomputes the enrollment grades of a course (or of one student in it) from graded
 * submissions, set-based: one UPDATE, touching only the rows whose grade changes.
 */
export async function recomputeEnrollmentGrades(
  db: Database,
  target: { courseId: string; studentId?: string },
): Promise<Array<{ studentId: string; grade: number | null }>> {
  const oneStudent = target.studentId ? sql` and s.student_id = ${target.studentId}` : sql.empty();
  return queryRows(
    db,
    sql`
    with total as (
      select sum(max_points) as max_total from assignments where course_id = ${target.courseId}
    ),
    best as (
      select s.student_id, s.assignment_id, max(g.points) as points
        from assignments a
        join submissions s on s.assignment_id = a.id
        join grades g on g.submission_id = s.id
       where a.course_id = ${target.courseId}${oneStudent}
       group by s.student_id, s.assignment_id
    ),
    earned as (
      select b.student_id, round(100 * sum(b.points) / t.max_total, 2) as grade
        from best b cross join total t
       group by b.student_id, t.max_total
    )
    update enrollments e set grade = earned.grade
      from earned
     where e.course_id = ${target.courseId} and e.student_id = earned.student_id
       and e.grade is distinct from earned.grade
    returning e.student_id as "studentId", e.grade::float8 as grade`,
  );
}

interface SubmissionToGrade {
  assignmentId: string;
  studentId: string;
  courseId: string;
  maxPoints: number;
  visible: boolean;
  previousPoints: number | null;
}

/**
 * Grades a submission (a regrade replaces the grade; the audit trail keeps the history) and
 * recomputes the student's enrollment grade. Refused: a submission outside the grader's scope
 * (NOT_FOUND), points above the assignment's max points, or a grader that is not a person.
 */
export async function gradeSubmission(
  db: Database,
  input: GradeSubmissionInput,
  scope: CourseScope,
  actor: Actor,
): Promise<GradeResult> {
  return db.transaction(async (tx) => {
    const submission = await queryOne<SubmissionToGrade>(
      tx,
      sql`select s.assignment_id as "assignmentId", s.student_id as "studentId", a.course_id as "courseId",
                 a.max_points::float8 as "maxPoints", ${courseInScope(sql`a.course_id`, scope)} as visible,
                 (select g.points::float8 from grades g where g.submission_id = s.id) as "previousPoints"
            from submissions s join assignments a on a.id = s.assignment_id
           where s.id = ${input.submissionId} and s.institution_id = ${scope.institutionId}
             for no key update of s`,
    );
    if (!submission?.visible) throw new Refusal("NOT_FOUND", "submissionId: no such submission");
    if (!actor.userId) {
      throw new Refusal("FORBIDDEN", "submissionId: grades are given by a person; this API token acts for none");
    }
    if (input.points > submission.maxPoints) {
      throw new Refusal(
        "BAD_REQUEST",
        `points: must be between 0 and ${submission.maxPoints} (the assignment's max points)`,
      );
    }
    const [grade] = await tx
      .insert(grades)
      .values({
        submissionId: input.submissionId,
        graderId: actor.userId,
        institutionId: scope.institutionId,
        points: input.points.toFixed(2),
        feedback: input.feedback ?? null,
      })
      .onConflictDoUpdate({
        target: grades.submissionId,
        set: {
          graderId: actor.userId,
          points: input.points.toFixed(2),
          feedback: input.feedback ?? null,
          gradedAt: sql`now()`,
        },
      })
      .returning();
    if (!grade) throw new Error("grade upsert returned no row");
    await recomputeEnrollmentGrades(tx, { courseId: submission.courseId, studentId: submission.studentId });
    const enrollment = await queryOne<{ grade: number | null }>(
      tx,
      sql`select grade::float8 as grade from enrollments
           where student_id = ${submission.studentId} and course_id = ${submission.courseId}`,
    );
    await recordAudit(tx, {
      institutionId: actor.institutionId,
      actorUserId: actor.userId,
      actorTokenId: actor.tokenId,
      action: submission.previousPoints === null ? "grade.create" : "grade.update",
      targetType: "submission",
      targetId: input.submissionId,
      details: {
        assignmentId: submission.assignmentId,
        studentId: submission.studentId,
        points: input.points,
        previousPoints: submission.previousPoints,
      },
    });
    return {
      submissionId: input.submissionId,
      assignmentId: submission.assignmentId,
      studentId: submission.studentId,
      courseId: submission.courseId,
      points: Number(grade.points),
      maxPoints: submission.maxPoints,
      feedback: grade.feedback,
      graderId: grade.graderId,
      gradedAt: grade.gradedAt,
      enrollmentGrade: enrollment?.grade ?? null,
    };
  });
}
