import type { RecordProgressRequest } from "@coursebase/db/queries/progress";
import type postgres from "postgres";
import type { GuideProgressUpdate } from "./guide/progress.ts";

/**
 * The write benchmarks' working set, and how the dataset is put back afterwards.
 *
 * Writes go to a fixed pool of enrollments (ACTIVE or COMPLETED, in courses of at least 10
 * lessons), 10 lessons each, drawn at random in the course, so a batch both updates existing
 * lesson_progress rows and creates new ones, as real traffic does. Before the first write the
 * pool's enrollments and lesson_progress rows are copied into schema `bench`; afterwards they
 * are put back, the benchmark's event ids are deleted from every table with an `event_id`
 * column, and the touched tables are vacuumed. A run that died half-way leaves the copy behind:
 * the next run restores from it before anything else.
 */

export const EVENT_PREFIX = "bench:";
export const LESSONS_PER_ENROLLMENT = 10;

export interface PoolEnrollment {
  studentId: string;
  courseId: string;
  institutionId: string;
  lessonIds: string[];
}

export async function restoreIfLeftOver(sql: postgres.Sql, log: (line: string) => void): Promise<void> {
  const [left] = await sql<{ exists: boolean }[]>`select to_regclass('bench.pool') is not null as exists`;
  if (left?.exists) {
    log("restoring the dataset from a previous run's unfinished write benchmark");
    await restorePool(sql);
  }
}

export async function snapshotPool(sql: postgres.Sql, size: number): Promise<PoolEnrollment[]> {
  await sql.begin(async (tx) => {
    await tx.unsafe("create schema if not exists bench");
    await tx.unsafe(`
      create table bench.pool as
      select e.id as enrollment_id, e.student_id, e.course_id, e.institution_id,
             array(select l.id from lessons l where l.course_id = e.course_id
                    order by md5(l.id::text || e.student_id::text) limit ${LESSONS_PER_ENROLLMENT}) as lesson_ids
        from enrollments e
       where e.status in ('ACTIVE', 'COMPLETED')
         and (select count(*) from lessons l where l.course_id = e.course_id) >= ${LESSONS_PER_ENROLLMENT}
       order by md5(e.id::text)
       limit ${Number(size)}`);
    await tx.unsafe(
      "create table bench.enrollments_before as select e.* from enrollments e join bench.pool p on p.enrollment_id = e.id",
    );
    await tx.unsafe(`create table bench.lesson_progress_before as
      select lp.* from lesson_progress lp
        join bench.pool p on p.student_id = lp.student_id and p.course_id = lp.course_id`);
  });
  const rows = await sql<{ student_id: string; course_id: string; institution_id: string; lesson_ids: string[] }[]>`
    select student_id, course_id, institution_id, lesson_ids from bench.pool order by enrollment_id`;
  return rows.map((r) => ({
    studentId: r.student_id,
    courseId: r.course_id,
    institutionId: r.institution_id,
    lessonIds: r.lesson_ids,
  }));
}

export async function restorePool(sql: postgres.Sql): Promise<void> {
  await sql.begin(async (tx) => {
    await tx.unsafe(`delete from lesson_progress lp using bench.pool p
                      where lp.student_id = p.student_id and lp.course_id = p.course_id`);
    await tx.unsafe("insert into lesson_progress select * from bench.lesson_progress_before");
    const columns = await tx<{ column_name: string }[]>`
      select column_name from information_schema.columns
       where table_schema = 'public' and table_name = 'enrollments' and column_name <> 'id'
         and is_generated = 'NEVER' order by ordinal_position`;
    const list = columns.map((c) => `"${c.column_name}"`).join(", ");
    await tx.unsafe(`update enrollments e set (${list}) = (select ${columns.map((c) => `b."${c.column_name}"`).join(", ")})
                      from bench.enrollments_before b where b.id = e.id`);
    // The idempotency ledger, and any later table that keeps event ids (a progress history).
    const ledgers = await tx<{ table_name: string }[]>`
      select c.table_name from information_schema.columns c
        join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
       where c.table_schema = 'public' and c.column_name = 'event_id' and t.table_type = 'BASE TABLE'`;
    for (const { table_name } of ledgers) {
      await tx.unsafe(`delete from "${table_name}" where event_id like '${EVENT_PREFIX}%'`);
    }
    await tx.unsafe("drop schema bench cascade");
  });
  await sql.unsafe("vacuum (analyze) lesson_progress, enrollments, progress_event_keys");
}

export interface Batch {
  institutionId: string;
  request: RecordProgressRequest;
  guide: GuideProgressUpdate[];
}

/**
 * Builds batches from the pool: each batch belongs to one institution (the API is scoped by
 * tenant) and covers `size / 10` enrollments x 10 lessons (a batch of 1 is one lesson).
 * Fresh event ids every time; a third of the updates complete their lesson, half carry a score.
 */
export function createBatchSource(pool: readonly PoolEnrollment[], runId: string) {
  const byInstitution = new Map<string, PoolEnrollment[]>();
  for (const e of pool) byInstitution.set(e.institutionId, [...(byInstitution.get(e.institutionId) ?? []), e]);
  const institutions = [...byInstitution.keys()];
  const cursor = new Map<string, number>();
  let serial = 0;
  let turn = 0;

  return function next(size: number): Batch {
    const institutionId = institutions[turn++ % institutions.length] as string;
    const enrollmentsOf = byInstitution.get(institutionId) as PoolEnrollment[];
    const perEnrollment = Math.min(size, LESSONS_PER_ENROLLMENT);
    const count = Math.ceil(size / perEnrollment);
    const updates: GuideProgressUpdate[] = [];
    for (let k = 0; k < count; k++) {
      const position = cursor.get(institutionId) ?? 0;
      cursor.set(institutionId, position + 1);
      const enrollment = enrollmentsOf[position % enrollmentsOf.length] as PoolEnrollment;
      for (let j = 0; j < perEnrollment && updates.length < size; j++) {
        const n = serial++;
        updates.push({
          studentId: enrollment.studentId,
          courseId: enrollment.courseId,
          institutionId,
          lessonId: enrollment.lessonIds[(j + position) % enrollment.lessonIds.length] as string,
          timeSpent: 30 + (n % 570),
          ...(n % 2 === 0 ? { score: 50 + (n % 50) } : {}),
          ...(n % 3 === 0 ? { completedAt: new Date(Date.now() - (n % 3600) * 1000) } : {}),
        });
      }
    }
    const eventBase = serial - updates.length;
    return {
      institutionId,
      guide: updates,
      request: {
        updates: updates.map((u, i) => ({
          eventId: `${EVENT_PREFIX}${runId}:${eventBase + i}`,
          studentId: u.studentId,
          lessonId: u.lessonId,
          courseId: u.courseId,
          timeSpent: u.timeSpent,
          ...(u.score !== undefined ? { score: u.score } : {}),
          ...(u.completedAt !== undefined ? { completedAt: u.completedAt } : {}),
        })),
      },
    };
  };
}
