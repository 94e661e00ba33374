import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../../client.ts";
import { moduleNumber } from "../lesson-shape.ts";
import { type Draw, lit } from "../random.ts";
import { run } from "../run.ts";
import { departmentId } from "./people.ts";
import { list } from "./plan-tables.ts";

/** The course's i-th syllabus keyword (its keywords are a window of its category's list). */
function keyword(i: SQL | number): SQL {
  const offset = typeof i === "number" ? lit(i) : i;
  return sql`v.keywords[((c.kw0 + ${offset}) % cardinality(v.keywords)) + 1]`;
}

function capitalized(text: SQL): SQL {
  return sql`(upper(left(${text}, 1)) || substr(${text}, 2))`;
}

export async function insertCourses(db: Database, draw: Draw): Promise<number> {
  const n = sql`c.n`;
  const title = sql`t.title`;
  return run(
    db,
    sql`
    insert into courses (id, title, description, slug, category, difficulty, status, price, estimated_hours,
                         institution_id, instructor_id, department_id, metadata, settings,
                         created_at, updated_at, published_at)
    select c.id, ${title},
           format('%s is a %s course from the %s department. You will learn %s, %s and %s, and apply %s '
                  'through hands-on exercises, quizzes and graded assignments. %s',
                  ${title}, ${list("difficulty_words")}[c.difficulty + 1], v.dept_name,
                  ${keyword(0)}, ${keyword(1)}, ${keyword(2)}, c.topic,
                  ${list("closings")}[${draw.below("courseClosing", n, sql`cardinality(${list("closings")})`)} + 1]),
           -- Unique: the course number is the last dash-separated part.
           btrim(regexp_replace(lower(${title}), '[^a-z0-9]+', '-', 'g'), '-') || '-' || c.n,
           v.category, (array['BEGINNER', 'INTERMEDIATE', 'ADVANCED'])[c.difficulty + 1]::difficulty_level, c.status,
           case when ${draw.unit("coursePriceFree", n)} < 0.25 then 0
                else 19.99 + 10 * ${draw.below("coursePrice", n, 28)} end,
           greatest(1, round(c.lessons * 22 * (1 + 0.5 * ${draw.unit("courseHours", n)}) / 60.0)::int
                       + case when c.lessons = 0 then 2 + ${draw.below("courseHours", n, 10)} else 0 end),
           c.inst_id, c.instructor_id, ${departmentId(draw, sql`c.inst`, sql`c.cat`)},
           jsonb_build_object('language', 'en', 'tags', jsonb_build_array(lower(c.topic), ${keyword(0)}, ${keyword(1)}),
                              'modules', c.modules, 'lessons', c.lessons),
           jsonb_build_object('selfPaced', true, 'certificate', c.difficulty > 0),
           ${draw.time(sql`c.created_s`)}, ${draw.time(sql`c.updated_s`)},
           case when c.published_s is not null then ${draw.time(sql`c.published_s`)} end
    from _sp_course c
    join _sp_vocab v on v.cat = c.cat
    cross join lateral (
      select format((case c.difficulty when 0 then ${list("title_0")} when 1 then ${list("title_1")} else ${list("title_2")} end)
                    [${draw.below("courseTitle", n, 5)} + 1], c.topic) as title
    ) t`,
  );
}

/** Co-instructors and teaching assistants of each course (the lead instructor is courses.instructor_id). */
export async function insertCourseStaff(db: Database, draw: Draw): Promise<number> {
  return run(
    db,
    sql`
    insert into course_staff (course_id, user_id, institution_id, created_at)
    select c.id, s.user_id, c.inst_id, ${draw.time(sql`c.created_s + 600`)}
    from _sp_course c
    cross join lateral (values (c.ta_id), (c.second_ta_id), (c.co_instructor_id)) as s(user_id)
    where s.user_id is not null`,
  );
}

/**
 * Prerequisites point from a course to an earlier-numbered course of the same institution (of
 * its own category when there is one: its intro courses): no self-reference, no cycle, no
 * cross-tenant edge. Advanced courses have them most often.
 */
export async function insertPrerequisites(db: Database, draw: Draw): Promise<number> {
  const n = sql`c.n`;
  return run(
    db,
    sql`
    insert into course_prerequisites (course_id, prerequisite_id, institution_id, created_at)
    select distinct x.id, p.id, x.inst_id, ${draw.time(sql`greatest(x.created_s, p.created_s) + 3600`)}
    from (
      select c.id, c.inst, c.inst_id, c.cat, c.created_s, c.cat_rank > 0 as same_category,
             ${draw.below("prerequisitePick", sql`c.n * 4 + k`, sql`case when c.cat_rank > 0 then c.cat_rank else c.local end`)} as pick
      from _sp_course c
      cross join lateral generate_series(0, case when ${draw.unit("prerequisiteCount", n)} < 0.3 then 1 else 0 end) as k
      where c.local > 0
        and ${draw.unit("prerequisiteWanted", n)} < (case c.difficulty when 2 then 0.7 when 1 then 0.4 else 0.05 end)
    ) x
    left join _sp_course same
      on x.same_category and same.inst = x.inst and same.cat = x.cat and same.cat_rank = x.pick
    left join _sp_course earlier
      on not x.same_category and earlier.inst = x.inst and earlier.local = x.pick
    join _sp_course p on p.n = coalesce(same.n, earlier.n)`,
  );
}

export async function insertModules(db: Database, draw: Draw): Promise<number> {
  const kw = keyword(sql`3 + k`);
  return run(
    db,
    sql`
    insert into modules (id, title, description, order_index, course_id, institution_id, settings, created_at, updated_at)
    select ${draw.id("module", moduleNumber(sql`c.n`, sql`k`))},
           format('Module %s: %s', k + 1, ${capitalized(kw)}),
           format('This module covers %s and %s, with worked examples from %s and a short quiz at the end.',
                  ${kw}, ${keyword(sql`4 + k`)}, c.topic),
           k, c.id, c.inst_id, jsonb_build_object('unlockAfterDays', 7 * k),
           ${draw.time(sql`c.created_s + (k + 1) * 3600`)}, ${draw.time(sql`c.created_s + (k + 1) * 3600`)}
    from _sp_course c
    join _sp_vocab v on v.cat = c.cat
    cross join lateral generate_series(0, c.modules - 1) as k`,
  );
}

/** Lessons from the lesson plan (which fixed their type and duration), content shaped by type. */
export async function insertLessons(db: Database, draw: Draw): Promise<number> {
  const kw = keyword(sql`3 + l.k + l.j`);
  const ln = sql`l.n`;
  return run(
    db,
    sql`
    insert into lessons (id, title, type, content, duration, order_index, module_id, course_id, institution_id,
                         settings, created_at, updated_at)
    select l.id,
           format('%s %s.%s: %s', (array['Lecture', 'Reading', 'Quiz', 'Exercise', 'Lab'])[l.type_index + 1],
                  l.k + 1, l.j + 1, ${capitalized(kw)}),
           (array['VIDEO', 'TEXT', 'QUIZ', 'ASSIGNMENT', 'INTERACTIVE'])[l.type_index + 1]::lesson_type,
           case l.type_index
             when 0 then jsonb_build_object(
               'url', 'https://media.coursebase.example/videos/' || l.id || '.mp4',
               'durationSeconds', l.duration * 60, 'captions', true)
             when 1 then jsonb_build_object(
               'body', format('%s. This reading introduces %s in %s, with worked examples and a one-page summary.',
                              ${capitalized(kw)}, ${kw}, c.topic),
               'readingMinutes', l.duration)
             when 2 then jsonb_build_object(
               'passingScore', 70,
               'questions', (select jsonb_agg(jsonb_build_object(
                                 'prompt', format('Which statement about %s is correct?', ${keyword(sql`3 + l.k + l.j + q`)}),
                                 'choices', jsonb_build_array('Option A', 'Option B', 'Option C', 'Option D'),
                                 'answer', ${draw.below("lessonVariant", sql`${ln} * 8 + q`, 4)}) order by q)
                             from generate_series(0, 2 + ${draw.below("lessonVariant", ln, 4)}) as q))
             when 3 then jsonb_build_object(
               'instructions', format('Practice %s: solve the exercises and upload your worked solutions.', ${kw}),
               'maxPoints', 10, 'submission', 'file')
             else jsonb_build_object(
               'kind', (array['notebook', 'simulation', 'code-exercise'])[${draw.below("lessonVariant", ln, 3)} + 1],
               'url', 'https://labs.coursebase.example/' || l.id,
               'steps', 3 + ${draw.below("lessonVariant", sql`${ln} + 1`, 8)})
           end,
           l.duration, l.j, ${draw.id("module", moduleNumber(sql`c.n`, sql`l.k`))}, c.id, c.inst_id, '{}'::jsonb,
           ${draw.time(sql`c.created_s + (l.k + 1) * 3600 + (l.j + 1) * 60`)},
           ${draw.time(sql`c.created_s + (l.k + 1) * 3600 + (l.j + 1) * 60`)}
    from _sp_lesson l
    join _sp_course c on c.n = l.course_n
    join _sp_vocab v on v.cat = c.cat`,
  );
}
