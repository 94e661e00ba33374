import { type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../client.ts";
import { queryRows } from "../execute.ts";
import { courseCategory, type difficultyLevel } from "../schema/enums.ts";
import { type Pagination, pageOffset, paginate, paginationFields } from "./pagination.ts";
import { dayBounds, dayFactsFromRawRows } from "./rollups.ts";

/**
 * Restricts a query to one institution's courses (another institution's course is "not found"),
 * and optionally to the courses one person teaches: as lead instructor or as course staff.
 */
export interface AnalyticsScope {
  institutionId?: string;
  staffUserId?: string;
}

const scopeCondition = (courseId: SQL, institutionId: SQL, scope: AnalyticsScope | undefined): SQL => {
  const conditions: SQL[] = [];
  if (scope?.institutionId) conditions.push(sql` and ${institutionId} = ${scope.institutionId}::uuid`);
  if (scope?.staffUserId) {
    conditions.push(
      sql` and ${courseId} in (select id from courses where instructor_id = ${scope.staffUserId}::uuid
                                union all
                                select course_id from course_staff where user_id = ${scope.staffUserId}::uuid)`,
    );
  }
  return sql.join(conditions);
};

// analytics.course ------------------------------------------------------------------------------

export const MAX_RANGE_DAYS = 366;
/** A literal, not a bound parameter: the planner must see the series' length (see `days`). */
const SERIES_LAST = sql.raw(String(MAX_RANGE_DAYS - 1));
const DAY_MS = 86_400_000;

const calendarDate = z.iso.date({ error: "must be a calendar date YYYY-MM-DD" });

/** `start` and `end` of a report: calendar dates, in order, at most MAX_RANGE_DAYS apart. */
export const dateRangeFields = { start: calendarDate, end: calendarDate };

export function refineDateRange({ start, end }: { start: string; end: string }, ctx: z.RefinementCtx): void {
  const from = Date.parse(start);
  const to = Date.parse(end);
  if (Number.isNaN(from) || Number.isNaN(to)) return; // the format issue is already reported
  if (to < from) {
    ctx.addIssue({ code: "custom", path: ["end"], message: `must be on or after start (${start})` });
  } else if ((to - from) / DAY_MS + 1 > MAX_RANGE_DAYS) {
    ctx.addIssue({ code: "custom", path: ["end"], message: `the range may span at most ${MAX_RANGE_DAYS} days` });
  }
}

export const courseAnalyticsInput = z
  .strictObject({ courseId: z.guid({ error: "must be a uuid" }), ...dateRangeFields })
  .superRefine(refineDateRange);

export type CourseAnalyticsInput = z.infer<typeof courseAnalyticsInput>;

/**
 * One calendar day in the institution's zone.
 * - enrollments: enrollments whose enrolled_at falls on the day (any status, dropped included).
 * - completions: enrollments whose completed_at falls on the day, whenever they enrolled. The
 *   guide counts completions among that day's *enrollments* (completed_at IS NOT NULL), which
 *   mixes cohorts: a course completed in May shows up on its January enrollment day.
 * - lessonsCompleted: lesson_progress rows whose completed_at falls on the day.
 * - avgTimeSpent: seconds per lesson completed that day (a lesson's time_spent is its cumulative
 *   time, counted on its completion day); 0 when none.
 * - avgScore: mean score of that day's completed lessons that have a score; null when none
 *   (0 would read as "everyone failed").
 */
export interface CourseAnalyticsDay {
  date: string;
  enrollments: number;
  completions: number;
  avgTimeSpent: number;
  avgScore: number | null;
  lessonsCompleted: number;
}

export interface CourseAnalytics {
  courseId: string;
  timeZone: string;
  start: string;
  end: string;
  series: CourseAnalyticsDay[];
  /** Over the whole range, from sums and counts (not an average of daily averages). */
  totals: Omit<CourseAnalyticsDay, "date">;
}

/**
 * Per-day sums and counts for the course over the range, all from the raw rows (needs the
 * one-row `zone` relation: time_zone). Several rows may share a day; the caller sums them.
 * What getCourseAnalyticsFromRawRows reads, and the definition the rollups must reproduce.
 *
 * Each side is grouped on its own and then unioned, never joined row to row (which would
 * multiply counts). A row's day is its timestamp's calendar date in the institution's zone; the
 * guide's DATE(ts) uses the server's zone, and its BETWEEN on timestamps keeps only the first
 * instant of the last day.
 *
 * Index access is a sargable range on the raw timestamp, [start - 1 day, end + 2 days) in UTC:
 * a superset of the local days in any zone (offsets span -12 h to +14 h), then the exact
 * local-day test drops the few extra rows. The range is made of constants so the planner sees
 * its true width; bounds derived from the institution's row are unknown at plan time (a third
 * of the table per inequality) and skew the plan.
 */
const rawDailyFacts = ({ courseId, start, end }: CourseAnalyticsInput): SQL => {
  const inRange = (timestamp: SQL) => sql`
        ${timestamp} >= (${start}::date - 1)::timestamp at time zone 'UTC'
    and ${timestamp} < (${end}::date + 2)::timestamp at time zone 'UTC'
    and (${timestamp} at time zone z.time_zone)::date between ${start}::date and ${end}::date`;
  return sql`
  select (e.enrolled_at at time zone z.time_zone)::date as day,
         count(*) as enrollments, 0 as completions,
         0 as lessons_completed, 0 as time_spent_sum, null::numeric as score_sum, 0 as score_count
    from zone z
    join enrollments e on e.course_id = ${courseId}::uuid and ${inRange(sql`e.enrolled_at`)}
   group by 1
  union all
  select (e.completed_at at time zone z.time_zone)::date, 0, count(*), 0, 0, null, 0
    from zone z
    join enrollments e on e.course_id = ${courseId}::uuid and ${inRange(sql`e.completed_at`)}
   group by 1
  union all
  select (lp.completed_at at time zone z.time_zone)::date, 0, 0,
         count(*), sum(lp.time_spent), sum(lp.score), count(lp.score)
    from zone z
    join lesson_progress lp on lp.course_id = ${courseId}::uuid and ${inRange(sql`lp.completed_at`)}
   group by 1`;
};

/**
 * The same facts from the daily rollups where they are known to be exact, and from the raw rows
 * for every other day (drizzle/0012, docs/analytics-rollups.md). A day is read from
 * course_analytics when it is at or before the course's watermark (rolled_through, in the
 * institution's current zone) and carries no dirty mark; a missing rollup row then means an
 * idle day. Every other day (today, days the job has not reached, days changed since it ran) is
 * computed from the raw rows, one day at a time on the (course_id, timestamp) indexes: usually
 * just today. So a job that has not run makes the query slower, never wrong.
 *
 * Needs `zone` (time_zone, rolled_through), `marked` (days with a mark) and `days` (day, its
 * bounds lo and hi, live) from courseAnalyticsFrom.
 */
const rollupDailyFacts = ({ courseId, start, end }: CourseAnalyticsInput): SQL => sql`
  select a.date as day, a.enrollment_count as enrollments, a.completion_count as completions,
         a.lessons_completed, a.total_time_spent as time_spent_sum, a.score_sum, a.score_count
    from zone z
    join course_analytics a on a.course_id = ${courseId}::uuid
     and a.date between ${start}::date and ${end}::date
     and a.date <= z.rolled_through
   where a.date not in (select day from marked)
  union all
  select d.day, f.enrollments, f.completions, f.lessons_completed, f.time_spent_sum, f.score_sum, f.score_count
    from days d
   cross join lateral (${dayFactsFromRawRows(sql`${courseId}::uuid`, sql`d.day`, sql`d.time_zone`, sql`d.lo`, sql`d.hi`)}) f
   where d.live = 1`;

interface CourseAnalyticsRow {
  time_zone: string;
  date: string;
  enrollments: number;
  completions: number;
  lessons_completed: number;
  avg_time_spent: number;
  avg_score: number | null;
  total_enrollments: number;
  total_completions: number;
  total_lessons_completed: number;
  total_avg_time_spent: number;
  total_avg_score: number | null;
}

type FactsSource = "rollups" | "raw";

/**
 * The guide's daily series done right, in one statement: every day from start to end (a
 * generate_series; the guide's FULL JOIN of two sparse CTEs drops idle days), left-joined to the
 * day's facts, with range totals computed from the summed facts by window aggregates.
 * Returns null when the course does not exist (or is outside the scope).
 */
async function courseAnalyticsFrom(
  source: FactsSource,
  db: Database,
  input: CourseAnalyticsInput,
  scope: AnalyticsScope | undefined,
): Promise<CourseAnalytics | null> {
  const { courseId, start, end } = input;
  const bounds = dayBounds(sql`d.day`, sql`z.time_zone`);
  const rows = await queryRows<CourseAnalyticsRow>(
    db,
    sql`
      with zone as materialized (
        select i.time_zone, s.rolled_through
          from courses c
          join institutions i on i.id = c.institution_id
          left join course_analytics_state s on s.course_id = c.id and s.time_zone = i.time_zone
         where c.id = ${courseId}::uuid${scopeCondition(sql`c.id`, sql`c.institution_id`, scope)}
      ),
      marked as materialized (
        select distinct m.day from course_analytics_dirty_days m
         where m.course_id = ${courseId}::uuid and m.day between ${start}::date and ${end}::date
      ),
      -- Planned once: postgres.js prepares the statement, and PostgreSQL keeps its generic plan
      -- only if it costs about what the custom plans do; otherwise every call is planned again
      -- (~1.5 ms, as long as the query itself). Hence a series of constant length cut by the
      -- range (generate_series(0, end - start) is 1,000 days to a generic plan), and live days
      -- flagged by an integer (live = 1 is estimated at a few rows, the usual today only;
      -- a boolean filter is estimated at half the days, whose cost then depends on the course).
      days as materialized (
        select z.time_zone, d.day, ${bounds.lo} as lo, ${bounds.hi} as hi,
               case when d.day <= z.rolled_through and d.day not in (select day from marked) then 0 else 1 end as live
          from zone z, generate_series(0, ${SERIES_LAST}) as n,
               lateral (select ${start}::date + n as day) d
         where n <= ${end}::date - ${start}::date
      ),
      facts as (${source === "raw" ? rawDailyFacts(input) : rollupDailyFacts(input)}),
      daily as (
        select d.time_zone, d.day,
               coalesce(sum(f.enrollments), 0) as enrollments,
               coalesce(sum(f.completions), 0) as completions,
               coalesce(sum(f.lessons_completed), 0) as lessons_completed,
               coalesce(sum(f.time_spent_sum), 0) as time_spent_sum,
               sum(f.score_sum) as score_sum,
               coalesce(sum(f.score_count), 0) as score_count
          from days d
          left join facts f on f.day = d.day
         group by d.time_zone, d.day
      )
      select time_zone,
             to_char(day, 'YYYY-MM-DD') as date,
             enrollments::int,
             completions::int,
             lessons_completed::int,
             coalesce(round(time_spent_sum / nullif(lessons_completed, 0), 2), 0)::float8 as avg_time_spent,
             round(score_sum / nullif(score_count, 0), 2)::float8 as avg_score,
             (sum(enrollments) over ())::int as total_enrollments,
             (sum(completions) over ())::int as total_completions,
             (sum(lessons_completed) over ())::int as total_lessons_completed,
             coalesce(round(sum(time_spent_sum) over () / nullif(sum(lessons_completed) over (), 0), 2), 0)::float8
               as total_avg_time_spent,
             round(sum(score_sum) over () / nullif(sum(score_count) over (), 0), 2)::float8 as total_avg_score
        from daily
       order by day`,
  );
  const first = rows[0];
  if (!first) return null; // no zone row: unknown course (a known one always has >= 1 day)
  return {
    courseId,
    timeZone: first.time_zone,
    start,
    end,
    series: rows.map((row) => ({
      date: row.date,
      enrollments: row.enrollments,
      completions: row.completions,
      avgTimeSpent: row.avg_time_spent,
      avgScore: row.avg_score,
      lessonsCompleted: row.lessons_completed,
    })),
    totals: {
      enrollments: first.total_enrollments,
      completions: first.total_completions,
      avgTimeSpent: first.total_avg_time_spent,
      avgScore: first.total_avg_score,
      lessonsCompleted: first.total_lessons_completed,
    },
  };
}

/** analytics.course: closed days from the daily rollups where exact, every other day live. */
export function getCourseAnalytics(
  db: Database,
  input: CourseAnalyticsInput,
  scope?: AnalyticsScope,
): Promise<CourseAnalytics | null> {
  return courseAnalyticsFrom("rollups", db, input, scope);
}

/**
 * The same answer computed from the raw rows alone, ignoring the rollups: the reference the
 * rollups are tested against (tests/db/analytics-rollups.test.ts), and a fallback for checks.
 */
export function getCourseAnalyticsFromRawRows(
  db: Database,
  input: CourseAnalyticsInput,
  scope?: AnalyticsScope,
): Promise<CourseAnalytics | null> {
  return courseAnalyticsFrom("raw", db, input, scope);
}

// analytics.summary -----------------------------------------------------------------------------

/**
 * The course performance summary: one row per PUBLISHED course. Parameter-free on purpose: the
 * materialized view course_performance_summary is this very SELECT (drizzle/0007; keep the two
 * identical: tests/api/summary-materialized.test.ts compares them).
 *
 * The guide's view LEFT JOINs enrollments and lesson_progress in one pass, so each course yields
 * enrollments x progress rows and every count and sum is multiplied by the other side's row count
 * (2 enrollments and 7 progress rows report 14 enrollments). Here each side is grouped per
 * course on its own, and the one-row-per-course results are joined. Also: the guide's
 * SUM(time_spent) / 3600 is integer division (59 minutes read as 0 hours).
 *
 * avg_progress is over all enrollments (any status), null without enrollments; avg_score over
 * scored progress rows, null without any; total_hours_spent counts time on unfinished lessons too.
 */
export const coursePerformanceSelect = sql`
  select c.id as course_id,
         c.institution_id,
         c.title,
         c.category,
         c.difficulty,
         coalesce(e.total_enrollments, 0) as total_enrollments,
         coalesce(e.completions, 0) as completions,
         e.avg_progress,
         p.avg_score,
         coalesce(p.total_hours_spent, 0) as total_hours_spent
    from courses c
    left join (
      select course_id,
             count(*) as total_enrollments,
             count(*) filter (where completed_at is not null) as completions,
             round(avg(progress), 2) as avg_progress
        from enrollments
       group by course_id
    ) e on e.course_id = c.id
    left join (
      select course_id,
             round(avg(score), 2) as avg_score,
             round(sum(time_spent) / 3600.0, 2) as total_hours_spent
        from lesson_progress
       group by course_id
    ) p on p.course_id = c.id
   where c.status = 'PUBLISHED'`;

/**
 * Where summary rows come from and how fresh they are: the materialized view built from
 * coursePerformanceSelect (drizzle/0007), read through tenant_course_performance_summary, and
 * its last recorded refresh (packages/db/src/queries/summary-refresh.ts). The view is the only
 * path the application role may take: it shows coursebase_app its own institution's rows only
 * (row-level security does not cover materialized views) and the owner every row. Figures lag
 * the tables by up to one refresh interval; `refreshedAt` says by how much.
 */
const summarySource = {
  kind: "materialized" as const,
  rows: sql`tenant_course_performance_summary`,
  refreshedAt: sql`(select refreshed_at from materialized_view_refreshes where view_name = 'course_performance_summary')`,
};

export const summarySortKeys = [
  "enrollments",
  "completions",
  "avgProgress",
  "avgScore",
  "hoursSpent",
  "title",
] as const;
export type SummarySort = (typeof summarySortKeys)[number];

// Fixed fragments, chosen by a validated key: no caller text ever reaches the SQL.
const sortColumn: Record<SummarySort, SQL> = {
  enrollments: sql`total_enrollments`,
  completions: sql`completions`,
  avgProgress: sql`avg_progress`,
  avgScore: sql`avg_score`,
  hoursSpent: sql`total_hours_spent`,
  title: sql`title`,
};

export const courseSummaryInput = z.strictObject({
  /** One course's row (the admin app's course page); absent: every course in scope. */
  courseId: z.guid({ error: "must be a uuid" }).optional(),
  category: z.enum(courseCategory.enumValues).optional(),
  sort: z.enum(summarySortKeys).default("enrollments"),
  /** Default: descending for figures (best first), ascending for title. */
  order: z.enum(["asc", "desc"]).optional(),
  ...paginationFields,
});

export type CourseSummaryInput = z.input<typeof courseSummaryInput>;

export interface CourseSummaryRow {
  courseId: string;
  title: string;
  category: (typeof courseCategory.enumValues)[number];
  difficulty: (typeof difficultyLevel.enumValues)[number];
  totalEnrollments: number;
  completions: number;
  avgProgress: number | null;
  avgScore: number | null;
  totalHoursSpent: number;
}

export interface CourseSummary {
  courses: CourseSummaryRow[];
  pagination: Pagination;
  refreshedAt: Date;
  source: typeof summarySource.kind;
}

interface SummaryQueryRow {
  total: number;
  refreshed_at_ms: number;
  course_id: string | null;
  title: string;
  category: CourseSummaryRow["category"];
  difficulty: CourseSummaryRow["difficulty"];
  total_enrollments: number;
  completions: number;
  avg_progress: number | null;
  avg_score: number | null;
  total_hours_spent: number;
}

/**
 * One page of the summary, its total and its freshness in one statement. The count is joined to
 * the page (not a window over it) so that a page past the end still reports the total.
 */
export async function getCourseSummary(
  db: Database,
  rawInput: CourseSummaryInput,
  scope?: AnalyticsScope,
): Promise<CourseSummary> {
  const input = courseSummaryInput.parse(rawInput);
  const direction = (input.order ?? (input.sort === "title" ? "asc" : "desc")) === "asc" ? sql`asc` : sql`desc`;
  const ordering = sql`${sortColumn[input.sort]} ${direction} nulls last, title, course_id`;
  const category = input.category ? sql` and s.category = ${input.category}::course_category` : sql.empty();
  const course = input.courseId ? sql` and s.course_id = ${input.courseId}::uuid` : sql.empty();

  const rows = await queryRows<SummaryQueryRow>(
    db,
    sql`
      with filtered as materialized (
        select s.* from ${summarySource.rows} as s
         where true${course}${category}${scopeCondition(sql`s.course_id`, sql`s.institution_id`, scope)}
      )
      select t.total, t.refreshed_at_ms, p.*
        from (
          select count(*)::int as total,
                 (extract(epoch from ${summarySource.refreshedAt}) * 1000)::float8 as refreshed_at_ms
            from filtered
        ) t
        left join (
          select course_id, title, category, difficulty,
                 total_enrollments::int, completions::int, avg_progress::float8, avg_score::float8,
                 total_hours_spent::float8
            from filtered
           order by ${ordering}
           limit ${input.limit} offset ${pageOffset(input)}
        ) p on true
       order by ${ordering}`,
  );

  const head = rows[0];
  return {
    courses: rows.flatMap((row) =>
      row.course_id === null
        ? []
        : [
            {
              courseId: row.course_id,
              title: row.title,
              category: row.category,
              difficulty: row.difficulty,
              totalEnrollments: row.total_enrollments,
              completions: row.completions,
              avgProgress: row.avg_progress,
              avgScore: row.avg_score,
              totalHoursSpent: row.total_hours_spent,
            },
          ],
    ),
    pagination: paginate(input, head?.total ?? 0),
    refreshedAt: new Date(head?.refreshed_at_ms ?? Date.now()),
    source: summarySource.kind,
  };
}
