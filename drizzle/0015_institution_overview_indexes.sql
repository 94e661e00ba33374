-- analytics.institution (the admin app's overview) reads one institution's activity over a date
-- range. The existing indexes lead with course_id or with the timestamp alone (every institution's
-- rows of the range); these lead with the tenant, so the range is an index range of that tenant's
-- rows only, and under row-level security uuid equality and timestamptz comparisons are
-- leakproof, hence index conditions for the application role too.
-- Events of the range: the INCLUDE columns answer active students, hours learned and lesson
-- completions per day from the index alone.
CREATE INDEX progress_history_institution_id_occurred_at_idx
  ON progress_history (institution_id, occurred_at) INCLUDE (student_id, time_spent, completed_at);
--> statement-breakpoint
CREATE INDEX enrollments_institution_id_enrolled_at_idx ON enrollments (institution_id, enrolled_at);
--> statement-breakpoint
CREATE INDEX enrollments_institution_id_completed_at_idx
  ON enrollments (institution_id, completed_at) WHERE completed_at IS NOT NULL;
