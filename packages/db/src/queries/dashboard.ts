import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../client.ts";
import { queryOne } from "../execute.ts";
import type { courses, enrollments, lessonProgress, lessons, modules, users } from "../schema/index.ts";

export const studentDashboardInput = z.strictObject({
  // guid, not uuid: any well-formed id the uuid column holds (seeded ids need not be RFC 4122 v4).
  studentId: z.guid("must be a UUID"),
});
export type StudentDashboardInput = z.output<typeof studentDashboardInput>;

/** Optional tenancy scope: with an institution, a student of another institution is not found. */
export interface DashboardScope {
  institutionId?: string;
}

type User = typeof users.$inferSelect;
type Course = typeof courses.$inferSelect;
type Enrollment = typeof enrollments.$inferSelect;
type LessonProgress = typeof lessonProgress.$inferSelect;

export type DashboardEnrollment = Pick<
  Enrollment,
  "id" | "courseId" | "status" | "progress" | "enrolledAt" | "lastAccessAt"
> & {
  course: Pick<Course, "id" | "title" | "description" | "category" | "difficulty" | "estimatedHours"> & {
    instructor: Pick<User, "name" | "email">;
  };
};

export type DashboardCompletion = Pick<LessonProgress, "lessonId" | "timeSpent" | "score"> & {
  completedAt: Date;
  lesson: Pick<typeof lessons.$inferSelect, "title" | "type">;
  module: Pick<typeof modules.$inferSelect, "title">;
  course: Pick<Course, "id" | "title">;
};

export interface StudentDashboard {
  student: Pick<User, "id" | "name" | "email" | "preferences">;
  /** ACTIVE enrollments, most recently accessed first (never accessed last). */
  enrollments: DashboardEnrollment[];
  /** The 10 most recent lesson completions of the last 7 days, newest first. */
  recentProgress: DashboardCompletion[];
  /** Number of ACTIVE enrollments. */
  totalCourses: number;
  /**
   * Every lesson the student ever completed. The guide returns `recentProgress.length`, which
   * is capped at 10 and limited to 7 days: a student with 40 completed lessons would see 10.
   */
  completedLessons: number;
  /** Courses finished (enrollment status COMPLETED). */
  completedCourses: number;
  /** Mean progress (0..100, rounded) over the ACTIVE enrollments; null without any. */
  averageProgress: number | null;
}

interface EnrollmentJson extends Omit<DashboardEnrollment, "enrolledAt" | "lastAccessAt"> {
  enrolledAt: string;
  lastAccessAt: string | null;
}
interface CompletionJson extends Omit<DashboardCompletion, "completedAt"> {
  completedAt: string;
}
interface DashboardRow {
  id: string;
  name: string;
  email: string;
  preferences: Record<string, unknown>;
  enrollments: EnrollmentJson[];
  recent_progress: CompletionJson[];
  total_courses: number;
  completed_lessons: number;
  completed_courses: number;
  average_progress: number | null;
}

/**
 * A student's dashboard in one statement, one round trip. The guide sends three queries plus
 * nested includes (8 statements through Prisma), and its `completedLessons` is wrong (see
 * above). Each part is a LATERAL subquery driven by an index on the student:
 *   enrollments  idx_enrollments_student_status_performance (student_id, status)
 *   recent       lesson_progress_student_recent_completions_idx (student_id, completed_at desc),
 *                LIMIT 10 before joining lessons/modules/courses, so at most 10 rows are joined
 *   totals       index-only counts over the same two indexes
 * Nested rows come back as json (timestamps as ISO 8601 strings, turned into Dates here).
 * Returns null for an unknown id, a user who is not a student, or one outside the scope.
 */
export async function getStudentDashboard(
  db: Database,
  input: StudentDashboardInput,
  scope: DashboardScope = {},
): Promise<StudentDashboard | null> {
  const inScope = scope.institutionId ? sql`and u.institution_id = ${scope.institutionId}` : sql``;
  const row = await queryOne<DashboardRow>(
    db,
    sql`
      select
        u.id, u.name, u.email, u.preferences,
        active.enrollments, active.total_courses, active.average_progress,
        coalesce(recent.items, '[]'::json) as recent_progress,
        (select count(*)::int from lesson_progress lp
          where lp.student_id = u.id and lp.completed_at is not null) as completed_lessons,
        (select count(*)::int from enrollments e
          where e.student_id = u.id and e.status = 'COMPLETED') as completed_courses
      from users u
      cross join lateral (
        select
          coalesce(json_agg(json_build_object(
            'id', e.id,
            'courseId', e.course_id,
            'status', e.status,
            'progress', e.progress,
            'enrolledAt', e.enrolled_at,
            'lastAccessAt', e.last_access_at,
            'course', json_build_object(
              'id', c.id,
              'title', c.title,
              'description', c.description,
              'category', c.category,
              'difficulty', c.difficulty,
              'estimatedHours', c.estimated_hours,
              'instructor', json_build_object('name', i.name, 'email', i.email)))
            order by e.last_access_at desc nulls last, e.enrolled_at desc, e.id), '[]'::json) as enrollments,
          count(*)::int as total_courses,
          round(avg(e.progress))::int as average_progress
        from enrollments e
        join courses c on c.id = e.course_id
        join users i on i.id = c.instructor_id
        where e.student_id = u.id and e.status = 'ACTIVE'
      ) active
      cross join lateral (
        select json_agg(json_build_object(
            'lessonId', r.lesson_id,
            'completedAt', r.completed_at,
            'timeSpent', r.time_spent,
            -- numeric as text: exact, and the same type Drizzle gives the column
            'score', r.score::text,
            'lesson', json_build_object('title', l.title, 'type', l.type),
            'module', json_build_object('title', m.title),
            'course', json_build_object('id', c.id, 'title', c.title))
            order by r.completed_at desc, r.lesson_id) as items
        from (
          select lp.lesson_id, lp.course_id, lp.completed_at, lp.time_spent, lp.score
          from lesson_progress lp
          where lp.student_id = u.id
            and lp.completed_at is not null
            and lp.completed_at >= now() - interval '7 days'
          -- "nulls last" as in the index (completed_at is never null here anyway): with the
          -- index's own order the scan stops after 10 entries instead of sorting the week
          order by lp.completed_at desc nulls last
          limit 10
        ) r
        join lessons l on l.id = r.lesson_id
        join modules m on m.id = l.module_id
        join courses c on c.id = r.course_id
      ) recent
      where u.id = ${input.studentId} and u.role = 'STUDENT' ${inScope}
    `,
  );
  if (!row) return null;
  return {
    student: { id: row.id, name: row.name, email: row.email, preferences: row.preferences },
    enrollments: row.enrollments.map((enrollment) => ({
      ...enrollment,
      enrolledAt: new Date(enrollment.enrolledAt),
      lastAccessAt: enrollment.lastAccessAt === null ? null : new Date(enrollment.lastAccessAt),
    })),
    recentProgress: row.recent_progress.map((completion) => ({
      ...completion,
      completedAt: new Date(completion.completedAt),
    })),
    totalCourses: row.total_courses,
    completedLessons: row.completed_lessons,
    completedCourses: row.completed_courses,
    averageProgress: row.average_progress,
  };
}
