-- Read paths under row-level security (docs/benchmarks.md, "What the misses come from", 5 to 7).
--
-- The application reads as coursebase_app, so every scan also evaluates the tenant policy
-- `institution_id = current_institution_id()` (drizzle/0004). Three consequences, fixed here:
--
-- 1. An index that does not hold institution_id cannot answer a read alone: each entry needs a
--    heap visit to check the policy, and the index-only scans the covering indexes were built for
--    (as the owner they are) become (bitmap) heap scans. institution_id goes into their INCLUDE
--    list: the policy is then checked on the index entry, and `Heap Fetches: 0` again.
--    institution_id never changes, so this costs index size only, never a HOT update.
-- 2. `current_institution_id()` in a policy is evaluated for every row read; written as a
--    sub-select it is an InitPlan computed once per statement.
-- 3. Under a policy, only leakproof conditions may run before it, so `status = 'PUBLISHED'`
--    (enum equality is not leakproof) is never an index condition: search walked every course
--    of every tenant in published order to keep a page of one. A partial index WHERE status =
--    'PUBLISHED' led by the tenant serves it (uuid equality is leakproof, and a partial index's
--    predicate is proven from the query's conditions whatever their security level).
--
-- The indexes are rebuilt in the migration's transaction, which locks their tables against writes
-- while it runs (seconds per million rows): nothing at install, a maintenance window on a live
-- database (or build each new definition CONCURRENTLY under another name by hand, then swap).
-- Tables added later should write their policy in the sub-select form of part 2.

-- 1. Covering indexes that carry the tenant ------------------------------------------------------

-- dashboard.student: the ACTIVE enrollment list, its totals, completed courses.
DROP INDEX IF EXISTS idx_enrollments_student_status_performance;
--> statement-breakpoint
CREATE INDEX idx_enrollments_student_status_performance
  ON enrollments (student_id, status)
  INCLUDE (course_id, progress, last_access_at, completed_at, id, enrolled_at, institution_id);
--> statement-breakpoint

-- dashboard.student: the count of completed lessons (and the recent ones' range read).
DROP INDEX IF EXISTS lesson_progress_student_recent_completions_idx;
--> statement-breakpoint
CREATE INDEX lesson_progress_student_recent_completions_idx
  ON lesson_progress (student_id, completed_at DESC NULLS LAST)
  INCLUDE (institution_id)
  WHERE completed_at IS NOT NULL;
--> statement-breakpoint

-- analytics.course: lessons completed per day, from the raw rows.
DROP INDEX IF EXISTS idx_lesson_progress_course_completion;
--> statement-breakpoint
CREATE INDEX idx_lesson_progress_course_completion
  ON lesson_progress (course_id, completed_at)
  INCLUDE (time_spent, score, institution_id)
  WHERE completed_at IS NOT NULL;
--> statement-breakpoint

-- analytics.course: enrollments and completions per day, from the raw rows.
DROP INDEX IF EXISTS enrollments_course_id_enrolled_at_idx;
--> statement-breakpoint
CREATE INDEX enrollments_course_id_enrolled_at_idx
  ON enrollments (course_id, enrolled_at)
  INCLUDE (institution_id);
--> statement-breakpoint
DROP INDEX IF EXISTS enrollments_course_id_completed_at_idx;
--> statement-breakpoint
CREATE INDEX enrollments_course_id_completed_at_idx
  ON enrollments (course_id, completed_at)
  INCLUDE (institution_id)
  WHERE completed_at IS NOT NULL;
--> statement-breakpoint

-- search.courses: each result's enrollment count (status <> 'DROPPED').
DROP INDEX IF EXISTS enrollments_course_id_status_idx;
--> statement-breakpoint
CREATE INDEX enrollments_course_id_status_idx
  ON enrollments (course_id, status)
  INCLUDE (institution_id);
--> statement-breakpoint

-- analytics.course: closed days from the daily rollups.
DROP INDEX IF EXISTS idx_course_analytics_date_range;
--> statement-breakpoint
CREATE INDEX idx_course_analytics_date_range
  ON course_analytics (course_id, date DESC)
  INCLUDE (enrollment_count, completion_count, avg_score, avg_time_spent, lessons_completed,
           total_time_spent, score_sum, score_count, institution_id);
--> statement-breakpoint

-- 2. Policies: the tenant computed once per statement --------------------------------------------

-- Every tenant_isolation policy still in the per-row form of drizzle/0004 (whichever migration
-- created it), and only those: a policy someone wrote differently is left alone.
DO $$
DECLARE
  policy record;
  tenant_column text;
BEGIN
  FOR policy IN
    SELECT schemaname, tablename, qual FROM pg_policies
     WHERE policyname = 'tenant_isolation'
       AND qual IN ('(institution_id = current_institution_id())', '(id = current_institution_id())')
       AND with_check = qual
  LOOP
    tenant_column := CASE WHEN policy.qual LIKE '(id =%' THEN 'id' ELSE 'institution_id' END;
    EXECUTE format(
      'ALTER POLICY tenant_isolation ON %I.%I USING (%I = (SELECT current_institution_id())) '
      'WITH CHECK (%I = (SELECT current_institution_id()))',
      policy.schemaname, policy.tablename, tenant_column, tenant_column);
  END LOOP;
END
$$;
--> statement-breakpoint

-- 3. Search: a tenant's published courses, newest first ------------------------------------------

-- search.courses: the page of filter-only search read in its own order (published_at desc,
-- title, id), stopping after the page; and the tenant's published courses for a text query.
CREATE INDEX IF NOT EXISTS courses_institution_id_published_idx
  ON courses (institution_id, published_at DESC, title, id)
  WHERE status = 'PUBLISHED';
