-- Daily rollups in course_analytics, maintained incrementally (issue 4, item 3).
-- Design and proof of correctness: docs/analytics-rollups.md. In short:
-- - every write that changes a course's figures for a local day appends a mark
--   (course, day) to course_analytics_dirty_days, in the writer's own transaction (triggers
--   below), so a mark is visible exactly when the change is;
-- - the job (refreshCourseAnalyticsRollups, packages/db/src/queries/rollups.ts) deletes the marks
--   of closed days and recomputes those (course, day) pairs from the raw rows in the same
--   statement (one snapshot: every change whose mark it consumed is in what it computed);
-- - course_analytics_state says up to which day a course is rolled up, in which time zone;
--   analytics.course reads a rollup row only for a day up to that watermark that has no mark, and
--   computes every other day from the raw rows. A job that has not run costs speed, never
--   correctness.

-- The dirty-day ledger. Append-only for writers, no unique key on purpose: a writer never waits
-- for, nor reuses, another transaction's mark (reusing a committed mark would let the job consume
-- it before the writer commits, losing the change). Duplicates are compacted by the job. No
-- foreign keys: a mark costs one heap and one index insertion on the write path, no lock on the
-- course; marks of deleted courses are swept by the job.
CREATE TABLE course_analytics_dirty_days (
  institution_id uuid NOT NULL,
  course_id uuid NOT NULL,
  -- Calendar day in the institution's time zone at the time of the write.
  day date NOT NULL,
  marked_at timestamptz NOT NULL DEFAULT now()
);
--> statement-breakpoint
CREATE INDEX course_analytics_dirty_days_course_id_day_idx ON course_analytics_dirty_days (course_id, day);
--> statement-breakpoint

-- Per course: rollups in course_analytics are complete up to rolled_through (inclusive) except
-- for days that have a mark, computed in time_zone. A course without a row (or whose
-- institution now has another zone) has no usable rollups: the job backfills it from the raw rows.
CREATE TABLE course_analytics_state (
  course_id uuid PRIMARY KEY REFERENCES courses (id) ON DELETE CASCADE,
  institution_id uuid NOT NULL REFERENCES institutions (id) ON DELETE CASCADE,
  time_zone varchar(64) NOT NULL,
  rolled_through date NOT NULL,
  refreshed_at timestamptz NOT NULL DEFAULT now()
);
--> statement-breakpoint
CREATE INDEX course_analytics_state_institution_id_idx ON course_analytics_state (institution_id);
--> statement-breakpoint

-- Tenant tables like the others (drizzle/0004): the application reads both (analytics.course) and
-- appends marks (its writes fire the triggers); only the owner (the job) deletes or updates.
ALTER TABLE course_analytics_dirty_days ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON course_analytics_dirty_days
  USING (institution_id = current_institution_id()) WITH CHECK (institution_id = current_institution_id());
--> statement-breakpoint
ALTER TABLE course_analytics_state ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON course_analytics_state
  USING (institution_id = current_institution_id()) WITH CHECK (institution_id = current_institution_id());
--> statement-breakpoint
GRANT SELECT, INSERT ON course_analytics_dirty_days TO coursebase_app;
--> statement-breakpoint
GRANT SELECT ON course_analytics_state TO coursebase_app;
--> statement-breakpoint

-- The marks. Statement-level triggers with transition tables: one INSERT of the statement's
-- distinct (course, day) pairs, whatever the number of rows (a batch of 1,000 progress updates
-- appends one mark per course and day it completed lessons on, not 1,000). A day is the
-- timestamp's calendar date in the institution's zone, as analytics.course cuts it.

-- lesson_progress: a row counts on the day of its completed_at (lessons completed, its
-- time_spent and score). Rows never completed count nowhere and mark nothing.
CREATE FUNCTION course_analytics_mark_lesson_progress() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO course_analytics_dirty_days (institution_id, course_id, day)
    SELECT DISTINCT n.institution_id, n.course_id, (n.completed_at AT TIME ZONE i.time_zone)::date
      FROM new_rows n JOIN institutions i ON i.id = n.institution_id
     WHERE n.completed_at IS NOT NULL;
  ELSIF TG_OP = 'UPDATE' THEN
    -- Both sides of a change: a completion moved to another day leaves the old day changed too.
    INSERT INTO course_analytics_dirty_days (institution_id, course_id, day)
    SELECT DISTINCT x.institution_id, x.course_id, (x.completed_at AT TIME ZONE i.time_zone)::date
      FROM (
        SELECT o.institution_id, o.course_id, o.completed_at
          FROM old_rows o JOIN new_rows n ON n.id = o.id
         WHERE o.completed_at IS NOT NULL
           AND (o.course_id, o.institution_id, o.completed_at, o.time_spent, o.score)
               IS DISTINCT FROM (n.course_id, n.institution_id, n.completed_at, n.time_spent, n.score)
        UNION ALL
        SELECT n.institution_id, n.course_id, n.completed_at
          FROM old_rows o JOIN new_rows n ON n.id = o.id
         WHERE n.completed_at IS NOT NULL
           AND (o.course_id, o.institution_id, o.completed_at, o.time_spent, o.score)
               IS DISTINCT FROM (n.course_id, n.institution_id, n.completed_at, n.time_spent, n.score)
      ) x JOIN institutions i ON i.id = x.institution_id;
  ELSE
    INSERT INTO course_analytics_dirty_days (institution_id, course_id, day)
    SELECT DISTINCT o.institution_id, o.course_id, (o.completed_at AT TIME ZONE i.time_zone)::date
      FROM old_rows o JOIN institutions i ON i.id = o.institution_id
     WHERE o.completed_at IS NOT NULL;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint

-- enrollments: a row counts on the day of its enrolled_at (enrollments) and, once completed, on
-- the day of its completed_at (completions). progress.record updates progress and last access of
-- every enrollment it touches: those updates change neither day and mark nothing.
CREATE FUNCTION course_analytics_mark_enrollments() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO course_analytics_dirty_days (institution_id, course_id, day)
    SELECT DISTINCT x.institution_id, x.course_id, (x.at AT TIME ZONE i.time_zone)::date
      FROM (
        SELECT n.institution_id, n.course_id, n.enrolled_at AS at FROM new_rows n
        UNION ALL
        SELECT n.institution_id, n.course_id, n.completed_at FROM new_rows n WHERE n.completed_at IS NOT NULL
      ) x JOIN institutions i ON i.id = x.institution_id;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO course_analytics_dirty_days (institution_id, course_id, day)
    SELECT DISTINCT x.institution_id, x.course_id, (x.at AT TIME ZONE i.time_zone)::date
      FROM (
        SELECT c.institution_id, c.course_id, c.at
          FROM old_rows o JOIN new_rows n ON n.id = o.id
         CROSS JOIN LATERAL (VALUES (o.institution_id, o.course_id, o.enrolled_at),
                                    (o.institution_id, o.course_id, o.completed_at),
                                    (n.institution_id, n.course_id, n.enrolled_at),
                                    (n.institution_id, n.course_id, n.completed_at)) AS c (institution_id, course_id, at)
         WHERE c.at IS NOT NULL
           AND (o.course_id, o.institution_id, o.enrolled_at, o.completed_at)
               IS DISTINCT FROM (n.course_id, n.institution_id, n.enrolled_at, n.completed_at)
      ) x JOIN institutions i ON i.id = x.institution_id;
  ELSE
    INSERT INTO course_analytics_dirty_days (institution_id, course_id, day)
    SELECT DISTINCT x.institution_id, x.course_id, (x.at AT TIME ZONE i.time_zone)::date
      FROM (
        SELECT o.institution_id, o.course_id, o.enrolled_at AS at FROM old_rows o
        UNION ALL
        SELECT o.institution_id, o.course_id, o.completed_at FROM old_rows o WHERE o.completed_at IS NOT NULL
      ) x JOIN institutions i ON i.id = x.institution_id;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint

-- Transition tables allow one event per trigger: three triggers per table, one function.
CREATE TRIGGER course_analytics_mark_insert AFTER INSERT ON lesson_progress
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION course_analytics_mark_lesson_progress();
--> statement-breakpoint
CREATE TRIGGER course_analytics_mark_update AFTER UPDATE ON lesson_progress
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION course_analytics_mark_lesson_progress();
--> statement-breakpoint
CREATE TRIGGER course_analytics_mark_delete AFTER DELETE ON lesson_progress
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION course_analytics_mark_lesson_progress();
--> statement-breakpoint
CREATE TRIGGER course_analytics_mark_insert AFTER INSERT ON enrollments
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION course_analytics_mark_enrollments();
--> statement-breakpoint
CREATE TRIGGER course_analytics_mark_update AFTER UPDATE ON enrollments
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION course_analytics_mark_enrollments();
--> statement-breakpoint
CREATE TRIGGER course_analytics_mark_delete AFTER DELETE ON enrollments
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION course_analytics_mark_enrollments();
--> statement-breakpoint

-- TRUNCATE has no transition table: forget every course's rollups instead (the next run
-- backfills from what is left).
CREATE FUNCTION course_analytics_forget_rollups() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM course_analytics_state;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER course_analytics_forget_on_truncate AFTER TRUNCATE ON lesson_progress
  FOR EACH STATEMENT EXECUTE FUNCTION course_analytics_forget_rollups();
--> statement-breakpoint
CREATE TRIGGER course_analytics_forget_on_truncate AFTER TRUNCATE ON enrollments
  FOR EACH STATEMENT EXECUTE FUNCTION course_analytics_forget_rollups();
