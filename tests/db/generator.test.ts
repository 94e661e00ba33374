import { type Database, queryOne, queryRows } from "@coursebase/db";
import {
  SEED_TABLES,
  SeedRefusedError,
  type SeedResult,
  type SeedStep,
  seedDatabase,
  seedId,
} from "@coursebase/db/seed/index";
import { type SQL, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase, testEngine } from "../support/database.ts";

// A tiny scale (2 institutions, ~150 students, ~13 courses, ~10k progress rows) on both engines.
const SCALE = 0.015;
const SEED = 7;
const ANCHOR = new Date("2026-03-02T00:00:00Z");
const anchor = sql`${ANCHOR.toISOString()}::timestamptz`;

async function count(db: Database, query: SQL): Promise<number> {
  const row = await queryOne<{ n: number }>(db, sql`select (${query})::int as n`);
  return row?.n ?? Number.NaN;
}

/**
 * Indexes and constraints exactly as the catalog describes them. progress_history's monthly
 * partitions are left out: the generator adds one per month of its history (their indexes are
 * the parent's, which stay in the list).
 */
async function schemaObjects(db: Database): Promise<string[]> {
  const rows = await queryRows<{ object: string }>(
    db,
    sql`
    select 'index ' || indexname || ': ' || indexdef as object from pg_indexes
     where schemaname = 'public' and tablename not like 'progress\_history\_y%'
    union all
    select 'constraint ' || conname || ' on ' || conrelid::regclass::text || ': ' || pg_get_constraintdef(oid)
           || case when convalidated then '' else ' (NOT VALIDATED)' end
    from pg_constraint where connamespace = 'public'::regnamespace
     and conrelid::regclass::text not like 'progress\_history\_y%'
    order by 1`,
  );
  return rows.map((r) => r.object);
}

/**
 * md5 of every table's rows rendered as JSON in UTC, in byte order (collation "C"): independent
 * of session time zone, collation and engine. The generated search_vector is left out: it is
 * derived from title and description, and text-search stemming may differ between versions.
 */
async function checksums(db: Database): Promise<Record<string, string>> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`set local timezone = 'UTC'`);
    const rows = await queryRows<{ name: string; checksum: string }>(
      tx as unknown as Database,
      sql.join(
        SEED_TABLES.map(
          (
            t,
          ) => sql`select ${t}::text as name, count(*) || ':' || md5(coalesce(string_agg(r.row, '|' order by r.row collate "C"), '')) as checksum
                    from (select (to_jsonb(x) - 'search_vector')::text as row from ${sql.identifier(t)} x) r`,
        ),
        sql` union all `,
      ),
    );
    return Object.fromEntries(rows.map((r) => [r.name, r.checksum]));
  });
}

describe("data generator", () => {
  let database: TestDatabase;
  let result: SeedResult;
  let objectsBefore: string[];
  const steps: SeedStep[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    objectsBefore = await schemaObjects(database.db);
    result = await seedDatabase(database, {
      scale: SCALE,
      seed: SEED,
      anchor: ANCHOR,
      onProgress: (s) => steps.push(s),
    });
  });
  afterAll(() => database?.destroy());

  describe("shape", () => {
    it("returns the row count of every table, and reports each step as it runs", async () => {
      for (const table of SEED_TABLES) {
        expect(result.rows[table], table).toBe(
          await count(database.db, sql`select count(*) from ${sql.identifier(table)}`),
        );
      }
      expect(result.rows.lesson_progress).toBeGreaterThan(5_000);
      expect(result.rows.course_analytics).toBe(0);
      const done = steps.filter((s) => s.phase === "done");
      expect(done.map((s) => s.index)).toEqual(done.map((_, i) => i + 1));
      expect(done.find((s) => s.name === "lesson_progress")?.rows).toBe(result.rows.lesson_progress);
    });

    it("derives ids from seed, kind and number: md5(seed:kind:n)", async () => {
      const first = await queryOne<{ id: string; name: string }>(
        database.db,
        sql`select id, name from institutions where id = ${seedId(SEED, "institution", 1)}`,
      );
      expect(first?.name).toBe(result.plan.institutions[0]?.name);
    });

    it("has at least two institutions, each with its own departments, people and courses of every status", async () => {
      const rows = await queryRows<Record<string, number>>(
        database.db,
        sql`
        select i.id,
          (select count(*) from departments d where d.institution_id = i.id)::int as departments,
          (select count(*) from users u where u.institution_id = i.id and u.role = 'ADMIN')::int as admins,
          (select count(*) from users u where u.institution_id = i.id and u.role = 'INSTRUCTOR')::int as instructors,
          (select count(*) from users u where u.institution_id = i.id and u.role = 'TEACHING_ASSISTANT')::int as tas,
          (select count(*) from users u where u.institution_id = i.id and u.role = 'STUDENT')::int as students,
          (select count(distinct c.status) from courses c where c.institution_id = i.id)::int as course_statuses,
          (select count(*) from enrollments e where e.institution_id = i.id)::int as enrollments
        from institutions i`,
      );
      expect(rows.length).toBeGreaterThanOrEqual(2);
      for (const row of rows) {
        expect(row.departments).toBe(8);
        expect(row.admins).toBeGreaterThanOrEqual(2);
        expect(row.instructors).toBeGreaterThanOrEqual(8);
        expect(row.tas).toBeGreaterThanOrEqual(2);
        expect(row.students).toBeGreaterThanOrEqual(10);
        expect(row.course_statuses).toBe(3);
        expect(row.enrollments).toBeGreaterThan(0);
      }
    });

    it("mixes enrollment statuses, lesson types, categories and difficulties; most courses are published", async () => {
      const distinct = (q: SQL) => count(database.db, q);
      expect(await distinct(sql`select count(distinct status) from enrollments`)).toBe(4);
      expect(await distinct(sql`select count(distinct type) from lessons`)).toBe(5);
      expect(await distinct(sql`select count(distinct category) from courses`)).toBeGreaterThanOrEqual(4);
      expect(await distinct(sql`select count(distinct difficulty) from courses`)).toBe(3);
      const published = await distinct(
        sql`select count(*) filter (where status = 'PUBLISHED') * 2 > count(*) from courses`,
      );
      expect(published).toBe(1);
      const active = await distinct(
        sql`select count(*) filter (where status = 'ACTIVE') * 2 > count(*) from enrollments`,
      );
      expect(active).toBe(1);
    });

    it("writes lesson content that fits the lesson type", async () => {
      const misfits = await count(
        database.db,
        sql`select count(*) from lessons where not case type
              when 'VIDEO' then content ? 'url' and (content->>'durationSeconds')::int = duration * 60
              when 'TEXT' then length(content->>'body') > 20
              when 'QUIZ' then jsonb_array_length(content->'questions') >= 3
                               and content->'questions'->0 ? 'prompt' and content->'questions'->0 ? 'choices'
              when 'ASSIGNMENT' then content ? 'instructions' and content ? 'maxPoints'
              when 'INTERACTIVE' then content ? 'kind' and content ? 'url'
            end`,
      );
      expect(misfits).toBe(0);
    });

    it("titles and descriptions are searchable: every course is found by its own title and topic", async () => {
      const unfound = await count(
        database.db,
        sql`select count(*) from courses
            where not search_vector @@ plainto_tsquery('english', title)
               or not search_vector @@ plainto_tsquery('english', metadata->'tags'->>0)`,
      );
      expect(unfound).toBe(0);
      const slugs = await count(database.db, sql`select count(distinct slug) = count(*) from courses`);
      expect(slugs).toBe(1);
    });

    it("spreads progress over months, with completions in the last 7 days before the anchor", async () => {
      const months = await count(
        database.db,
        sql`select count(distinct date_trunc('month', completed_at at time zone 'UTC')) from lesson_progress`,
      );
      expect(months).toBeGreaterThanOrEqual(4);
      const recent = await count(
        database.db,
        sql`select count(*) from lesson_progress where completed_at > ${anchor} - interval '7 days'`,
      );
      expect(recent).toBeGreaterThan(50);
      const late = await count(database.db, sql`select count(*) filter (where is_late) from submissions`);
      expect(late).toBeGreaterThan(0);
    });
  });

  describe("integrity", () => {
    it("ends with every index and constraint exactly as the migrations define them, all validated", async () => {
      expect(await schemaObjects(database.db)).toEqual(objectsBefore);
      expect(objectsBefore.some((o) => o.includes("NOT VALIDATED"))).toBe(false);
    });

    // Each query counts violations of one rule; the database's own foreign keys are checked above.
    const rules: Record<string, SQL> = {
      "progress rows belong to an enrollment of that student in that course": sql`
        select count(*) from lesson_progress p
        where not exists (select from enrollments e where e.student_id = p.student_id and e.course_id = p.course_id)`,
      "a progress row's lesson belongs to its course, and a lesson's module to the same course": sql`
        select (select count(*) from lesson_progress p join lessons l on l.id = p.lesson_id where l.course_id <> p.course_id)
             + (select count(*) from lessons l join modules m on m.id = l.module_id where m.course_id <> l.course_id)`,
      "enrollment progress is within 0..100": sql`select count(*) from enrollments where progress not between 0 and 100`,
      "enrollment progress = round(100 * completed lessons / lessons of the course), 0 without lessons": sql`
        with lesson_counts as (select course_id, count(*) as n from lessons group by course_id),
             completed as (select student_id, course_id, count(*) filter (where completed_at is not null) as n
                           from lesson_progress group by student_id, course_id)
        select count(*) from enrollments e
        left join lesson_counts l on l.course_id = e.course_id
        left join completed c on c.student_id = e.student_id and c.course_id = e.course_id
        where e.progress <> case when l.n is null then 0 else round(100.0 * coalesce(c.n, 0) / l.n) end`,
      "COMPLETED enrollments completed every lesson; completed_at = their last lesson completion": sql`
        with lesson_counts as (select course_id, count(*) as n from lessons group by course_id),
             completed as (select student_id, course_id, count(completed_at) as n, max(completed_at) as last
                           from lesson_progress group by student_id, course_id)
        select count(*) from enrollments e
        left join lesson_counts l on l.course_id = e.course_id
        left join completed c on c.student_id = e.student_id and c.course_id = e.course_id
        where e.status = 'COMPLETED'
          and (l.n is null or c.n is distinct from l.n or e.completed_at is distinct from c.last or e.progress <> 100)`,
      "only COMPLETED enrollments have completed_at, and only they reach 100%": sql`
        select count(*) from enrollments
        where (status = 'COMPLETED') <> (completed_at is not null) or (status <> 'COMPLETED' and progress >= 100)`,
      "last_access_at = latest progress activity (null without any)": sql`
        select count(*) from enrollments e
        where e.last_access_at is distinct from
              (select max(greatest(p.updated_at, p.completed_at)) from lesson_progress p
                where p.student_id = e.student_id and p.course_id = e.course_id)`,
      "activity happens between enrollment and the anchor, completion never after the last update": sql`
        select count(*) from lesson_progress p join enrollments e on e.student_id = p.student_id and e.course_id = p.course_id
        where p.created_at < e.enrolled_at or p.updated_at > ${anchor} or p.completed_at > p.updated_at
           or p.created_at > p.updated_at or p.time_spent <= 0`,
      "scores only on completed quizzes and assignments, within 0..100": sql`
        select count(*) from lesson_progress p join lessons l on l.id = p.lesson_id
        where (p.score is not null) <> (p.completed_at is not null and l.type in ('QUIZ', 'ASSIGNMENT'))
           or p.score not between 0 and 100`,
      "only PUBLISHED or ARCHIVED courses have enrollments, enrolled after publication": sql`
        select count(*) from enrollments e join courses c on c.id = e.course_id
        where c.status not in ('PUBLISHED', 'ARCHIVED') or e.enrolled_at < c.published_at or e.enrolled_at > ${anchor}`,
      "prerequisites: no self-reference, same institution as both courses": sql`
        select count(*) from course_prerequisites r
        join courses c on c.id = r.course_id join courses p on p.id = r.prerequisite_id
        where r.course_id = r.prerequisite_id or c.institution_id <> r.institution_id or p.institution_id <> r.institution_id`,
      "prerequisites: no cycles": sql`
        with recursive walk(origin, course_id, depth) as (
          select course_id, prerequisite_id, 1 from course_prerequisites
          union all
          select w.origin, r.prerequisite_id, w.depth + 1
          from walk w join course_prerequisites r on r.course_id = w.course_id
          where w.depth < 100 and w.course_id <> w.origin
        )
        select count(*) from walk where course_id = origin`,
      "institution_id of a row equals its parent's": sql`
        select
          (select count(*) from users u join departments d on d.id = u.department_id where d.institution_id <> u.institution_id)
        + (select count(*) from courses c join departments d on d.id = c.department_id where d.institution_id <> c.institution_id)
        + (select count(*) from courses c join users u on u.id = c.instructor_id
            where u.institution_id <> c.institution_id or u.role <> 'INSTRUCTOR')
        + (select count(*) from modules m join courses c on c.id = m.course_id where m.institution_id <> c.institution_id)
        + (select count(*) from lessons l join courses c on c.id = l.course_id where l.institution_id <> c.institution_id)
        + (select count(*) from enrollments e join courses c on c.id = e.course_id join users u on u.id = e.student_id
            where e.institution_id <> c.institution_id or e.institution_id <> u.institution_id or u.role <> 'STUDENT')
        + (select count(*) from lesson_progress p join enrollments e on e.student_id = p.student_id and e.course_id = p.course_id
            where p.institution_id <> e.institution_id)
        + (select count(*) from assignments a join courses c on c.id = a.course_id where a.institution_id <> c.institution_id)
        + (select count(*) from submissions s join assignments a on a.id = s.assignment_id join users u on u.id = s.student_id
            where s.institution_id <> a.institution_id or s.institution_id <> u.institution_id)
        + (select count(*) from grades g join submissions s on s.id = g.submission_id where g.institution_id <> s.institution_id)`,
      "submissions: by students enrolled in the course, within their activity, attempts numbered 1..n, late = after due": sql`
        select count(*) from submissions s
        join assignments a on a.id = s.assignment_id
        left join enrollments e on e.student_id = s.student_id and e.course_id = a.course_id
        where e.id is null or s.submitted_at < e.enrolled_at or s.submitted_at > e.last_access_at
           or s.is_late <> (a.due_at is not null and s.submitted_at > a.due_at)
           or (s.attempt > 1 and not exists (select from submissions o where o.assignment_id = s.assignment_id
                                               and o.student_id = s.student_id and o.attempt = s.attempt - 1))`,
      "grades: points within 0..max_points, graded after submission by the course's instructor or a TA on its staff": sql`
        select count(*) from grades g
        join submissions s on s.id = g.submission_id
        join assignments a on a.id = s.assignment_id
        join courses c on c.id = a.course_id
        join users u on u.id = g.grader_id
        where g.points not between 0 and a.max_points
           or g.graded_at < s.submitted_at or g.graded_at > ${anchor}
           or not (g.grader_id = c.instructor_id
                   or (u.role = 'TEACHING_ASSISTANT'
                       and exists (select from course_staff cs where cs.course_id = c.id and cs.user_id = g.grader_id)))`,
      "course staff: TAs and co-instructors of the course's institution, never its lead instructor": sql`
        select count(*) from course_staff cs
        join courses c on c.id = cs.course_id join users u on u.id = cs.user_id
        where u.role not in ('INSTRUCTOR', 'TEACHING_ASSISTANT') or u.institution_id <> c.institution_id
           or cs.institution_id <> c.institution_id or cs.user_id = c.instructor_id`,
      "every course has a teaching assistant on its staff": sql`
        select count(*) from courses c
        where not exists (select from course_staff cs join users u on u.id = cs.user_id
                          where cs.course_id = c.id and u.role = 'TEACHING_ASSISTANT')`,
    };

    for (const [rule, query] of Object.entries(rules)) {
      it(rule, async () => {
        expect(await count(database.db, query)).toBe(0);
      });
    }

    it("the rules above are not vacuous: the dataset has what they look at", async () => {
      const present = await queryOne<Record<string, number>>(
        database.db,
        sql`select
          (select count(*) from enrollments where status = 'COMPLETED')::int as completed,
          (select count(*) from enrollments where status = 'ACTIVE' and progress > 0)::int as active_in_progress,
          (select count(*) from enrollments where last_access_at is null)::int as never_accessed,
          (select count(*) from course_prerequisites)::int as prerequisites,
          (select count(*) from submissions where attempt > 1)::int as resubmissions,
          (select count(*) from grades g join users u on u.id = g.grader_id where u.role = 'TEACHING_ASSISTANT')::int as ta_grades`,
      );
      for (const [what, n] of Object.entries(present ?? {})) expect(n, what).toBeGreaterThan(0);
    });
  });

  describe("determinism", () => {
    let other: TestDatabase | undefined;
    afterAll(() => other?.destroy());

    it("gives identical rows (ids included) for the same seed and anchor in a fresh database", async () => {
      other = await createTestDatabase();
      await seedDatabase(other, { scale: SCALE, seed: SEED, anchor: ANCHOR });
      expect(await checksums(other.db)).toEqual(await checksums(database.db));
    });

    it("refuses a database with data, and --force replaces everything with another seed's rows", async () => {
      const target = other as TestDatabase;
      const before = await checksums(target.db);
      await expect(seedDatabase(target, { scale: SCALE, seed: SEED, anchor: ANCHOR })).rejects.toBeInstanceOf(
        SeedRefusedError,
      );
      expect(await checksums(target.db)).toEqual(before);

      const reseeded = await seedDatabase(target, { scale: SCALE, seed: "another seed", anchor: ANCHOR, force: true });
      const after = await checksums(target.db);
      for (const table of SEED_TABLES) {
        expect(after[table]?.startsWith(`${reseeded.rows[table]}:`), table).toBe(true);
        if (reseeded.rows[table] > 0) expect(after[table], table).not.toBe(before[table]);
      }
    });

    it.runIf(testEngine === "postgres")(
      "gives the same rows on PGlite as on PostgreSQL",
      async () => {
        const embedded = await createTestDatabase("pglite");
        try {
          await seedDatabase(embedded, { scale: SCALE, seed: SEED, anchor: ANCHOR });
          expect(await checksums(embedded.db)).toEqual(await checksums(database.db));
        } finally {
          await embedded.destroy();
        }
        // A whole PGlite migration and seed in one test (~45 s on a quiet machine, over 60 s under load).
      },
      180_000,
    );
  });
});
