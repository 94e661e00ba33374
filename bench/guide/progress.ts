import { randomUUID } from "node:crypto";
import { enrollments, lessonProgress, lessons, modules } from "@coursebase/db/schema";
import type postgres from "postgres";
import { column, type Params, scalars, table } from "./prisma.ts";

/**
 * The guide's updateLearningProgress in one interactive transaction:
 * - one upsert per update (Prisma's native INSERT ... ON CONFLICT DO UPDATE ... RETURNING, with
 *   `increment` as `col + $n`; fields left undefined are left out, as Prisma does);
 * - per (student, course) pair, in order of first appearance: calculateCourseProgress's two
 *   counts (completed lesson_progress rows; lessons through the module relation, which Prisma
 *   writes as an IN subquery);
 * - one UPDATE ... RETURNING per enrollment.
 * An interactive transaction runs one statement at a time on its connection, so the guide's
 * Promise.all calls are awaited in turn here too. For 50 updates over 5 enrollments: BEGIN,
 * 50 + 10 + 5 statements, COMMIT = 67.
 * One deviation: the insert sets institution_id, which this schema requires on every row (the
 * guide's model has no such column); it costs one more bound value.
 */

export interface GuideProgressUpdate {
  studentId: string;
  lessonId: string;
  courseId: string;
  institutionId: string;
  timeSpent: number;
  score?: number | undefined;
  completedAt?: Date | undefined;
}

const LP = lessonProgress;

async function upsert(tx: postgres.TransactionSql, update: GuideProgressUpdate) {
  const now = new Date();
  const insert: [string, unknown][] = [
    ["id", randomUUID()],
    ["student_id", update.studentId],
    ["lesson_id", update.lessonId],
    ["course_id", update.courseId],
    ["institution_id", update.institutionId],
    ["time_spent", update.timeSpent],
    ...(update.score !== undefined ? ([["score", update.score]] as [string, unknown][]) : []),
    ...(update.completedAt !== undefined ? ([["completed_at", update.completedAt]] as [string, unknown][]) : []),
    ["attempts", 1],
    ["updated_at", now],
  ];
  const params: unknown[] = insert.map(([, value]) => value);
  const bind = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const sets = [
    `"time_spent" = (${column(LP, "time_spent")} + ${bind(update.timeSpent)})`,
    ...(update.score !== undefined ? [`"score" = ${bind(update.score)}`] : []),
    ...(update.completedAt !== undefined ? [`"completed_at" = ${bind(update.completedAt)}`] : []),
    `"attempts" = (${column(LP, "attempts")} + ${bind(1)})`,
    `"updated_at" = ${bind(now)}`,
  ];
  const where = `((${column(LP, "student_id")} = ${bind(update.studentId)} AND ${column(LP, "lesson_id")} = ${bind(update.lessonId)}) AND 1=1)`;
  await tx.unsafe(
    `INSERT INTO ${table(LP)} (${insert.map(([name]) => `"${name}"`).join(",")})
     VALUES (${insert.map((_, i) => `$${i + 1}`).join(",")})
     ON CONFLICT ("student_id","lesson_id") DO UPDATE SET ${sets.join(", ")} WHERE ${where}
     RETURNING ${scalars(LP)}`,
    params as Params,
    { prepare: true },
  );
}

async function courseProgress(tx: postgres.TransactionSql, studentId: string, courseId: string): Promise<number> {
  const [completed] = await tx.unsafe<{ _count: string }[]>(
    `SELECT COUNT(*) AS "_count" FROM (SELECT ${column(LP, "id")} FROM ${table(LP)}
      WHERE (${column(LP, "student_id")} = $1 AND ${column(LP, "course_id")} = $2
        AND ${column(LP, "completed_at")} IS NOT NULL) OFFSET $3) AS "sub"`,
    [studentId, courseId, 0] as Params,
    { prepare: true },
  );
  const [total] = await tx.unsafe<{ _count: string }[]>(
    `SELECT COUNT(*) AS "_count" FROM (SELECT ${column(lessons, "id")} FROM ${table(lessons)}
      WHERE (${column(lessons, "id")}) IN (SELECT "t1"."id" FROM ${table(lessons)} AS "t1"
        INNER JOIN ${table(modules)} AS "j1" ON ("j1"."id") = ("t1"."module_id")
        WHERE ("j1"."course_id" = $1 AND "t1"."id" IS NOT NULL)) OFFSET $2) AS "sub"`,
    [courseId, 0] as Params,
    { prepare: true },
  );
  const done = Number(completed?._count ?? 0);
  const all = Number(total?._count ?? 0);
  return all > 0 ? Math.round((done / all) * 100) : 0;
}

export async function guideUpdateProgress(sql: postgres.Sql, updates: readonly GuideProgressUpdate[]): Promise<void> {
  await sql.begin(async (tx) => {
    for (const update of updates) await upsert(tx, update);

    const pairs = new Map<string, { studentId: string; courseId: string; progress: number; lastAccess: Date }>();
    for (const update of updates) {
      const key = `${update.studentId}-${update.courseId}`;
      if (!pairs.has(key)) {
        const progress = await courseProgress(tx, update.studentId, update.courseId);
        pairs.set(key, { studentId: update.studentId, courseId: update.courseId, progress, lastAccess: new Date() });
      }
    }

    const E = enrollments;
    for (const pair of pairs.values()) {
      const completedAt = pair.progress === 100 ? [new Date()] : [];
      const params = [pair.progress, pair.lastAccess, ...completedAt, pair.studentId, pair.courseId];
      const n = params.length;
      await tx.unsafe(
        `UPDATE ${table(E)} SET "progress" = $1, "last_access_at" = $2${completedAt.length ? `, "completed_at" = $3` : ""}
          WHERE (${column(E, "student_id")} = $${n - 1} AND ${column(E, "course_id")} = $${n})
          RETURNING ${scalars(E)}`,
        params as Params,
        { prepare: true },
      );
    }
  });
}
