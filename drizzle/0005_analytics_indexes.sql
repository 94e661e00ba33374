DROP INDEX "idx_lesson_progress_course_completion";--> statement-breakpoint
CREATE INDEX "enrollments_course_id_enrolled_at_idx" ON "enrollments" USING btree ("course_id","enrolled_at");--> statement-breakpoint
CREATE INDEX "enrollments_course_id_completed_at_idx" ON "enrollments" USING btree ("course_id","completed_at") WHERE "enrollments"."completed_at" is not null;