DROP INDEX "users_department_id_idx";--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "sort_name" varchar(100) GENERATED ALWAYS AS (lower(("users"."name")::text)) STORED NOT NULL;--> statement-breakpoint
CREATE INDEX "users_department_id_sort_name_id_idx" ON "users" USING btree ("department_id","sort_name","id");--> statement-breakpoint
CREATE INDEX "users_institution_id_sort_name_id_idx" ON "users" USING btree ("institution_id","sort_name","id");--> statement-breakpoint
CREATE INDEX "users_staff_sort_name_idx" ON "users" USING btree ("institution_id","sort_name","id") WHERE "users"."role" <> 'STUDENT';