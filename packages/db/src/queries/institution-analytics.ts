import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../client.ts";
import { queryOne } from "../execute.ts";
import { dateRangeFields, refineDateRange } from "./analytics.ts";

// analytics.institution: the admin app's overview of one institution ------------------------------

export const institutionAnalyticsInput = z.strictObject(dateRangeFields).superRefine(refineDateRange);

export type InstitutionAnalyticsInput = z.infer<typeof institutionAnalyticsInput>;

/**
 * One calendar day in the institution's zone (as analytics.course):
 * - enrollments / completions: enrollments whose enrolled_at / completed_at falls on the day.
 * - lessonsCompleted: progress events of the day that completed a lesson (progress_history).
 * - activeStudents: distinct students with at least one progress event that day.
 * - hoursLearned: time spent in that day's progress events, in hours.
 */
export interface InstitutionAnalyticsDay {
  date: string;
  enrollments: number;
  completions: number;
  lessonsCompleted: number;
  activeStudents: number;
  hoursLearned: number;
}

export interface InstitutionAnalytics {
  timeZone: string;
  start: string;
  end: string;
  /** Key figures: "now" ones are as of the call, the rest over [start, end]. */
  figures: {
    /** Distinct students with a progress event in the 7 days before now. */
    activeStudents: number;
    /** Time spent in the 7 days before now, in hours. */
    hoursLearnedThisWeek: number;
    /** ACTIVE enrollments now. */
    activeEnrollments: number;
    /** Course completions over the range. */
    completions: number;
    /** PUBLISHED courses now. */
    publishedCourses: number;
  };
  series: InstitutionAnalyticsDay[];
  /** Over the whole range; activeStudents counts each student once. */
  totals: Omit<InstitutionAnalyticsDay, "date">;
}

interface Row {
  time_zone: string;
  series: Array<{
    date: string;
    enrollments: number;
    completions: number;
    lessons_completed: number;
    active_students: number;
    hours_learned: number;
  }>;
  range_students: number;
  week_students: number;
  week_hours: number;
  active_enrollments: number;
  published_courses: number;
}

/**
 * One statement, one round trip. Each source is grouped by day on its own, then joined to the
 * calendar (never row to row, which would multiply counts). Timestamps are read as a sargable UTC
 * range one day wider than the local days on each side (zones span -12 h to +14 h), then the exact
 * local-day test drops the extra rows. The bounds are made of parameters only: under row-level
 * security a condition that applies a non-leakproof function (`at time zone`) to a column cannot
 * be an index condition, and these apply none to one. Indexes: drizzle/0015 (all tenant-led).
 * Returns null when the institution does not exist (or is not the caller's, under RLS).
 */
export async function getInstitutionAnalytics(
  db: Database,
  institutionId: string,
  input: InstitutionAnalyticsInput,
  now: Date = new Date(),
): Promise<InstitutionAnalytics | null> {
  const { start, end } = input;
  const from = sql`(${start}::date - 1)::timestamp at time zone 'UTC'`;
  const to = sql`(${end}::date + 2)::timestamp at time zone 'UTC'`;
  const weekStart = new Date(now.getTime() - 7 * 86_400_000);
  const row = await queryOne<Row>(
    db,
    sql`
    with zone as (
      select time_zone from institutions where id = ${institutionId}::uuid
    ),
    days as (
      select ${start}::date + n as day from generate_series(0, ${end}::date - ${start}::date) as n
    ),
    enrolled as (
      select (e.enrolled_at at time zone z.time_zone)::date as day, count(*)::int as n
        from zone z
        join enrollments e on e.institution_id = ${institutionId}::uuid
                          and e.enrolled_at >= ${from} and e.enrolled_at < ${to}
       group by 1
    ),
    completed as (
      select (e.completed_at at time zone z.time_zone)::date as day, count(*)::int as n
        from zone z
        join enrollments e on e.institution_id = ${institutionId}::uuid
                          and e.completed_at >= ${from} and e.completed_at < ${to}
       group by 1
    ),
    events as (
      select (h.occurred_at at time zone z.time_zone)::date as day, h.student_id, h.time_spent, h.completed_at
        from zone z
        join progress_history h on h.institution_id = ${institutionId}::uuid
                               and h.occurred_at >= ${from} and h.occurred_at < ${to}
    ),
    activity as (
      select day,
             count(*) filter (where completed_at is not null)::int as lessons_completed,
             count(distinct student_id)::int as active_students,
             sum(time_spent)::float8 / 3600 as hours_learned
        from events
       where day between ${start}::date and ${end}::date
       group by day
    ),
    week as (
      select count(distinct h.student_id)::int as students, coalesce(sum(h.time_spent), 0)::float8 / 3600 as hours
        from progress_history h
       where h.institution_id = ${institutionId}::uuid
         and h.occurred_at > ${weekStart}::timestamptz and h.occurred_at <= ${now}::timestamptz
    )
    select z.time_zone,
           coalesce((
             select json_agg(json_build_object(
                      'date', to_char(d.day, 'YYYY-MM-DD'),
                      'enrollments', coalesce(en.n, 0),
                      'completions', coalesce(co.n, 0),
                      'lessons_completed', coalesce(a.lessons_completed, 0),
                      'active_students', coalesce(a.active_students, 0),
                      'hours_learned', coalesce(a.hours_learned, 0)) order by d.day)
               from days d
               left join enrolled en on en.day = d.day
               left join completed co on co.day = d.day
               left join activity a on a.day = d.day
           ), '[]'::json) as series,
           (select count(distinct student_id)::int from events
             where day between ${start}::date and ${end}::date) as range_students,
           w.students as week_students,
           w.hours as week_hours,
           (select count(*)::int from enrollments e
             where e.institution_id = ${institutionId}::uuid and e.status = 'ACTIVE') as active_enrollments,
           (select count(*)::int from courses c
             where c.institution_id = ${institutionId}::uuid and c.status = 'PUBLISHED') as published_courses
      from zone z, week w`,
  );
  if (!row) return null;

  const series = row.series.map((day) => ({
    date: day.date,
    enrollments: day.enrollments,
    completions: day.completions,
    lessonsCompleted: day.lessons_completed,
    activeStudents: day.active_students,
    hoursLearned: roundHours(day.hours_learned),
  }));
  const sum = (pick: (day: InstitutionAnalyticsDay) => number) => series.reduce((total, day) => total + pick(day), 0);
  const completions = sum((day) => day.completions);
  return {
    timeZone: row.time_zone,
    start,
    end,
    figures: {
      activeStudents: row.week_students,
      hoursLearnedThisWeek: roundHours(row.week_hours),
      activeEnrollments: row.active_enrollments,
      completions,
      publishedCourses: row.published_courses,
    },
    series,
    totals: {
      enrollments: sum((day) => day.enrollments),
      completions,
      lessonsCompleted: sum((day) => day.lessonsCompleted),
      activeStudents: row.range_students,
      hoursLearned: roundHours(row.series.reduce((total, day) => total + Number(day.hours_learned), 0)),
    },
  };
}

/** Hours to two decimals: a figure for people, not an accounting of seconds. */
const roundHours = (hours: number): number => Math.round(Number(hours) * 100) / 100;
