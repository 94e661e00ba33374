-- Covering indexes for the hot read paths (drizzle-kit cannot express INCLUDE).

-- analytics.course: lessons completed per day with their average time and score, read from the
-- index alone. Replaces the plain partial index of 0000 (dropped in 0005).
CREATE INDEX IF NOT EXISTS idx_lesson_progress_course_completion
  ON lesson_progress (course_id, completed_at)
  INCLUDE (time_spent, score)
  WHERE completed_at IS NOT NULL;
--> statement-breakpoint

-- dashboard.student: the enrollment list (id, enrolled_at) from the index alone, without a
-- heap visit per enrollment.
DROP INDEX IF EXISTS idx_enrollments_student_status_performance;
--> statement-breakpoint
CREATE INDEX idx_enrollments_student_status_performance
  ON enrollments (student_id, status)
  INCLUDE (course_id, progress, last_access_at, completed_at, id, enrolled_at);
