import { and, eq, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../client.ts";
import { queryOne } from "../execute.ts";
import { courses } from "../schema/courses.ts";
import { enrollments } from "../schema/enrollments.ts";
import { type EnrollmentStatus, enrollmentStatus } from "../schema/enums.ts";
import { recordAudit } from "./audit.ts";
import { type Pagination, pageOffset, paginate, paginationFields } from "./pagination.ts";
import { type Actor, Refusal } from "./refusals.ts";

// Enrollment management (issue 7, item 4): enroll, drop, suspend, reactivate, and the roster.
//
// Lifecycle: ACTIVE -> COMPLETED (progress.record, at the last lesson), ACTIVE <-> SUSPENDED,
// ACTIVE | SUSPENDED -> DROPPED, DROPPED -> ACTIVE. One row per (student, course), ever: enrolling
// a DROPPED student again reactivates that row (progress and lesson history kept, enrolled_at kept
// as the first enrollment) instead of failing on the unique key or duplicating history.

const uuid = z.guid({ error: "must be a uuid" });

export const enrollmentKeyInput = z.strictObject({ studentId: uuid, courseId: uuid });
export type EnrollmentKeyInput = z.infer<typeof enrollmentKeyInput>;

export interface Enrollment {
  id: string;
  studentId: string;
  courseId: string;
  status: EnrollmentStatus;
  progress: number;
  /** Percentage 0..100 from graded assignments (queries/grades.ts); null until something is graded. */
  grade: number | null;
  enrolledAt: Date;
  completedAt: Date | null;
  lastAccessAt: Date | null;
}

type EnrollmentRow = typeof enrollments.$inferSelect;

const toEnrollment = (row: EnrollmentRow): Enrollment => ({
  id: row.id,
  studentId: row.studentId,
  courseId: row.courseId,
  status: row.status,
  progress: row.progress,
  grade: row.grade === null ? null : Number(row.grade),
  enrolledAt: row.enrolledAt,
  completedAt: row.completedAt,
  lastAccessAt: row.lastAccessAt,
});

const auditEnrollment = (db: Database, actor: Actor, action: string, row: EnrollmentRow, details: object) =>
  recordAudit(db, {
    institutionId: actor.institutionId,
    actorUserId: actor.userId,
    actorTokenId: actor.tokenId,
    action,
    targetType: "enrollment",
    targetId: row.id,
    details: { studentId: row.studentId, courseId: row.courseId, ...details },
  });

// enroll ---------------------------------------------------------------------------------------

interface EnrollCheck {
  student: { role: string; isActive: boolean } | null;
  course: { status: string } | null;
  existing: EnrollmentStatus | null;
  /** Titles of prerequisite courses the student has not COMPLETED. */
  missing: string[];
}

/**
 * Everything enroll must know, in one round trip. Another institution's student or course is
 * "absent" (explicit filter besides row-level security, so owner jobs are scoped too).
 */
const enrollCheck = (input: EnrollmentKeyInput, institutionId: string): SQL => sql`
  select
    (select jsonb_build_object('role', u.role, 'isActive', u.is_active) from users u
      where u.id = ${input.studentId} and u.institution_id = ${institutionId}) as student,
    (select jsonb_build_object('status', c.status) from courses c
      where c.id = ${input.courseId} and c.institution_id = ${institutionId}) as course,
    (select e.status::text from enrollments e
      where e.student_id = ${input.studentId} and e.course_id = ${input.courseId}) as existing,
    (select coalesce(jsonb_agg(p.title order by p.title), '[]'::jsonb)
       from course_prerequisites cp join courses p on p.id = cp.prerequisite_id
      where cp.course_id = ${input.courseId}
        and not exists (select 1 from enrollments done
                         where done.student_id = ${input.studentId} and done.course_id = cp.prerequisite_id
                           and done.status = 'COMPLETED')) as missing`;

/**
 * Enrolls a student (ACTIVE). Refused, with the reason: unknown student or course (NOT_FOUND), a
 * deactivated account or a non-student, a course that is not PUBLISHED, prerequisites not
 * COMPLETED (the missing courses named), or an enrollment that already exists and is not
 * DROPPED (CONFLICT). A DROPPED enrollment is reactivated (`reactivated: true`).
 */
export async function enrollStudent(
  db: Database,
  input: EnrollmentKeyInput,
  actor: Actor,
): Promise<{ enrollment: Enrollment; reactivated: boolean }> {
  return db.transaction(async (tx) => {
    const check = await queryOne<EnrollCheck>(tx, enrollCheck(input, actor.institutionId));
    if (!check?.student) throw new Refusal("NOT_FOUND", "studentId: no such student");
    if (!check.course) throw new Refusal("NOT_FOUND", "courseId: no such course");
    if (check.student.role !== "STUDENT") {
      throw new Refusal("BAD_REQUEST", `studentId: the user is ${check.student.role}, not a STUDENT`);
    }
    if (!check.student.isActive) throw new Refusal("BAD_REQUEST", "studentId: the account is deactivated");
    if (check.course.status !== "PUBLISHED") {
      throw new Refusal(
        "BAD_REQUEST",
        `courseId: the course is ${check.course.status}; only a PUBLISHED course accepts enrollments`,
      );
    }
    if (check.existing && check.existing !== "DROPPED") {
      throw new Refusal("CONFLICT", `studentId: the student is already enrolled (${check.existing})`);
    }
    if (check.missing.length > 0) {
      throw new Refusal("BAD_REQUEST", `courseId: prerequisites not completed: ${check.missing.join(", ")}`);
    }
    // The upsert settles a race with a concurrent enroll: only a DROPPED row is taken over.
    const [row] = await tx
      .insert(enrollments)
      .values({ studentId: input.studentId, courseId: input.courseId, institutionId: actor.institutionId })
      .onConflictDoUpdate({
        target: [enrollments.studentId, enrollments.courseId],
        set: { status: "ACTIVE" },
        setWhere: sql`${enrollments.status} = 'DROPPED'`,
      })
      .returning();
    if (!row) throw new Refusal("CONFLICT", "studentId: the student is already enrolled");
    const reactivated = check.existing === "DROPPED";
    await auditEnrollment(tx, actor, reactivated ? "enrollment.reenroll" : "enrollment.enroll", row, {
      from: check.existing,
      to: "ACTIVE",
    });
    return { enrollment: toEnrollment(row), reactivated };
  });
}

// drop, suspend, reactivate --------------------------------------------------------------------

export type EnrollmentTransition = "drop" | "suspend" | "reactivate";

const transitions: Record<EnrollmentTransition, { from: EnrollmentStatus[]; to: EnrollmentStatus; done: string }> = {
  drop: { from: ["ACTIVE", "SUSPENDED"], to: "DROPPED", done: "dropped" },
  suspend: { from: ["ACTIVE"], to: "SUSPENDED", done: "suspended" },
  reactivate: { from: ["SUSPENDED", "DROPPED"], to: "ACTIVE", done: "reactivated" },
};

/**
 * Moves an enrollment along its lifecycle. Refused when the enrollment does not exist
 * (NOT_FOUND) or is not in a state the transition starts from (a COMPLETED enrollment is never
 * dropped or suspended). Reactivation needs the course still PUBLISHED; prerequisites are not
 * checked again (they were met at enrollment).
 */
export async function changeEnrollmentStatus(
  db: Database,
  transition: EnrollmentTransition,
  input: EnrollmentKeyInput,
  actor: Actor,
): Promise<Enrollment> {
  const { from, to, done } = transitions[transition];
  return db.transaction(async (tx) => {
    const [current] = await tx
      .select({ status: enrollments.status, courseStatus: courses.status })
      .from(enrollments)
      .innerJoin(courses, eq(courses.id, enrollments.courseId))
      .where(
        and(
          eq(enrollments.studentId, input.studentId),
          eq(enrollments.courseId, input.courseId),
          eq(enrollments.institutionId, actor.institutionId),
        ),
      )
      .for("no key update", { of: enrollments });
    if (!current) throw new Refusal("NOT_FOUND", "courseId: the student is not enrolled in this course");
    if (current.status === to) throw new Refusal("BAD_REQUEST", `status: the enrollment is already ${to}`);
    if (!from.includes(current.status)) {
      throw new Refusal("BAD_REQUEST", `status: a ${current.status} enrollment cannot be ${done}`);
    }
    if (transition === "reactivate" && current.courseStatus !== "PUBLISHED") {
      throw new Refusal("BAD_REQUEST", `courseId: the course is ${current.courseStatus}; it takes no students back`);
    }
    const [row] = await tx
      .update(enrollments)
      .set({ status: to })
      .where(and(eq(enrollments.studentId, input.studentId), eq(enrollments.courseId, input.courseId)))
      .returning();
    if (!row) throw new Refusal("NOT_FOUND", "courseId: the student is not enrolled in this course");
    await auditEnrollment(tx, actor, `enrollment.${transition}`, row, { from: current.status, to });
    return toEnrollment(row);
  });
}

// roster ---------------------------------------------------------------------------------------

export const rosterSort = z.enum(["name", "progress", "enrolledAt", "lastAccessAt"]);

export const rosterInput = z
  .strictObject({
    courseId: uuid,
    status: z.enum(enrollmentStatus.enumValues).optional(),
    progressMin: z.number().int().min(0, "must be 0..100").max(100, "must be 0..100").optional(),
    progressMax: z.number().int().min(0, "must be 0..100").max(100, "must be 0..100").optional(),
    /** Part of the student's name or email, case-insensitive. */
    search: z.string().trim().min(1, "must not be empty").max(100, "must be at most 100 characters").optional(),
    /** name: A-Z; progress: highest first; enrolledAt, lastAccessAt: newest first. */
    sort: rosterSort.default("name"),
    ...paginationFields,
  })
  .refine(
    (input) =>
      input.progressMin === undefined || input.progressMax === undefined || input.progressMin <= input.progressMax,
    {
      path: ["progressMax"],
      message: "must be at least progressMin",
    },
  );
export type RosterInput = z.output<typeof rosterInput>;

export interface RosterStudent {
  enrollmentId: string;
  studentId: string;
  name: string;
  email: string;
  status: EnrollmentStatus;
  progress: number;
  grade: number | null;
  enrolledAt: Date;
  completedAt: Date | null;
  lastAccessAt: Date | null;
}

export interface Roster {
  courseId: string;
  students: RosterStudent[];
  pagination: Pagination;
}

const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The page's order, over enrollment columns through `alias` and the student's name through
 * `nameAlias` (constants, never input).
 */
function rosterOrder(sort: z.infer<typeof rosterSort>, alias: "m" | "p", nameAlias: "u" | "p"): SQL {
  const a = sql.raw(alias);
  // sort_name = lower(name): case-insensitive, and the key of users_institution_id_sort_name_id_idx,
  // which lets the planner walk a big course's students in name order and stop after the page.
  const name = sql.raw(`${nameAlias}.sort_name`);
  const id = sql.raw(nameAlias === "u" ? "u.id" : "p.student_id");
  switch (sort) {
    case "name":
      return sql`${name}, ${id}`;
    case "progress":
      return sql`${a}.progress desc, ${name}, ${a}.student_id`;
    case "enrolledAt":
      return sql`${a}.enrolled_at desc, ${a}.student_id`;
    case "lastAccessAt":
      return sql`${a}.last_access_at desc nulls last, ${a}.student_id`;
  }
}

/**
 * Which courses a caller may manage or read: all of the institution's (administrators), or only
 * those `staffUserId` teaches (lead instructor or course_staff).
 */
export interface CourseScope {
  institutionId: string;
  staffUserId?: string | undefined;
}

/** A course the scope may see: the institution's, and for staff one they teach. */
export const courseInScope = (courseId: SQL | string, scope: CourseScope): SQL => sql`
  exists (select 1 from courses c
           where c.id = ${courseId} and c.institution_id = ${scope.institutionId}
             ${
               scope.staffUserId
                 ? sql`and (c.instructor_id = ${scope.staffUserId}
                            or exists (select 1 from course_staff cs
                                        where cs.course_id = c.id and cs.user_id = ${scope.staffUserId}))`
                 : sql.empty()
             })`;

interface RosterRow {
  visible: boolean;
  total: number;
  students: Array<
    Omit<RosterStudent, "enrolledAt" | "completedAt" | "lastAccessAt" | "grade"> & {
      grade: string | number | null;
      enrolledAt: string;
      completedAt: string | null;
      lastAccessAt: string | null;
    }
  >;
}

/**
 * A course's students with their progress, filtered and paginated, in one statement: the
 * course's enrollments come from enrollments_course_id_status_idx (course_id, status), each
 * joined to its user by primary key; the total counts every match, the page is sorted and cut
 * in the same statement. Returns null when the course is not in scope (the router's NOT_FOUND).
 */
export async function getCourseRoster(db: Database, input: RosterInput, scope: CourseScope): Promise<Roster | null> {
  const filters: SQL[] = [];
  if (input.status) filters.push(sql` and m.status = ${input.status}`);
  if (input.progressMin !== undefined) filters.push(sql` and m.progress >= ${input.progressMin}`);
  if (input.progressMax !== undefined) filters.push(sql` and m.progress <= ${input.progressMax}`);
  if (input.search) {
    const pattern = likePattern(input.search);
    filters.push(sql` and (u.name ilike ${pattern} or u.email ilike ${pattern})`);
  }
  // Users are joined for every match only when the filter or the order needs the name; the
  // other orders read enrollments alone (enrolledAt walks enrollments_course_id_enrolled_at_idx
  // and stops after the page) and join the page's users at the end. The count and the page are
  // two scans rather than one materialized CTE: each gets its own plan.
  const needsName = input.search !== undefined || input.sort === "name" || input.sort === "progress";
  const matchesFrom = (joinUsers: boolean) => sql`
        from enrollments m
        ${joinUsers ? sql`join users u on u.id = m.student_id` : sql.empty()}
       where m.course_id = ${input.courseId}${sql.join(filters)}`;
  const row = await queryOne<RosterRow>(
    db,
    sql`
    with visible as (select ${courseInScope(input.courseId, scope)} as ok),
    page as (
      select m.id, m.student_id, m.status, m.progress, m.grade, m.enrolled_at, m.completed_at, m.last_access_at
             ${needsName ? sql`, u.sort_name` : sql.empty()}
      ${matchesFrom(needsName)} and (select ok from visible)
       order by ${rosterOrder(input.sort, "m", "u")} limit ${input.limit} offset ${pageOffset(input)}
    )
    select (select ok from visible) as visible,
           (select count(*)::int ${matchesFrom(input.search !== undefined)} and (select ok from visible)) as total,
           coalesce((select jsonb_agg(jsonb_build_object(
                       'enrollmentId', p.id, 'studentId', p.student_id, 'name', u.name, 'email', u.email,
                       'status', p.status, 'progress', p.progress, 'grade', p.grade,
                       'enrolledAt', p.enrolled_at, 'completedAt', p.completed_at,
                       'lastAccessAt', p.last_access_at) order by ${rosterOrder(input.sort, "p", "p")})
                       from page p join users u on u.id = p.student_id), '[]'::jsonb) as students`,
  );
  if (!row?.visible) return null;
  const date = (iso: string | null) => (iso === null ? null : new Date(iso));
  return {
    courseId: input.courseId,
    students: row.students.map((s) => ({
      ...s,
      grade: s.grade === null ? null : Number(s.grade),
      enrolledAt: new Date(s.enrolledAt),
      completedAt: date(s.completedAt),
      lastAccessAt: date(s.lastAccessAt),
    })),
    pagination: paginate(input, row.total),
  };
}
