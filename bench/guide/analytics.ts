import type postgres from "postgres";
import type { Params } from "./prisma.ts";

/**
 * The guide's getCourseAnalytics: its $queryRaw CTE verbatim (DATE() in the server's zone,
 * BETWEEN on timestamps, FULL OUTER JOIN of two sparse CTEs), one statement with the course id
 * and two Dates bound, then a map over the rows (its processAnalyticsResults is not shown; a
 * plain conversion of each row stands in for it).
 */
const GUIDE_ANALYTICS = `
      WITH enrollment_stats AS (
        SELECT 
          DATE(enrolled_at) as date,
          COUNT(*) as daily_enrollments,
          COUNT(*) FILTER (WHERE completed_at IS NOT NULL) as daily_completions
        FROM enrollments 
        WHERE course_id = $1
          AND enrolled_at BETWEEN $2 AND $3
        GROUP BY DATE(enrolled_at)
      ),
      progress_stats AS (
        SELECT 
          DATE(completed_at) as date,
          AVG(time_spent) as avg_time_spent,
          AVG(score) as avg_score,
          COUNT(*) as lessons_completed
        FROM lesson_progress lp
        WHERE course_id = $4
          AND completed_at BETWEEN $5 AND $6
        GROUP BY DATE(completed_at)
      )
      SELECT 
        COALESCE(e.date, p.date) as date,
        COALESCE(e.daily_enrollments, 0) as enrollments,
        COALESCE(e.daily_completions, 0) as completions,
        COALESCE(p.avg_time_spent, 0) as avg_time_spent,
        COALESCE(p.avg_score, 0) as avg_score,
        COALESCE(p.lessons_completed, 0) as lessons_completed
      FROM enrollment_stats e
      FULL OUTER JOIN progress_stats p ON e.date = p.date
      ORDER BY date;
    `;

export async function guideCourseAnalytics(sql: postgres.Sql, input: { courseId: string; start: string; end: string }) {
  // The guide takes `dateRange: { start: Date; end: Date }`: midnight of each day.
  const start = new Date(input.start);
  const end = new Date(input.end);
  const rows = await sql.unsafe<Record<string, unknown>[]>(
    GUIDE_ANALYTICS,
    [input.courseId, start, end, input.courseId, start, end] as Params,
    { prepare: true },
  );
  return rows.map((r) => ({
    date: r.date,
    enrollments: Number(r.enrollments),
    completions: Number(r.completions),
    avgTimeSpent: Number(r.avg_time_spent),
    avgScore: Number(r.avg_score),
    lessonsCompleted: Number(r.lessons_completed),
  }));
}
