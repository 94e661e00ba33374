import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../client.ts";
import { queryOne } from "../execute.ts";
import { type CourseScope, courseInScope } from "./enrollments.ts";
import { type Pagination, pageOffset, paginate, paginationFields } from "./pagination.ts";
import { Refusal } from "./refusals.ts";

// Submissions (issue 7, item 5): a student submits their own work for an assignment of a course
// they are ACTIVE in; every submission is a new attempt (1, 2, 3...), marked late when made after
// the assignment's due date. Staff and administrators list a course's submissions with grades.

const uuid = z.guid({ error: "must be a uuid" });
export const MAX_SUBMISSION_CHARS = 100_000;

export const submitInput = z.strictObject({
  assignmentId: uuid,
  content: z
    .string()
    .min(1, "must not be empty")
    .max(MAX_SUBMISSION_CHARS, `must be at most ${MAX_SUBMISSION_CHARS} characters`),
});
export type SubmitInput = z.output<typeof submitInput>;

export const listSubmissionsInput = z.strictObject({
  courseId: uuid,
  assignmentId: uuid.optional(),
  studentId: uuid.optional(),
  ...paginationFields,
});
export type ListSubmissionsInput = z.output<typeof listSubmissionsInput>;

export interface Submission {
  id: string;
  assignmentId: string;
  studentId: string;
  attempt: number;
  content: string;
  submittedAt: Date;
  isLate: boolean;
  grade: { points: number; feedback: string | null; graderId: string; gradedAt: Date } | null;
}

interface SubmitCheck {
  courseId: string;
  enrollmentStatus: string | null;
}

interface SubmissionRow {
  id: string;
  assignmentId: string;
  studentId: string;
  attempt: number;
  content: string;
  submittedAtMs: number;
  isLate: boolean;
  points: number | null;
  feedback: string | null;
  graderId: string | null;
  gradedAtMs: number | null;
}

const toSubmission = (row: SubmissionRow): Submission => ({
  id: row.id,
  assignmentId: row.assignmentId,
  studentId: row.studentId,
  attempt: row.attempt,
  content: row.content,
  submittedAt: new Date(row.submittedAtMs),
  isLate: row.isLate,
  grade:
    row.points === null || row.graderId === null || row.gradedAtMs === null
      ? null
      : { points: row.points, feedback: row.feedback, graderId: row.graderId, gradedAt: new Date(row.gradedAtMs) },
});

const submissionColumns = sql`
  s.id, s.assignment_id as "assignmentId", s.student_id as "studentId", s.attempt, s.content,
  (extract(epoch from s.submitted_at) * 1000)::float8 as "submittedAtMs", s.is_late as "isLate"`;

/**
 * Records a new attempt by `studentId`. The student's enrollment row is locked first, so two
 * submissions of one student arriving together get attempts n and n+1 rather than colliding on
 * the (assignment, student, attempt) key. Late: submitted_at (the transaction's now()) after
 * due_at. Refused: unknown assignment (NOT_FOUND), no ACTIVE enrollment in its course.
 */
export async function submitAssignment(
  db: Database,
  input: SubmitInput,
  student: { studentId: string; institutionId: string },
): Promise<Submission> {
  return db.transaction(async (tx) => {
    const check = await queryOne<SubmitCheck>(
      tx,
      sql`select a.course_id as "courseId",
                 (select e.status::text from enrollments e
                   where e.course_id = a.course_id and e.student_id = ${student.studentId}
                     for no key update) as "enrollmentStatus"
            from assignments a
           where a.id = ${input.assignmentId} and a.institution_id = ${student.institutionId}`,
    );
    if (!check) throw new Refusal("NOT_FOUND", "assignmentId: no such assignment");
    if (check.enrollmentStatus !== "ACTIVE") {
      throw new Refusal(
        "FORBIDDEN",
        check.enrollmentStatus
          ? `assignmentId: only an ACTIVE enrollment may submit; yours is ${check.enrollmentStatus}`
          : "assignmentId: you are not enrolled in this assignment's course",
      );
    }
    const row = await queryOne<SubmissionRow>(
      tx,
      sql`with inserted as (
            insert into submissions as s (assignment_id, student_id, institution_id, attempt, content, is_late)
            select a.id, ${student.studentId}, a.institution_id,
                   coalesce((select max(prev.attempt) from submissions prev
                              where prev.assignment_id = a.id and prev.student_id = ${student.studentId}), 0) + 1,
                   ${input.content}, a.due_at is not null and now() > a.due_at
              from assignments a where a.id = ${input.assignmentId}
            returning *
          )
          select ${submissionColumns}, null::float8 as points, null::text as feedback, null::uuid as "graderId",
                 null::float8 as "gradedAtMs"
            from inserted s`,
    );
    if (!row) throw new Refusal("NOT_FOUND", "assignmentId: no such assignment");
    return toSubmission(row);
  });
}

/**
 * A course's submissions (newest first), with their grades, optionally for one assignment or one
 * student. `scope.studentId` restricts to that student's own (students); otherwise CourseScope
 * decides. Null when the course is not visible (the router's NOT_FOUND).
 */
export async function listSubmissions(
  db: Database,
  input: ListSubmissionsInput,
  scope: CourseScope & { studentId?: string | undefined },
): Promise<{ submissions: Submission[]; pagination: Pagination } | null> {
  const studentId = scope.studentId ?? input.studentId;
  const visible = scope.studentId
    ? sql`exists (select 1 from enrollments e where e.course_id = ${input.courseId}
                   and e.student_id = ${scope.studentId} and e.institution_id = ${scope.institutionId})`
    : courseInScope(input.courseId, scope);
  const row = await queryOne<{ ok: boolean; total: number; rows: SubmissionRow[] }>(
    db,
    sql`
    with visible as (select ${visible} as ok),
    matches as (
      select s.* from submissions s join assignments a on a.id = s.assignment_id
       where a.course_id = ${input.courseId} and (select ok from visible)
         ${input.assignmentId ? sql`and s.assignment_id = ${input.assignmentId}` : sql.empty()}
         ${studentId ? sql`and s.student_id = ${studentId}` : sql.empty()}
    ),
    page as (
      select ${submissionColumns}, g.points::float8 as points, g.feedback, g.grader_id as "graderId",
             (extract(epoch from g.graded_at) * 1000)::float8 as "gradedAtMs"
        from matches s left join grades g on g.submission_id = s.id
       order by s.submitted_at desc, s.id
       limit ${input.limit} offset ${pageOffset(input)}
    )
    select (select ok from visible) as ok, (select count(*)::int from matches) as total,
           coalesce((select jsonb_agg(to_jsonb(p) order by p."submittedAtMs" desc, p.id) from page p), '[]'::jsonb) as rows`,
  );
  if (!row?.ok) return null;
  return { submissions: row.rows.map(toSubmission), pagination: paginate(input, row.total) };
}
