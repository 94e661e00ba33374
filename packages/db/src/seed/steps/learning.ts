import { sql } from "drizzle-orm";
import type { Database } from "../../client.ts";
import { progressNumber, slotTime } from "../lesson-shape.ts";
import type { Draw } from "../random.ts";
import { run } from "../run.ts";

/**
 * progress = round(100 * done / lessons), half up, in integers (0 without lessons);
 * completed_at and last_access_at as the enrollment plan fixed them. Unlike the seed guide,
 * which stamps completedAt with the clock of whichever update reached 100% (and counts lessons
 * through modules on every update), completed_at here is the last lesson's completion time: the
 * same when events arrive in order, and still true for back-filled history.
 */
export async function insertEnrollments(db: Database, draw: Draw): Promise<number> {
  return run(
    db,
    sql`
    insert into enrollments (id, student_id, course_id, institution_id, status, progress, grade,
                             enrolled_at, completed_at, last_access_at)
    select ${draw.id("enrollment", sql`e.en`)}, e.student_id, e.course_id, e.inst_id, e.status,
           case when e.lessons = 0 then 0 else (200 * e.done + e.lessons) / (2 * e.lessons) end,
           e.grade, ${draw.time(sql`e.e0`)},
           case when e.status = 'COMPLETED' then ${draw.time(sql`e.wend`)} end,
           case when e.touched > 0 then ${draw.time(sql`e.wend`)} end
    from _sp_enrollment e`,
  );
}

/**
 * One row per touched lesson: the first `done` lessons of the course completed, in order, and
 * the next one started when `touched > done`. Time spent scales with the lesson's duration;
 * quizzes and assignments carry a score (skewed high: 100 minus the smaller of two draws).
 */
export async function insertLessonProgress(db: Database, draw: Draw): Promise<number> {
  const pn = sql`x.pn`;
  const e = { en: sql`e.en`, e0: sql`e.e0`, wend: sql`e.wend`, touched: sql`e.touched` };
  return run(
    db,
    sql`
    insert into lesson_progress (id, student_id, lesson_id, course_id, institution_id, time_spent, score,
                                 completed_at, attempts, metadata, created_at, updated_at)
    select ${draw.id("progress", pn)}, x.student_id, x.lesson_id, x.course_id, x.inst_id, x.time_spent,
           case when x.completed and x.type_index in (2, 3)
                then (10000 - least(${draw.below("progressScoreA", pn, 5001)}, ${draw.below("progressScoreB", pn, 5001)}))::numeric / 100
           end,
           case when x.completed then ${draw.time(sql`x.t`)} end,
           case when x.completed and x.type_index = 2
                then 1 + (${draw.unit("progressAttempts", pn)} < 0.25)::int + (${draw.unit("progressAttempts", pn)} < 0.08)::int
                else 1 end,
           '{}'::jsonb,
           ${draw.time(sql`greatest(x.e0, x.t - x.time_spent)`)}, ${draw.time(sql`x.t`)}
    from (
      select e.student_id, e.course_id, e.inst_id, e.e0, cl.ids[o.ord] as lesson_id, cl.type_indexes[o.ord] as type_index,
             o.pn, o.completed, o.t,
             floor(cl.durations[o.ord] * 60 * (case when o.completed then 0.6 + 1.2 * ${draw.unit("progressTime", sql`o.pn`)}
                                                    else 0.1 + 0.6 * ${draw.unit("progressTime", sql`o.pn`)} end))::int as time_spent
      from _sp_enrollment e
      join _sp_course_lessons cl on cl.course_n = e.course_n
      cross join lateral (
        select ord, ${progressNumber(sql`e.en`, sql`ord`)} as pn, ord <= e.done as completed, ${slotTime(draw, e, sql`ord`)} as t
        from generate_series(1, e.touched) as ord
      ) o
      where e.touched > 0
      offset 0
    ) x`,
  );
}
