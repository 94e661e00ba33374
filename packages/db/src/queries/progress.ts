import { type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../client.ts";
import { queryOne, queryRows } from "../execute.ts";
import type { EnrollmentStatus } from "../schema/enums.ts";

// progress.record: batched learning-progress ingestion.
//
// The guide's updateLearningProgress sends one upsert per update, then two counts and one update
// per enrollment (about 67 statements for 50 updates), and its `increment` adds a retried
// update's time and attempts a second time. Here a batch of any size costs the same two
// statements inside one transaction (BEGIN, lock-and-validate, write, COMMIT): the whole batch
// travels as one jsonb parameter and is applied set-based by CTEs. Retries are harmless: each
// event id is recorded once in the progress_event_keys ledger, and only events that were new to
// the ledger are applied.

export const MAX_UPDATES_PER_BATCH = 1000;
/** One event describes one sitting: a day is a generous upper bound. */
export const MAX_TIME_SPENT_SECONDS = 86_400;
/** How far in the future a sender's clock may put a completion. Stored times are clamped to now. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

const completionTime = z
  .union([z.date(), z.iso.datetime({ offset: true }).transform((iso) => new Date(iso))], {
    error: "must be a date (ISO 8601 with a zone when sent as text)",
  })
  .refine((date) => !Number.isNaN(date.getTime()), "must be a valid date")
  .refine(
    (date) => date.getTime() <= Date.now() + MAX_CLOCK_SKEW_MS,
    `must not be in the future (more than ${MAX_CLOCK_SKEW_MS / 60_000} minutes of clock skew)`,
  );

export const progressUpdate = z.strictObject({
  /** Chosen by the sender; the same id sent again (a retry) is not applied again. */
  eventId: z.string().trim().min(1, "must not be empty").max(128, "must be at most 128 characters"),
  studentId: z.guid({ error: "must be a uuid" }),
  lessonId: z.guid({ error: "must be a uuid" }),
  courseId: z.guid({ error: "must be a uuid" }),
  timeSpent: z
    .number()
    .int("must be whole seconds")
    .min(0, "must not be negative")
    .max(MAX_TIME_SPENT_SECONDS, `must be at most ${MAX_TIME_SPENT_SECONDS} seconds`),
  score: z
    .number()
    .min(0, "must be between 0 and 100")
    .max(100, "must be between 0 and 100")
    .multipleOf(0.01, "must have at most 2 decimals")
    // multipleOf tolerates binary noise (0.1 + 0.2); store the intended 2-decimal value.
    .transform((score) => Math.round(score * 100) / 100)
    .optional(),
  /** When the lesson was completed; absent (or null) for an update that does not complete it. */
  completedAt: completionTime.nullish(),
});

export const recordProgressInput = z.strictObject({
  updates: z
    .array(progressUpdate)
    .min(1, "must contain at least one update")
    .max(MAX_UPDATES_PER_BATCH, `must contain at most ${MAX_UPDATES_PER_BATCH} updates`),
});

/** What callers send (dates may be ISO strings). */
export type RecordProgressRequest = z.input<typeof recordProgressInput>;
/** What recordProgress takes: the parsed input. */
export type RecordProgressInput = z.output<typeof recordProgressInput>;

export interface ProgressScope {
  /** Every update must belong to this institution (its student, course, lesson and enrollment). */
  institutionId?: string;
}

export interface EnrollmentProgress {
  studentId: string;
  courseId: string;
  progress: number;
  status: EnrollmentStatus;
  completedAt: Date | null;
  lastAccessAt: Date | null;
}

export interface RecordProgressResult {
  /** Events applied by this call. */
  applied: number;
  /** Events skipped because their event id had been recorded before (retries). */
  duplicates: number;
  /** Every enrollment the batch names, as it stands after the batch. */
  enrollments: EnrollmentProgress[];
}

export interface ProgressIssue {
  /** Position of the update in `updates`. */
  index: number;
  /** Dotted path, as zod names fields: `updates.3`. */
  path: string;
  message: string;
}

/** The batch was refused as a whole (nothing written); `issues` names every bad update. */
export class ProgressBatchRejected extends Error {
  readonly issues: ProgressIssue[];
  constructor(issues: ProgressIssue[]) {
    super(issues.map((issue) => `${issue.path}: ${issue.message}`).join("; "));
    this.name = "ProgressBatchRejected";
    this.issues = issues;
  }
}

/**
 * The batch as one relation: `i` is the update's index; completion times are clamped to now
 * (the schema allows a little clock skew, the database stores no future).
 */
function batchRelation(input: RecordProgressInput): SQL {
  const rows = input.updates.map((update, i) => ({
    i,
    event_id: update.eventId,
    student_id: update.studentId,
    lesson_id: update.lessonId,
    course_id: update.courseId,
    time_spent: update.timeSpent,
    score: update.score ?? null,
    completed_at: update.completedAt ?? null,
  }));
  return sql`
    select u.i, u.event_id, u.student_id, u.lesson_id, u.course_id, u.time_spent, u.score,
           case when u.completed_at > now() then now() else u.completed_at end as completed_at
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as u(i int, event_id text, student_id uuid, lesson_id uuid, course_id uuid,
             time_spent int, score numeric, completed_at timestamptz)`;
}

const inScope = (column: SQL, scope: ProgressScope | undefined): SQL =>
  scope?.institutionId ? sql` and ${column} = ${scope.institutionId}::uuid` : sql.empty();

/**
 * Statement 1: locks the batch's enrollments, then checks every update against them.
 *
 * Locking first, in (student_id, course_id) order, serialises concurrent batches per enrollment
 * (every lesson_progress row belongs to one enrollment), so they cannot deadlock, and statement 2,
 * which starts after the locks are held, sees every committed change to those enrollments and
 * their progress rows. FOR NO KEY UPDATE: foreign-key checks elsewhere (KEY SHARE) are not blocked.
 *
 * With a scope, rows of another institution are treated as absent, so a tenant learns nothing
 * about another tenant's ids. An id that repeats within the batch is refused rather than
 * deduplicated: two different payloads under one id would otherwise lose one silently.
 */
function lockAndValidate(input: RecordProgressInput, scope: ProgressScope | undefined): SQL {
  return sql`
    with batch as (${batchRelation(input)}),
    numbered as (
      select b.*, min(b.i) over (partition by b.event_id) as first_i from batch b
    ),
    locked as materialized (
      select e.student_id, e.course_id, e.status
        from enrollments e
       where (e.student_id, e.course_id) in (select student_id, course_id from batch)${inScope(sql`e.institution_id`, scope)}
       order by e.student_id, e.course_id
         for no key update of e
    ),
    -- Each id is looked up once (a batch of 1,000 names about 100 students and courses), by
    -- primary key. Students as a subquery per id: joined, the planner (which guesses 100 rows for
    -- any batch) prefers reading all of the institution's users, a cost that grows with it.
    students as materialized (
      select d.id
        from (select distinct student_id as id from batch) d
       where exists (select from users s where s.id = d.id${inScope(sql`s.institution_id`, scope)} offset 0)
    ),
    found_courses as materialized (
      select c.id from courses c
       where c.id in (select distinct course_id from batch)${inScope(sql`c.institution_id`, scope)}
    ),
    found_lessons as materialized (
      select l.id, l.course_id from lessons l
       where l.id in (select distinct lesson_id from batch)${inScope(sql`l.institution_id`, scope)}
    ),
    suspects as (
      -- Only the updates that fail a check go on to be described (none, in the common case).
      select b.i, b.first_i, s.id as student_id, c.id as course_id, l.id as lesson_id,
             l.course_id as lesson_course_id, e.student_id as enrolled, e.status
        from numbered b
        left join students s on s.id = b.student_id
        left join found_courses c on c.id = b.course_id
        left join found_lessons l on l.id = b.lesson_id
        left join locked e on e.student_id = b.student_id and e.course_id = b.course_id
       where s.id is null or c.id is null or l.id is null or l.course_id <> b.course_id
          or e.student_id is null or e.status in ('DROPPED', 'SUSPENDED') or b.first_i < b.i
    ),
    issues as (
      select x.i, r.n, r.reason
        from suspects x
        cross join lateral (values
          (1, case when x.student_id is null then 'student does not exist' end),
          (2, case when x.course_id is null then 'course does not exist' end),
          (3, case when x.lesson_id is null then 'lesson does not exist' end),
          (4, case when x.lesson_id is not null and x.course_id is not null and x.lesson_course_id <> x.course_id
                   then 'lesson is not in the course' end),
          (5, case when x.student_id is not null and x.course_id is not null and x.enrolled is null
                   then 'student is not enrolled in the course'
                   when x.status in ('DROPPED', 'SUSPENDED')
                   then 'enrollment is ' || x.status end),
          (6, case when x.first_i < x.i then 'eventId repeats updates.' || x.first_i end)
        ) as r(n, reason)
       where r.reason is not null
    )
    -- count(*) reads the locked rows to the end: every lock is taken, whatever the issues need.
    select (select count(*) from locked)::int as "lockedEnrollments",
           coalesce((select jsonb_agg(jsonb_build_object('index', i, 'message', reason) order by i, n) from issues),
                    '[]'::jsonb) as issues`;
}

/**
 * Statement 2: records the event ids, applies the new events and appends them to
 * progress_history, recomputes the touched enrollments, and returns every enrollment of the
 * batch. Data-modifying CTEs share one snapshot: enrollment progress is computed from the
 * touched enrollments' lesson rows as they stand (locked since statement 1) merged with the
 * batch's per-lesson aggregates exactly as the upsert merges them.
 *
 * Shaped for the planner, which estimates a jsonb_to_recordset at 100 rows and a join of it to
 * enrollments at 1: the enrollment's institution is a scalar subquery or a constant (so
 * estimates do not collapse to one row and pick nested loops over CTEs), and every
 * per-enrollment figure comes from one GROUP BY over the merged rows, with no join between CTEs
 * that could loop.
 */
function applyBatch(input: RecordProgressInput, scope: ProgressScope | undefined): SQL {
  // With a scope, statement 1 has checked that every update's enrollment belongs to it, so the
  // institution is that constant: no per-update probe of enrollments (1,000 of them per batch).
  const institution = scope?.institutionId
    ? sql`${scope.institutionId}::uuid`
    : sql`(select e.institution_id from enrollments e
             where e.student_id = b.student_id and e.course_id = b.course_id)`;
  return sql`
    with batch as (${batchRelation(input)}),
    events as (
      -- The ledger key's institution is the enrollment's. occurred_at: when it happened, as far
      -- as we know (the completion time, else the time it was recorded).
      select b.*, coalesce(b.completed_at, now()) as occurred_at, ${institution} as institution_id
        from batch b
    ),
    new_keys as (
      insert into progress_event_keys (institution_id, event_id)
      select institution_id, event_id from events order by institution_id, event_id
      on conflict do nothing
      returning institution_id, event_id
    ),
    applied as (
      -- The events that take effect now: those whose id was new to the ledger.
      select ev.* from events ev join new_keys k on k.institution_id = ev.institution_id and k.event_id = ev.event_id
    ),
    history as (
      -- Appended exactly once per applied event (a retry's events are not in applied), in the
      -- month of occurred_at (docs/progress-history.md). Not referenced below: a data-modifying
      -- CTE runs to completion all the same.
      insert into progress_history
             (institution_id, event_id, student_id, lesson_id, course_id, time_spent, score, completed_at, occurred_at)
      select institution_id, event_id, student_id, lesson_id, course_id, time_spent, score, completed_at, occurred_at
        from applied
    ),
    per_lesson as (
      -- Several events for one lesson in one batch all count: one upsert row per lesson.
      -- Score: the last scored event in batch order. Completion: the earliest.
      select student_id, lesson_id, course_id, institution_id,
             sum(time_spent)::int as time_spent,
             count(*)::int as attempts,
             (array_agg(score order by i desc) filter (where score is not null))[1] as score,
             min(completed_at) as completed_at,
             max(occurred_at) as accessed_at
        from applied
       group by student_id, lesson_id, course_id, institution_id
    ),
    upserted as (
      -- A completion is never erased, and the earliest one known wins (least() skips nulls), so
      -- the result does not depend on the order in which batches arrive.
      insert into lesson_progress as lp
             (student_id, lesson_id, course_id, institution_id, time_spent, attempts, score, completed_at)
      select student_id, lesson_id, course_id, institution_id, time_spent, attempts, score, completed_at
        from per_lesson
       order by student_id, lesson_id
      on conflict (student_id, lesson_id) do update set
             time_spent = lp.time_spent + excluded.time_spent,
             attempts = lp.attempts + excluded.attempts,
             score = coalesce(excluded.score, lp.score),
             completed_at = least(lp.completed_at, excluded.completed_at),
             updated_at = now()
      returning 1
    ),
    completed_before as (
      -- Completed lessons of the touched enrollments before this statement.
      select lp.student_id, lp.course_id, lp.lesson_id, lp.completed_at
        from lesson_progress lp
       where (lp.student_id, lp.course_id) in (select student_id, course_id from per_lesson)
         and lp.completed_at is not null
    ),
    merged as materialized (
      -- Each touched enrollment's lessons after the upsert (same least() as above).
      -- MATERIALIZED: tally's lesson count then compares lessons.course_id with a plain column of
      -- this CTE. Inlined, it would be coalesce(...), which is not leakproof: under row-level
      -- security it could not be an index condition and each enrollment scanned all of lessons.
      select coalesce(p.student_id, c.student_id) as student_id,
             coalesce(p.course_id, c.course_id) as course_id,
             least(c.completed_at, p.completed_at) as completed_at,
             p.accessed_at
        from per_lesson p
        full join completed_before c on c.student_id = p.student_id and c.lesson_id = p.lesson_id
    ),
    tally as (
      select student_id, course_id,
             count(completed_at)::int as done,
             max(completed_at) as last_completed_at,
             max(accessed_at) as accessed_at,
             (select count(*)::int from lessons l where l.course_id = m.course_id) as total
        from merged m
       group by student_id, course_id
    ),
    recomputed as (
      -- 100% only when every lesson is done (rounding alone would say 100 at 199 of 200). Only an
      -- ACTIVE enrollment becomes COMPLETED, at its last lesson's completion; none un-completes.
      update enrollments e
         set progress = case when t.total = 0 then 0
                             when t.done >= t.total then 100
                             else least(99, round(100.0 * t.done / t.total))::int end,
             last_access_at = greatest(e.last_access_at, t.accessed_at),
             status = case when e.status = 'ACTIVE' and t.total > 0 and t.done >= t.total
                           then 'COMPLETED'::enrollment_status else e.status end,
             completed_at = case when e.status = 'ACTIVE' and t.total > 0 and t.done >= t.total
                                 then coalesce(e.completed_at, t.last_completed_at) else e.completed_at end
        from tally t
       where e.student_id = t.student_id and e.course_id = t.course_id
      returning e.student_id, e.course_id, e.progress, e.status, e.completed_at, e.last_access_at
    ),
    outcome as (
      select * from recomputed
      union all
      select e.student_id, e.course_id, e.progress, e.status, e.completed_at, e.last_access_at
        from enrollments e
       where (e.student_id, e.course_id) in (select student_id, course_id from batch)
         and (e.student_id, e.course_id) not in (select student_id, course_id from recomputed)
    )
    select o.student_id as "studentId", o.course_id as "courseId", o.progress, o.status::text as status,
           (extract(epoch from o.completed_at) * 1000)::float8 as "completedAtMs",
           (extract(epoch from o.last_access_at) * 1000)::float8 as "lastAccessAtMs",
           (select count(*) from applied)::int as applied
      from outcome o
     order by o.student_id, o.course_id`;
}

interface OutcomeRow {
  studentId: string;
  courseId: string;
  progress: number;
  status: EnrollmentStatus;
  completedAtMs: number | null;
  lastAccessAtMs: number | null;
  applied: number;
}

const toDate = (ms: number | null) => (ms === null ? null : new Date(ms));

/**
 * Runs `work` in the caller's transaction when `db` already is one (the API's tenant
 * transaction): a nested db.transaction would cost a SAVEPOINT and its RELEASE, one round trip
 * each, for nothing. All or nothing still holds: statement 1 writes nothing, and a failure of
 * statement 2 aborts the caller's transaction. Otherwise opens a transaction of its own.
 */
function transactional<T>(db: Database, work: (tx: Database) => Promise<T>): Promise<T> {
  if (typeof (db as unknown as { rollback?: unknown }).rollback === "function") return work(db);
  return db.transaction((tx) => work(tx as unknown as Database));
}

/**
 * Applies a batch of progress updates in one transaction, or none of it: if any update is bad
 * (unknown id, lesson outside the course, no ACTIVE/COMPLETED enrollment, repeated event id,
 * outside the scope), throws ProgressBatchRejected naming every bad update and writes nothing.
 * Events whose id was recorded before are skipped and counted as duplicates.
 */
export async function recordProgress(
  db: Database,
  input: RecordProgressInput,
  scope?: ProgressScope,
): Promise<RecordProgressResult> {
  return transactional(db, async (tx) => {
    const check = await queryOne<{ issues: { index: number; message: string }[] }>(tx, lockAndValidate(input, scope));
    const issues = check?.issues ?? [];
    if (issues.length > 0) {
      throw new ProgressBatchRejected(
        issues.map(({ index, message }) => ({ index, path: `updates.${index}`, message })),
      );
    }
    const rows = await queryRows<OutcomeRow>(tx, applyBatch(input, scope));
    const applied = rows[0]?.applied ?? 0;
    return {
      applied,
      duplicates: input.updates.length - applied,
      enrollments: rows.map((row) => ({
        studentId: row.studentId,
        courseId: row.courseId,
        progress: row.progress,
        status: row.status,
        completedAt: toDate(row.completedAtMs),
        lastAccessAt: toDate(row.lastAccessAtMs),
      })),
    };
  });
}
