import { sql } from "drizzle-orm";
import type { Database } from "../../client.ts";
import { lessonDuration, lessonNumber, lessonTypeIndex } from "../lesson-shape.ts";
import type { SeedPlan } from "../plan.ts";
import { type Draw, days, lit, type Stream, weightedIndex } from "../random.ts";
import {
  CATEGORIES,
  COURSE_CLOSINGS,
  DIFFICULTY_WORDS,
  FIRST_NAMES,
  GRADE_FEEDBACK,
  LAST_NAMES,
  STAFF_TITLES,
  TITLE_PATTERNS,
} from "../vocabulary.ts";

/**
 * Temporary plan tables (dropped at commit). They hold, per institution, course, lesson and
 * enrollment, the numbers every later statement derives rows from: each decision is taken
 * once, here, and the tables that must agree (enrollments and their progress, lessons and
 * progress, submissions and grades) read the same plan.
 */

export async function createVocabularyTables(db: Database, plan: SeedPlan, draw: Draw): Promise<void> {
  await db.execute(sql`
    create temp table _sp_inst (
      n int primary key, id uuid not null, name text not null, domain text not null,
      type institution_type not null, time_zone text not null,
      student_lo int not null, students int not null, course_lo int not null, courses int not null,
      instructor_lo int not null, instructors int not null, ta_lo int not null, tas int not null,
      admin_lo int not null, admins int not null, created_s int8 not null
    ) on commit drop`);
  const institutions = plan.institutions.map((i) => ({
    n: i.n,
    name: i.name,
    domain: i.domain,
    type: i.type,
    time_zone: i.timeZone,
    student_lo: i.studentLo,
    students: i.students,
    course_lo: i.courseLo,
    courses: i.courses,
    instructor_lo: i.instructorLo,
    instructors: i.instructors,
    ta_lo: i.taLo,
    tas: i.tas,
    admin_lo: i.adminLo,
    admins: i.admins,
  }));
  await db.execute(sql`
    insert into _sp_inst
    select r.n, ${draw.id("institution", sql`r.n`)}, r.name, r.domain, r.type::institution_type, r.time_zone,
           r.student_lo, r.students, r.course_lo, r.courses, r.instructor_lo, r.instructors, r.ta_lo, r.tas,
           r.admin_lo, r.admins,
           ${draw.anchor} - (2200 + ${draw.below("institutionCreated", sql`r.n`, 1000)}) * ${days(1)}
    from jsonb_to_recordset(${JSON.stringify(institutions)}::jsonb) as r(
      n int, name text, domain text, type text, time_zone text, student_lo int, students int, course_lo int,
      courses int, instructor_lo int, instructors int, ta_lo int, tas int, admin_lo int, admins int)`);

  // Word lists by name; read with (select items from _sp_list where name = ...)[i].
  await db.execute(sql`create temp table _sp_list (name text primary key, items text[] not null) on commit drop`);
  const lists: Record<string, readonly string[]> = {
    first_names: FIRST_NAMES,
    last_names: LAST_NAMES,
    feedback: GRADE_FEEDBACK,
    staff_titles: STAFF_TITLES,
    closings: COURSE_CLOSINGS,
    difficulty_words: DIFFICULTY_WORDS,
    ...Object.fromEntries(TITLE_PATTERNS.map((patterns, d) => [`title_${d}`, patterns])),
  };
  await db.execute(sql`
    insert into _sp_list
    select l.key, array(select e.item from jsonb_array_elements_text(l.value) with ordinality as e(item, o) order by e.o)
    from jsonb_each(${JSON.stringify(lists)}::jsonb) as l`);

  await db.execute(sql`
    create temp table _sp_vocab (
      cat int primary key, category course_category not null, dept_name text not null, dept_code text not null,
      assignment text not null, topics text[] not null, keywords text[] not null, weight int not null
    ) on commit drop`);
  await db.execute(sql`
    insert into _sp_vocab
    select (c.o - 1)::int, (c.v->>'category')::course_category, c.v->'department'->>'name', c.v->'department'->>'code',
           c.v->>'assignment',
           array(select e.item from jsonb_array_elements_text(c.v->'topics') with ordinality as e(item, o) order by e.o),
           array(select e.item from jsonb_array_elements_text(c.v->'keywords') with ordinality as e(item, o) order by e.o),
           (c.v->>'weight')::int
    from jsonb_array_elements(${JSON.stringify(CATEGORIES)}::jsonb) with ordinality as c(v, o)`);
}

/** Word list `name` as a text[] (an InitPlan: evaluated once per statement). */
export function list(name: string) {
  return sql`(select items from _sp_list where name = ${name})`;
}

export async function createCoursePlan(db: Database, plan: SeedPlan, draw: Draw): Promise<void> {
  await db.execute(sql`
    create temp table _sp_course (
      n int primary key, inst int not null, local int not null, id uuid not null, inst_id uuid not null,
      cat int not null, difficulty int not null, status course_status not null,
      modules int not null, lpm int not null, last_lpm int not null, lessons int not null, assignments int not null,
      created_s int8 not null, published_s int8, end_s int8, updated_s int8 not null,
      instructor_n int not null, co_instructor_n int, ta_n int not null, second_ta_n int,
      topic text not null, kw0 int not null, cat_rank int not null, enroll_rank int,
      instructor_id uuid not null, co_instructor_id uuid, ta_id uuid not null, second_ta_id uuid
    ) on commit drop`);

  const n = sql`c.n`;
  const u = (stream: Stream, row = n) => draw.unit(stream, row);
  const categoryWeights = CATEGORIES.map((c) => c.weight);
  await db.execute(sql`
    insert into _sp_course
    select f.*, ${draw.id("instructor", sql`f.instructor_n`)},
           case when f.co_instructor_n is not null then ${draw.id("instructor", sql`f.co_instructor_n`)} end,
           ${draw.id("ta", sql`f.ta_n`)},
           case when f.second_ta_n is not null then ${draw.id("ta", sql`f.second_ta_n`)} end
    from (
    with drawn as materialized (
      select c.n, i.n as inst, c.n - i.course_lo as local, i.id as inst_id, i.instructor_lo, i.instructors / 8 as slots,
             i.ta_lo, i.tas,
             -- Taught from its own department: instructor number = category (mod 8) within the
             -- institution; slot picks one of that department's instructors.
             ${draw.below("courseInstructor", n, sql`i.instructors / 8`)} as slot,
             ${draw.below("courseTa", n, sql`i.tas`)} as ta,
             ${weightedIndex(u("courseCategory"), categoryWeights)} as cat,
             ${weightedIndex(u("courseDifficulty"), [45, 35, 20])} as difficulty,
             -- Every institution has a published course with content (something to enrol in)
             -- and an archived and a draft one, at any scale. The forced ones come last: low
             -- numbers are the popular introductory courses.
             case when c.n = i.course_lo then 'PUBLISHED'
                  when c.n = i.course_lo + i.courses - 1 then 'DRAFT'
                  when c.n = i.course_lo + i.courses - 2 then 'ARCHIVED'
                  else (array['PUBLISHED', 'DRAFT', 'ARCHIVED'])[${weightedIndex(u("courseStatus"), [80, 12, 8])} + 1]
             end::course_status as status,
             ${u("courseEmpty")} as u_empty,
             3 + ${draw.below("courseModules", n, 6)} as modules_if_any,
             3 + ${draw.below("courseLessonsPerModule", n, 6)} as lpm
      from generate_series(1, ${lit(plan.totals.courses)}) as c(n)
      join _sp_inst i on c.n >= i.course_lo and c.n < i.course_lo + i.courses
    ),
    shaped as materialized (
      select d.*,
             -- A few courses have no content yet (mostly drafts): progress 0 for their enrollments.
             case when d.local > 0 and d.u_empty < (case when d.status = 'DRAFT' then 0.35 else 0.02 end) then 0
                  else d.modules_if_any end as modules,
             1 + ${draw.below("courseLastModule", sql`d.n`, sql`d.lpm`)} as last_lpm,
             ${draw.anchor} - (case d.status when 'PUBLISHED' then 60 + ${draw.below("courseCreated", sql`d.n`, 1040)}
                                             when 'ARCHIVED' then 500 + ${draw.below("courseCreated", sql`d.n`, 600)}
                                             else 5 + ${draw.below("courseCreated", sql`d.n`, 400)} end) * ${days(1)}
               - ${draw.below("courseCreatedTime", sql`d.n`, 86_400)} as created_s
      from drawn d
    ),
    timed as materialized (
      select s.*,
             case when s.modules = 0 then 0 else (s.modules - 1) * s.lpm + s.last_lpm end as lessons,
             case s.status
               when 'PUBLISHED' then s.created_s + floor((${draw.anchor} - s.created_s) * (0.05 + 0.35 * ${u("coursePublished", sql`s.n`)}))::int8
               when 'ARCHIVED' then s.created_s + floor((${draw.anchor} - s.created_s) * (0.05 + 0.15 * ${u("coursePublished", sql`s.n`)}))::int8
             end as published_s
      from shaped s
    ),
    ended as materialized (
      select t.*,
             case t.status
               when 'PUBLISHED' then ${draw.anchor}
               when 'ARCHIVED' then t.published_s + floor((${draw.anchor} - t.published_s) * (0.5 + 0.4 * ${u("courseArchived", sql`t.n`)}))::int8
             end as end_s
      from timed t
    )
    select e.n, e.inst, e.local, ${draw.id("course", sql`e.n`)} as id, e.inst_id, e.cat, e.difficulty, e.status,
           e.modules, e.lpm, e.last_lpm, e.lessons,
           case when e.lessons = 0 then 0
                when e.status = 'DRAFT' then ${draw.below("courseAssignments", sql`e.n`, 3)}
                else 1 + ${draw.below("courseAssignments", sql`e.n`, 4)} end as assignments,
           e.created_s, e.published_s, e.end_s,
           case e.status
             when 'PUBLISHED' then e.published_s + floor((${draw.anchor} - e.published_s) * 0.5 * ${draw.unit("courseUpdated", sql`e.n`)})::int8
             when 'ARCHIVED' then e.end_s
             else e.created_s + floor((${draw.anchor} - e.created_s) * ${draw.unit("courseUpdated", sql`e.n`)})::int8
           end as updated_s,
           e.instructor_lo + e.cat + 8 * e.slot as instructor_n,
           -- Course staff: sometimes a co-instructor of the same department, one or two TAs.
           case when e.slots > 1 and ${draw.unit("courseCoInstructor", sql`e.n`)} < 0.1
                then e.instructor_lo + e.cat
                     + 8 * ((e.slot + 1 + ${draw.below("courseCoInstructorPick", sql`e.n`, sql`greatest(e.slots - 1, 1)`)}) % e.slots)
           end as co_instructor_n,
           e.ta_lo + e.ta as ta_n,
           case when ${draw.unit("courseSecondTa", sql`e.n`)} < 0.4
                then e.ta_lo + (e.ta + 1 + ${draw.below("courseSecondTaPick", sql`e.n`, sql`e.tas - 1`)}) % e.tas
           end as second_ta_n,
           v.topics[${draw.below("courseTopic", sql`e.n`, sql`cardinality(v.topics)`)} + 1] as topic,
           ${draw.below("courseKeyword", sql`e.n`, sql`cardinality(v.keywords)`)} as kw0,
           (row_number() over (partition by e.inst, e.cat order by e.n) - 1)::int as cat_rank,
           case when e.status <> 'DRAFT'
                then (row_number() over (partition by e.inst, e.status <> 'DRAFT' order by e.n) - 1)::int end as enroll_rank
    from ended e join _sp_vocab v on v.cat = e.cat
    ) f`);
  await db.execute(sql`analyze _sp_course`);
}

/** One row per lesson of every course, in course order (ord = k * lpm + j + 1). */
export async function createLessonPlan(db: Database, draw: Draw): Promise<void> {
  await db.execute(sql`
    create temp table _sp_lesson (
      course_n int not null, ord int not null, n int8 not null, id uuid not null, k int not null, j int not null,
      type_index int not null, duration int not null, primary key (course_n, ord)
    ) on commit drop`);
  await db.execute(sql`
    insert into _sp_lesson
    select t.course_n, t.k * t.lpm + t.j + 1, t.ln, ${draw.id("lesson", sql`t.ln`)}, t.k, t.j, t.type_index,
           ${lessonDuration(draw, sql`t.ln`, sql`t.type_index`)}
    from (
      select c.n as course_n, c.lpm, k, j, ${lessonNumber(sql`c.n`, sql`k`, sql`j`)} as ln,
             ${lessonTypeIndex(draw, lessonNumber(sql`c.n`, sql`k`, sql`j`))} as type_index
      from _sp_course c
      cross join lateral generate_series(0, c.modules - 1) as k
      cross join lateral generate_series(0, case when k = c.modules - 1 then c.last_lpm else c.lpm end - 1) as j
      offset 0
    ) t`);
  await db.execute(sql`analyze _sp_lesson`);
  // The same, one row per course with arrays indexed by ord: progress rows read their lesson
  // by subscript (O(1) for fixed-width elements) instead of a join per enrollment.
  await db.execute(sql`
    create temp table _sp_course_lessons (
      course_n int primary key, ids uuid[] not null, type_indexes int[] not null, durations int[] not null
    ) on commit drop`);
  await db.execute(sql`
    insert into _sp_course_lessons
    select course_n, array_agg(id order by ord), array_agg(type_index order by ord), array_agg(duration order by ord)
    from _sp_lesson group by course_n`);
  await db.execute(sql`analyze _sp_course_lessons`);
}

/**
 * Enrollments with everything their rows derive from. The rules (tested):
 * - a student enrols only in PUBLISHED or ARCHIVED courses of their own institution;
 * - `done` lessons are completed, in course order, plus `touched - done` (0 or 1) started;
 * - COMPLETED: done = all lessons (a course with lessons, at least three weeks of window);
 *   ACTIVE and SUSPENDED: done < lessons (never 100%); DROPPED: done < 80% of lessons;
 * - activity runs from e0 (enrolled_at) to wend: last_access_at = wend when anything was
 *   touched, completed_at = wend for COMPLETED (its last lesson completion), both within the
 *   course's life (archived courses end at their archive date, published ones at the anchor).
 */
export async function createEnrollmentPlan(db: Database, plan: SeedPlan, draw: Draw): Promise<void> {
  await db.execute(sql`
    create temp table _sp_enrollment (
      en int8 not null, student_n int not null, student_id uuid not null, inst int not null, inst_id uuid not null,
      course_n int not null, course_id uuid not null, status enrollment_status not null,
      lessons int not null, lpm int not null, assignments int not null, done int not null, touched int not null,
      e0 int8 not null, wend int8 not null, end_s int8 not null, grade numeric(5, 2)
    ) on commit drop`);

  const en = sql`p.en`;
  await db.execute(sql`
    insert into _sp_enrollment
    with enrollable as (
      select inst, count(*)::int as p from _sp_course where enroll_rank is not null group by inst
    ),
    students as (
      select s.n, i.n as inst, i.id as inst_id, e.p,
             least(e.p, 2 + ${draw.below("enrollmentCount", sql`s.n`, 9)}) as k
      from generate_series(1, ${lit(plan.totals.students)}) as s(n)
      join _sp_inst i on s.n >= i.student_lo and s.n < i.student_lo + i.students
      join enrollable e on e.inst = i.n
    ),
    picks as materialized (
      -- Popularity is skewed towards lower-numbered courses (the introductory ones others
      -- require); a pick repeated for the same student collapses to its first draw.
      select distinct on (x.student_n, x.rank) x.*
      from (
        select st.n as student_n, st.inst, st.inst_id, st.n::int8 * 16 + j as en,
               floor(st.p * (0.25 * u + 0.75 * u * u))::int as rank
        from students st
        cross join lateral generate_series(0, st.k - 1) as j
        cross join lateral (select ${draw.unit("enrollmentPick", sql`st.n::int8 * 16 + j`)} as u offset 0) r
      ) x
      order by x.student_n, x.rank, x.en
    ),
    started as materialized (
      select p.en, p.student_n, p.inst, p.inst_id, c.n as course_n, c.id as course_id, c.status as course_status,
             c.lessons, c.lpm, c.assignments, c.end_s,
             c.end_s - ${days(1)}
               - floor((least(c.end_s - c.published_s, ${days(540)}) - ${days(1)}) * (u_start * (0.8 + 0.2 * u_start)))::int8 as e0,
             u_status
      from picks p
      join _sp_course c on c.inst = p.inst and c.enroll_rank = p.rank
      cross join lateral (select ${draw.unit("enrollmentStart", en)} as u_start,
                                 ${draw.unit("enrollmentStatus", en)} as u_status offset 0) r
    ),
    statused as materialized (
      select s.*,
             case when raw = 'COMPLETED' and (s.lessons = 0 or s.end_s - s.e0 < ${days(21)})
                  then (case when s.course_status = 'PUBLISHED' then 'ACTIVE' else 'DROPPED' end)
                  else raw end::enrollment_status as status
      from started s
      cross join lateral (
        select case when s.course_status = 'ARCHIVED'
                    then (array['COMPLETED', 'DROPPED', 'SUSPENDED'])[${weightedIndex(sql`s.u_status`, [55, 35, 10])} + 1]
                    else (array['ACTIVE', 'COMPLETED', 'DROPPED', 'SUSPENDED'])[${weightedIndex(sql`s.u_status`, [60, 25, 10, 5])} + 1]
               end as raw offset 0) r
    ),
    counted as materialized (
      select s.*,
             case when s.lessons = 0 then 0
                  when s.status = 'COMPLETED' then s.lessons
                  when s.status = 'DROPPED' then floor(0.8 * s.lessons * ${draw.unit("enrollmentDone", sql`s.en`)} * ${draw.unit("enrollmentDone", sql`s.en`)})::int
                  else least(s.lessons - 1, floor(s.lessons * ${draw.unit("enrollmentDone", sql`s.en`)})::int)
             end as done
      from statused s
    )
    select c.en, c.student_n, ${draw.id("student", sql`c.student_n`)}, c.inst, c.inst_id, c.course_n, c.course_id, c.status,
           c.lessons, c.lpm, c.assignments,
           c.done,
           c.done + case when c.done < c.lessons
                          and ${draw.unit("enrollmentInProgress", sql`c.en`)}
                              < (case c.status when 'ACTIVE' then 0.7 when 'DROPPED' then 0.5 else 0.3 end)
                         then 1 else 0 end,
           c.e0,
           case when c.status = 'COMPLETED'
                  then c.e0 + least(c.end_s - c.e0 - 60, floor((14 + 106 * ${draw.unit("enrollmentEnd", sql`c.en`)}) * ${days(1)})::int8)
                -- Lively dashboards: many active students were at it during the last week.
                when c.status = 'ACTIVE' and ${draw.unit("enrollmentLively", sql`c.en`)} < 0.35
                  then c.end_s - floor(${draw.unit("enrollmentEnd", sql`c.en`)} * least(${days(7)}, c.end_s - c.e0 - 60))::int8
                else c.e0 + 60 + floor(${draw.unit("enrollmentEnd", sql`c.en`)} * (c.end_s - c.e0 - 60))::int8
           end,
           c.end_s,
           case when c.status = 'COMPLETED' then (6000 + ${draw.below("enrollmentGrade", sql`c.en`, 4001)})::numeric / 100 end
    from counted c`);
  await db.execute(sql`analyze _sp_enrollment`);
}
