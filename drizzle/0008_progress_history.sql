-- Progress history: every applied progress event, append-only, partitioned by month (issue 4).
-- lesson_progress stays the current state (one row per student and lesson); this table keeps
-- what happened and when. Written by hand: drizzle-kit cannot express PARTITION BY. The table is
-- declared for typed queries in packages/db/src/partitioned/progress-history.ts, outside
-- drizzle.config.ts's schema, so `drizzle-kit generate` neither creates nor drops it.
-- Design, upkeep and retention: docs/progress-history.md.
--
-- Key: a unique key of a partitioned table must contain the partition key, so (institution_id,
-- event_id) alone cannot be enforced here. It does not need to be: an event reaches this table
-- only from progress.record's `applied` CTE, i.e. only when its (institution_id, event_id) was
-- new to the progress_event_keys ledger in the same statement; the ledger is the global
-- uniqueness. The primary key below adds occurred_at and is unique within each partition.
--
-- No foreign keys, on purpose: every row is validated against locked enrollments before it is
-- written, per-row FK checks would cost the ingest path an index probe and a row lock per
-- referenced table, and retention drops whole partitions, which FKs pointing away do not hinder
-- but would make bulk loads slower.
CREATE TABLE progress_history (
  institution_id uuid NOT NULL,
  event_id varchar(128) NOT NULL,
  student_id uuid NOT NULL,
  lesson_id uuid NOT NULL,
  course_id uuid NOT NULL,
  time_spent integer NOT NULL,
  score numeric(5, 2),
  completed_at timestamptz,
  occurred_at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT progress_history_pkey PRIMARY KEY (institution_id, event_id, occurred_at),
  CONSTRAINT progress_history_time_spent_non_negative CHECK (time_spent >= 0),
  CONSTRAINT progress_history_score_range CHECK (score IS NULL OR score BETWEEN 0 AND 100)
) PARTITION BY RANGE (occurred_at);
--> statement-breakpoint
-- Rollups and analytics read a course's events of a time range.
CREATE INDEX progress_history_course_id_occurred_at_idx ON progress_history (course_id, occurred_at);
--> statement-breakpoint
-- No event is lost: one outside every monthly range lands here, and
-- ensureProgressHistoryPartitions moves them into their month's partition when it creates it.
CREATE TABLE progress_history_default PARTITION OF progress_history DEFAULT;
--> statement-breakpoint
-- The current month and the next three, in UTC; later months come from the partition upkeep job
-- (ensureProgressHistoryPartitions, packages/db/src/queries/history.ts).
DO $$
DECLARE
  first_month timestamp := date_trunc('month', now() AT TIME ZONE 'UTC');
  month timestamp;
BEGIN
  FOR i IN 0..3 LOOP
    month := first_month + make_interval(months => i);
    EXECUTE format(
      'CREATE TABLE %I PARTITION OF progress_history FOR VALUES FROM (%L) TO (%L)',
      'progress_history_y' || to_char(month, 'YYYY') || 'm' || to_char(month, 'MM'),
      (month AT TIME ZONE 'UTC')::text,
      ((month + interval '1 month') AT TIME ZONE 'UTC')::text);
  END LOOP;
END
$$;
--> statement-breakpoint
-- Tenant isolation like every tenant table (0004). Append-only for the application: it may add
-- and read events, never change or delete them (retention drops whole partitions as the owner).
-- Partitions get no grants: the application reaches rows only through the parent, where the
-- policy applies.
ALTER TABLE progress_history ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON progress_history
  USING (institution_id = current_institution_id()) WITH CHECK (institution_id = current_institution_id());
--> statement-breakpoint
GRANT SELECT, INSERT ON progress_history TO coursebase_app;
--> statement-breakpoint
-- progress.record updates rows in place; a page with free space keeps the new version on the
-- same page (and makes updates that touch no indexed column HOT). New pages only: a table
-- loaded before this migration keeps its full pages until rewritten.
ALTER TABLE lesson_progress SET (fillfactor = 90);
