import { and, asc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../client.ts";
import { queryOne } from "../execute.ts";
import { assignments } from "../schema/assignments.ts";
import { recordAudit } from "./audit.ts";
import { type CourseScope, courseInScope } from "./enrollments.ts";
import { recomputeEnrollmentGrades } from "./grades.ts";
import { type Pagination, pageOffset, paginate, paginationFields } from "./pagination.ts";
import { type Actor, Refusal } from "./refusals.ts";

// Assignments of a course (issue 7, item 5): created and edited by the course's staff or an
// administrator, listed for them and for the course's students.

const uuid = z.guid({ error: "must be a uuid" });
/** numeric(7,2): at most 99,999.99, two decimals. */
export const MAX_POINTS_LIMIT = 99_999.99;

const maxPoints = z
  .number()
  .gt(0, "must be greater than 0")
  .max(MAX_POINTS_LIMIT, `must be at most ${MAX_POINTS_LIMIT}`)
  .multipleOf(0.01, "must have at most 2 decimals")
  .transform((points) => Math.round(points * 100) / 100);

const dueAt = z.union([z.date(), z.iso.datetime({ offset: true }).transform((iso) => new Date(iso))], {
  error: "must be a date (ISO 8601 with a zone when sent as text)",
});

const title = z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters");
const instructions = z.string().max(50_000, "must be at most 50,000 characters");

export const createAssignmentInput = z.strictObject({
  courseId: uuid,
  title,
  instructions: instructions.default(""),
  /** Submissions after this moment are marked late; none: never late. */
  dueAt: dueAt.nullish(),
  maxPoints,
});
export type CreateAssignmentInput = z.output<typeof createAssignmentInput>;

export const updateAssignmentInput = z
  .strictObject({
    assignmentId: uuid,
    title: title.optional(),
    instructions: instructions.optional(),
    /** null removes the due date. */
    dueAt: dueAt.nullish(),
    maxPoints: maxPoints.optional(),
  })
  .refine((input) => Object.keys(input).some((key) => key !== "assignmentId"), {
    message: "must change at least one field",
  });
export type UpdateAssignmentInput = z.output<typeof updateAssignmentInput>;

export const listAssignmentsInput = z.strictObject({ courseId: uuid, ...paginationFields });
export type ListAssignmentsInput = z.output<typeof listAssignmentsInput>;

export interface Assignment {
  id: string;
  courseId: string;
  title: string;
  instructions: string;
  dueAt: Date | null;
  maxPoints: number;
  createdAt: Date;
  updatedAt: Date;
}

type AssignmentRow = typeof assignments.$inferSelect;

const toAssignment = (row: AssignmentRow): Assignment => ({
  id: row.id,
  courseId: row.courseId,
  title: row.title,
  instructions: row.instructions,
  dueAt: row.dueAt,
  maxPoints: Number(row.maxPoints),
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

const auditAssignment = (db: Database, actor: Actor, action: string, row: AssignmentRow, details: object) =>
  recordAudit(db, {
    institutionId: actor.institutionId,
    actorUserId: actor.userId,
    actorTokenId: actor.tokenId,
    action,
    targetType: "assignment",
    targetId: row.id,
    details: { courseId: row.courseId, ...details },
  });

async function isCourseInScope(db: Database, courseId: string, scope: CourseScope): Promise<boolean> {
  const found = await queryOne<{ ok: boolean }>(db, sql`select ${courseInScope(courseId, scope)} as ok`);
  return found?.ok === true;
}

/**
 * Creates an assignment. Every enrollment grade of the course is recomputed: its denominator is
 * the sum of the course's max points (queries/grades.ts).
 */
export async function createAssignment(
  db: Database,
  input: CreateAssignmentInput,
  scope: CourseScope,
  actor: Actor,
): Promise<Assignment> {
  return db.transaction(async (tx) => {
    if (!(await isCourseInScope(tx, input.courseId, scope))) {
      throw new Refusal("NOT_FOUND", "courseId: no such course");
    }
    const [row] = await tx
      .insert(assignments)
      .values({
        courseId: input.courseId,
        institutionId: scope.institutionId,
        title: input.title,
        instructions: input.instructions,
        dueAt: input.dueAt ?? null,
        maxPoints: input.maxPoints.toFixed(2),
      })
      .returning();
    if (!row) throw new Error("assignment insert returned no row");
    await recomputeEnrollmentGrades(tx, { courseId: row.courseId });
    await auditAssignment(tx, actor, "assignment.create", row, { title: row.title, maxPoints: input.maxPoints });
    return toAssignment(row);
  });
}

/**
 * Edits an assignment. Lowering maxPoints below a grade already given is refused (the grade
 * would exceed the assignment); a change of maxPoints recomputes the course's enrollment grades.
 */
export async function updateAssignment(
  db: Database,
  input: UpdateAssignmentInput,
  scope: CourseScope,
  actor: Actor,
): Promise<Assignment> {
  return db.transaction(async (tx) => {
    const [current] = await tx
      .select()
      .from(assignments)
      .where(and(eq(assignments.id, input.assignmentId), eq(assignments.institutionId, scope.institutionId)))
      .for("no key update");
    if (!current || !(await isCourseInScope(tx, current.courseId, scope))) {
      throw new Refusal("NOT_FOUND", "assignmentId: no such assignment");
    }
    const newMaxPoints = input.maxPoints;
    const maxPointsChanged = newMaxPoints !== undefined && newMaxPoints !== Number(current.maxPoints);
    if (maxPointsChanged) {
      const highest = await queryOne<{ points: number | null }>(
        tx,
        sql`select max(g.points)::float8 as points from grades g join submissions s on s.id = g.submission_id
             where s.assignment_id = ${current.id}`,
      );
      if (highest?.points != null && highest.points > newMaxPoints) {
        throw new Refusal("BAD_REQUEST", `maxPoints: must be at least ${highest.points}, a grade already given`);
      }
    }
    const [row] = await tx
      .update(assignments)
      .set({
        ...(input.title !== undefined ? { title: input.title } : {}),
        ...(input.instructions !== undefined ? { instructions: input.instructions } : {}),
        ...(input.dueAt !== undefined ? { dueAt: input.dueAt } : {}),
        ...(input.maxPoints !== undefined ? { maxPoints: input.maxPoints.toFixed(2) } : {}),
      })
      .where(eq(assignments.id, current.id))
      .returning();
    if (!row) throw new Refusal("NOT_FOUND", "assignmentId: no such assignment");
    if (maxPointsChanged) await recomputeEnrollmentGrades(tx, { courseId: row.courseId });
    const { assignmentId: _id, ...changes } = input;
    await auditAssignment(tx, actor, "assignment.update", row, { changes });
    return toAssignment(row);
  });
}

/**
 * A course's assignments, soonest due first (undated last), paginated. `scope` decides
 * visibility: staff and administrators by CourseScope; a student (`studentId`) only for a course
 * they are enrolled in. Null when not visible (the router's NOT_FOUND).
 */
export async function listAssignments(
  db: Database,
  input: ListAssignmentsInput,
  scope: CourseScope & { studentId?: string | undefined },
): Promise<{ assignments: Assignment[]; pagination: Pagination } | null> {
  const visible = scope.studentId
    ? sql`exists (select 1 from enrollments e where e.course_id = ${input.courseId} and e.student_id = ${scope.studentId}
                    and e.institution_id = ${scope.institutionId})`
    : courseInScope(input.courseId, scope);
  const check = await queryOne<{ ok: boolean; total: number }>(
    db,
    sql`select ${visible} as ok, (select count(*)::int from assignments where course_id = ${input.courseId}) as total`,
  );
  if (!check?.ok) return null;
  const rows = await db
    .select()
    .from(assignments)
    .where(eq(assignments.courseId, input.courseId))
    .orderBy(sql`${assignments.dueAt} asc nulls last`, asc(assignments.createdAt), asc(assignments.id))
    .limit(input.limit)
    .offset(pageOffset(input));
  return { assignments: rows.map(toAssignment), pagination: paginate(input, check.total) };
}
