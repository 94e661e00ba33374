import { courses, enrollments, lessonProgress, lessons, modules, users } from "@coursebase/db/schema";
import type postgres from "postgres";
import { column, type Params, placeholders, scalars, table } from "./prisma.ts";

/**
 * The guide's getStudentDashboard, statement for statement: three chains run in parallel
 * (Promise.all over the pool), each a findUnique/findMany whose `include`/nested `select` Prisma
 * resolves with one follow-up `WHERE id IN (...)` query per relation level:
 *   1. users                                              (1 statement)
 *   2. enrollments -> courses -> users (instructor)       (3)
 *   3. lesson_progress -> lessons -> modules -> courses   (4)
 * 8 statements, 4 round trips deep; a follow-up is skipped when its id list is empty, as Prisma
 * does. Rows are stitched in JavaScript as the engine stitches them. The guide's
 * `completedLessons: recentProgress.length` (capped at 10) is kept: it is what its code returns.
 */

type Row = Record<string, unknown>;

const uniq = (values: unknown[]) => [...new Set(values.filter((v) => v !== null && v !== undefined))] as string[];

async function byIds(sql: postgres.Sql, select: string, from: string, idColumn: string, ids: string[]) {
  if (ids.length === 0) return new Map<string, Row>();
  const rows = await sql.unsafe<Row[]>(
    `SELECT ${select} FROM ${from} WHERE ${idColumn} IN (${placeholders(1, ids.length)}) OFFSET $${ids.length + 1}`,
    [...ids, 0] as Params,
    { prepare: true },
  );
  return new Map(rows.map((r) => [r.id as string, r]));
}

async function student(sql: postgres.Sql, studentId: string) {
  const [row] = await sql.unsafe<Row[]>(
    `SELECT ${column(users, "id")}, ${column(users, "name")}, ${column(users, "email")}, ${column(users, "preferences")}
       FROM ${table(users)} WHERE (${column(users, "id")} = $1 AND 1=1) LIMIT $2 OFFSET $3`,
    [studentId, 1, 0] as Params,
    { prepare: true },
  );
  return row ?? null;
}

async function activeEnrollments(sql: postgres.Sql, studentId: string) {
  const rows = await sql.unsafe<Row[]>(
    `SELECT ${scalars(enrollments)} FROM ${table(enrollments)}
      WHERE (${column(enrollments, "student_id")} = $1
        AND ${column(enrollments, "status")} = CAST($2::text AS "public"."enrollment_status"))
      ORDER BY ${column(enrollments, "last_access_at")} DESC OFFSET $3`,
    [studentId, "ACTIVE", 0] as Params,
    { prepare: true },
  );
  const courseRows = await byIds(
    sql,
    ["id", "title", "description", "category", "difficulty", "estimated_hours", "instructor_id"]
      .map((c) => column(courses, c))
      .join(", "),
    table(courses),
    column(courses, "id"),
    uniq(rows.map((r) => r.course_id)),
  );
  const instructors = await byIds(
    sql,
    ["id", "name", "email"].map((c) => column(users, c)).join(", "),
    table(users),
    column(users, "id"),
    uniq([...courseRows.values()].map((c) => c.instructor_id)),
  );
  return rows.map((r) => {
    const course = courseRows.get(r.course_id as string) as Row;
    const instructor = instructors.get(course.instructor_id as string) as Row;
    return { ...r, course: { ...course, instructor: { name: instructor.name, email: instructor.email } } };
  });
}

async function recentCompletions(sql: postgres.Sql, studentId: string) {
  const since = new Date(Date.now() - 7 * 24 * 60 * 60 * 1000);
  const rows = await sql.unsafe<Row[]>(
    `SELECT ${scalars(lessonProgress)} FROM ${table(lessonProgress)}
      WHERE (${column(lessonProgress, "student_id")} = $1 AND ${column(lessonProgress, "completed_at")} >= $2)
      ORDER BY ${column(lessonProgress, "completed_at")} DESC LIMIT $3 OFFSET $4`,
    [studentId, since, 10, 0] as Params,
    { prepare: true },
  );
  const lessonRows = await byIds(
    sql,
    ["id", "title", "type", "module_id"].map((c) => column(lessons, c)).join(", "),
    table(lessons),
    column(lessons, "id"),
    uniq(rows.map((r) => r.lesson_id)),
  );
  const moduleRows = await byIds(
    sql,
    ["id", "title", "course_id"].map((c) => column(modules, c)).join(", "),
    table(modules),
    column(modules, "id"),
    uniq([...lessonRows.values()].map((l) => l.module_id)),
  );
  const courseRows = await byIds(
    sql,
    ["id", "title"].map((c) => column(courses, c)).join(", "),
    table(courses),
    column(courses, "id"),
    uniq([...moduleRows.values()].map((m) => m.course_id)),
  );
  return rows.map((r) => {
    const lesson = lessonRows.get(r.lesson_id as string) as Row;
    const module = moduleRows.get(lesson.module_id as string) as Row;
    const course = courseRows.get(module.course_id as string) as Row;
    return {
      ...r,
      lesson: {
        title: lesson.title,
        type: lesson.type,
        module: { title: module.title, course: { title: course.title } },
      },
    };
  });
}

export async function guideDashboard(sql: postgres.Sql, studentId: string) {
  const [studentRow, enrollmentRows, recentProgress] = await Promise.all([
    student(sql, studentId),
    activeEnrollments(sql, studentId),
    recentCompletions(sql, studentId),
  ]);
  return {
    student: studentRow,
    enrollments: enrollmentRows,
    recentProgress,
    totalCourses: enrollmentRows.length,
    completedLessons: recentProgress.length,
  };
}
