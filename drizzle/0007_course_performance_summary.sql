-- analytics.summary from a materialized view (issue 4, item 2).
--
-- The SELECT is exactly `coursePerformanceSelect` (packages/db/src/queries/analytics.ts): each
-- side is aggregated per course before the join, so counts are not multiplied (the guide's view
-- joins enrollments x progress row by row). Keep the two identical; tests/api/
-- summary-materialized.test.ts compares the view with a live run of that SELECT.
-- WITH DATA: a fresh database serves the summary at once; the population is recorded below.
CREATE MATERIALIZED VIEW course_performance_summary AS
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
   where c.status = 'PUBLISHED'
WITH DATA;
--> statement-breakpoint

-- REFRESH ... CONCURRENTLY needs a unique index on plain columns covering every row: course_id
-- (one row per course). Readers keep reading the old contents while it runs.
CREATE UNIQUE INDEX course_performance_summary_course_id_key ON course_performance_summary (course_id);
--> statement-breakpoint
-- Every application read filters on the caller's institution (the tenant view below), often on
-- a category too.
CREATE INDEX course_performance_summary_institution_id_category_idx
  ON course_performance_summary (institution_id, category);
--> statement-breakpoint

-- Row-level security does not apply to materialized views, so coursebase_app gets no privilege
-- on course_performance_summary itself (a query that reaches it directly fails: permission
-- denied). The application reads it through this view, which runs with its owner's privileges
-- and behaves like the tenant_isolation policies of drizzle/0004:
-- - coursebase_app sees only the rows of the transaction's institution (current_institution_id();
--   outside a tenant transaction, none);
-- - whoever may read the materialized view itself (its owner: migrations, jobs, the data
--   generator, cross-tenant reports) sees every row, as the owner of an RLS table does. The
--   second branch's condition has no column in it, so PostgreSQL evaluates it once (a one-time
--   filter) and never scans that branch for the application.
-- security_barrier applies these filters before any caller-supplied condition, so a leaky
-- function in the caller's WHERE cannot observe other institutions' rows; leakproof comparisons
-- (uuid and enum equality) are still pushed down to the indexes. A view rather than a SECURITY
-- DEFINER function: the planner sees through it (indexes, the caller's sort and limit), and a
-- function would no longer know who called it.
CREATE VIEW tenant_course_performance_summary WITH (security_barrier = true) AS
  SELECT * FROM course_performance_summary WHERE institution_id = current_institution_id()
  UNION ALL
  SELECT * FROM course_performance_summary
   WHERE institution_id IS DISTINCT FROM current_institution_id()
     AND has_table_privilege('course_performance_summary'::regclass, 'SELECT');
--> statement-breakpoint
GRANT SELECT ON tenant_course_performance_summary TO coursebase_app;
--> statement-breakpoint

-- When each materialized view was last refreshed: one row per view, overwritten by every refresh
-- (refreshCourseSummary, packages/db/src/queries/summary-refresh.ts). Not tenant data: the
-- application reads it to report the summary's freshness.
CREATE TABLE materialized_view_refreshes (
  view_name text PRIMARY KEY,
  -- Start of the refreshing transaction: the contents reflect every commit before it.
  refreshed_at timestamptz NOT NULL,
  -- NULL when not measured (the population by this migration).
  duration_ms double precision,
  "rows" integer NOT NULL
);
--> statement-breakpoint
GRANT SELECT ON materialized_view_refreshes TO coursebase_app;
--> statement-breakpoint
INSERT INTO materialized_view_refreshes (view_name, refreshed_at, duration_ms, "rows")
SELECT 'course_performance_summary', now(), NULL, count(*)::int FROM course_performance_summary;
