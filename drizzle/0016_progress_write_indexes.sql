-- progress.record updates lesson_progress in place on every event (time_spent, score, attempts).
-- PostgreSQL 15 makes an update HOT (no index writes, room kept by fillfactor 90 in 0008) only
-- when no indexed column changes, INCLUDE columns included. Pages dirtied by the upsert of a
-- batch of 1,000 on a scale-1 copy: 3,148 with time_spent and score in
-- idx_lesson_progress_course_completion (no update HOT), 1,898 with INCLUDE (institution_id) only,
-- 1,391 without lesson_progress_completed_at_idx too (docs/indexes.md, "Progress history").
-- What the INCLUDE served is served elsewhere now: analytics.course reads closed days from the
-- course_analytics rollups (0012) and only today's (and not yet rolled) rows from lesson_progress.
-- The guide's @@index([completedAt]) is dropped: no query reads lesson_progress by time across
-- courses; time ranges across courses read progress_history (0008, 0015).
DROP INDEX "lesson_progress_completed_at_idx";--> statement-breakpoint
DROP INDEX IF EXISTS idx_lesson_progress_course_completion;--> statement-breakpoint
CREATE INDEX idx_lesson_progress_course_completion
  ON lesson_progress (course_id, completed_at)
  INCLUDE (institution_id)
  WHERE completed_at IS NOT NULL;
