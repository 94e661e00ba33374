import { sql } from "drizzle-orm";
import type { Database } from "../../client.ts";
import { slotTime } from "../lesson-shape.ts";
import { type Draw, days, lit } from "../random.ts";
import { run } from "../run.ts";
import { list } from "./plan-tables.ts";

/**
 * Assignment a (1..A) of a course sits after lesson q = ceil(lessons * a / (A + 1)). It is due
 * between 60 days before and 30 days after the end of the course's life (the anchor for a
 * published course), so some submissions are late and some assignments are still open.
 */
export async function createAssignmentPlan(db: Database, draw: Draw): Promise<void> {
  await db.execute(sql`
    create temp table _sp_assignment (
      course_n int not null, a int not null, n int8 not null, id uuid not null, q int not null,
      due_s int8, max_points numeric(7, 2) not null, primary key (course_n, a)
    ) on commit drop`);
  const n = sql`(c.n::int8 * 10 + a)`;
  await db.execute(sql`
    insert into _sp_assignment
    select c.n, a, ${n}, ${draw.id("assignment", n)}, (c.lessons * a + c.assignments) / (c.assignments + 1),
           case when c.end_s is not null
                then c.end_s - ${days(60)} + floor(${lit(90 * 86_400)} * a / (c.assignments + 1.0))::int8 end,
           (array[10, 20, 25, 50, 100])[${draw.below("assignmentPoints", n, 5)} + 1]
    from _sp_course c
    cross join lateral generate_series(1, c.assignments) as a`);
  await db.execute(sql`analyze _sp_assignment`);
}

export async function insertAssignments(db: Database): Promise<number> {
  return run(
    db,
    sql`
    insert into assignments (id, course_id, institution_id, title, instructions, due_at, max_points, settings,
                             created_at, updated_at)
    select s.id, c.id, c.inst_id,
           format('%s %s: %s', v.assignment, s.a, upper(left(kw, 1)) || substr(kw, 2)),
           format('Complete this %s on %s after finishing lesson %s of %s. Submit one PDF or a link to your work. '
                  'It is graded out of %s points; you may resubmit until the due date.',
                  lower(v.assignment), kw, s.q, c.topic, s.max_points::int),
           case when s.due_s is not null then to_timestamp(s.due_s::float8) end,
           s.max_points,
           jsonb_build_object('allowResubmission', true, 'latePenaltyPercentPerDay', 10),
           to_timestamp((c.created_s + 7200 + s.a * 60)::float8), to_timestamp((c.created_s + 7200 + s.a * 60)::float8)
    from _sp_assignment s
    join _sp_course c on c.n = s.course_n
    join _sp_vocab v on v.cat = c.cat
    cross join lateral (select v.keywords[((c.kw0 + 5 + s.a) % cardinality(v.keywords)) + 1] as kw) k`,
  );
}

/**
 * A student submits assignment a once they have completed lesson q (completed enrollments
 * always, others 90% of the time), at the time of that lesson plus up to two days, never after
 * their last activity; 20% make a second attempt, 6% a third. Late = after the due date.
 */
export async function createSubmissionPlan(db: Database, draw: Draw): Promise<void> {
  await db.execute(sql`
    create temp table _sp_submission (
      n int8 not null, id uuid not null, assignment_id uuid not null, student_id uuid not null,
      inst_id uuid not null, course_n int not null, attempt int not null,
      submitted_s int8 not null, due_s int8, max_points numeric(7, 2) not null
    ) on commit drop`);
  const base = sql`(e.en * 8 + s.a)`;
  const e = { en: sql`e.en`, e0: sql`e.e0`, wend: sql`e.wend`, touched: sql`e.touched` };
  await db.execute(sql`
    insert into _sp_submission
    select x.base * 4 + k, ${draw.id("submission", sql`x.base * 4 + k`)}, x.assignment_id, x.student_id,
           x.inst_id, x.course_n, k,
           least(x.wend, x.available + x.delay + (k - 1) * x.gap), x.due_s, x.max_points
    from (
      select ${base} as base, s.id as assignment_id, e.student_id, e.inst_id, e.course_n, e.wend,
             s.due_s, s.max_points,
             ${slotTime(draw, e, sql`s.q`)} as available,
             ${draw.below("submissionDelay", base, 2 * 86_400)} as delay,
             ${lit(86_400)} + ${draw.below("submissionGap", base, 2 * 86_400)} as gap,
             1 + (${draw.unit("submissionAttempts", base)} < 0.2)::int + (${draw.unit("submissionAttempts", base)} < 0.06)::int as attempts
      from _sp_enrollment e
      join _sp_assignment s on s.course_n = e.course_n
      where e.done >= s.q
        and (e.status = 'COMPLETED' or ${draw.unit("submissionSkip", base)} < 0.9)
      offset 0
    ) x
    cross join lateral generate_series(1, x.attempts) as k`);
  await db.execute(sql`analyze _sp_submission`);
}

export async function insertSubmissions(db: Database): Promise<number> {
  return run(
    db,
    sql`
    insert into submissions (id, assignment_id, student_id, institution_id, attempt, content, submitted_at, is_late)
    select s.id, s.assignment_id, s.student_id, s.inst_id, s.attempt,
           format('Attempt %s: answers and working attached (submission-%s.pdf).', s.attempt, s.n),
           to_timestamp(s.submitted_s::float8), s.due_s is not null and s.submitted_s > s.due_s
    from _sp_submission s`,
  );
}

/**
 * Graded by the course's instructor (60%) or a TA on the course's staff, within four days
 * (never after the anchor); most of the last three days' submissions are still waiting.
 * Points are a percentage of max_points (45..100%, better on later attempts), so 0 <= points <= max.
 */
export async function insertGrades(db: Database, draw: Draw): Promise<number> {
  const n = sql`s.n`;
  return run(
    db,
    sql`
    insert into grades (id, submission_id, grader_id, institution_id, points, feedback, graded_at)
    select ${draw.id("grade", n)}, s.id,
           case when ${draw.unit("gradeGrader", n)} < 0.6 then c.instructor_id
                when c.second_ta_id is not null and ${draw.below("gradeTa", n, 2)} = 1 then c.second_ta_id
                else c.ta_id end,
           s.inst_id,
           round(s.max_points * least(10000, 4500 + ${draw.below("gradePercent", n, 5501)} + (s.attempt - 1) * 800) / 10000, 2),
           case when ${draw.unit("gradeFeedback", n)} < 0.8
                then ${list("feedback")}[${draw.below("gradeFeedback", n, sql`cardinality(${list("feedback")})`)} + 1] end,
           to_timestamp(least(${draw.anchor}, s.submitted_s + 3600 + ${draw.below("gradeDelay", n, 4 * 86_400)})::float8)
    from _sp_submission s
    join _sp_course c on c.n = s.course_n
    where ${draw.unit("gradeSkip", n)} < (case when s.submitted_s > ${draw.anchor} - ${days(3)} then 0.4 else 0.97 end)`,
  );
}
