-- Covering (INCLUDE) indexes from the seed guide's SQL; drizzle-kit cannot express INCLUDE.
-- Not CONCURRENTLY: migrations run inside a transaction, and on first install the tables are
-- empty. On a live database, build such an index CONCURRENTLY by hand first; the IF NOT EXISTS
-- here then leaves it alone.

-- Dashboard: a student's enrollments by status, answered from the index alone. course_id is
-- included beyond the guide's list so the join to courses needs no heap visit either.
CREATE INDEX IF NOT EXISTS idx_enrollments_student_status_performance
  ON enrollments (student_id, status)
  INCLUDE (course_id, progress, last_access_at, completed_at);
--> statement-breakpoint

-- Course search filters. The guide INCLUDEs description: a text column of unbounded length in a
-- B-tree tuple fails with "index row size exceeds maximum" past ~2.7 kB and bloats the index;
-- published_at (the sort key of filter-only search) is included instead.
CREATE INDEX IF NOT EXISTS idx_courses_search_performance
  ON courses (institution_id, status, category, difficulty)
  INCLUDE (title, price, published_at);
--> statement-breakpoint

-- Analytics over a date range, from the index alone. Beyond the guide's list, the sums and
-- counts that let a range be merged exactly.
CREATE INDEX IF NOT EXISTS idx_course_analytics_date_range
  ON course_analytics (course_id, date DESC)
  INCLUDE (enrollment_count, completion_count, avg_score, avg_time_spent, lessons_completed,
           total_time_spent, score_sum, score_count);
