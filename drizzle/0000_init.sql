CREATE TYPE "public"."course_category" AS ENUM('PROGRAMMING', 'DATA_SCIENCE', 'MATHEMATICS', 'SCIENCE', 'BUSINESS', 'DESIGN', 'LANGUAGES', 'HUMANITIES');--> statement-breakpoint
CREATE TYPE "public"."course_status" AS ENUM('DRAFT', 'PUBLISHED', 'ARCHIVED');--> statement-breakpoint
CREATE TYPE "public"."difficulty_level" AS ENUM('BEGINNER', 'INTERMEDIATE', 'ADVANCED');--> statement-breakpoint
CREATE TYPE "public"."enrollment_status" AS ENUM('ACTIVE', 'COMPLETED', 'DROPPED', 'SUSPENDED');--> statement-breakpoint
CREATE TYPE "public"."institution_type" AS ENUM('UNIVERSITY', 'COLLEGE', 'SCHOOL', 'CORPORATE');--> statement-breakpoint
CREATE TYPE "public"."lesson_type" AS ENUM('VIDEO', 'TEXT', 'QUIZ', 'ASSIGNMENT', 'INTERACTIVE');--> statement-breakpoint
CREATE TYPE "public"."user_role" AS ENUM('STUDENT', 'INSTRUCTOR', 'ADMIN', 'TEACHING_ASSISTANT');--> statement-breakpoint
CREATE TABLE "course_analytics" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"course_id" uuid NOT NULL,
	"institution_id" uuid NOT NULL,
	"date" date NOT NULL,
	"enrollment_count" integer DEFAULT 0 NOT NULL,
	"completion_count" integer DEFAULT 0 NOT NULL,
	"avg_time_spent" integer DEFAULT 0 NOT NULL,
	"avg_score" numeric(5, 2),
	"lessons_completed" integer DEFAULT 0 NOT NULL,
	"total_time_spent" bigint DEFAULT 0 NOT NULL,
	"score_sum" numeric(14, 2) DEFAULT '0' NOT NULL,
	"score_count" integer DEFAULT 0 NOT NULL,
	"engagement" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "course_analytics_course_id_date_key" UNIQUE("course_id","date")
);
--> statement-breakpoint
CREATE TABLE "assignments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"course_id" uuid NOT NULL,
	"institution_id" uuid NOT NULL,
	"title" varchar(200) NOT NULL,
	"instructions" text NOT NULL,
	"due_at" timestamp with time zone,
	"max_points" numeric(7, 2) NOT NULL,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "assignments_max_points_positive" CHECK ("assignments"."max_points" > 0)
);
--> statement-breakpoint
CREATE TABLE "grades" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"submission_id" uuid NOT NULL,
	"grader_id" uuid NOT NULL,
	"institution_id" uuid NOT NULL,
	"points" numeric(7, 2) NOT NULL,
	"feedback" text,
	"graded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "grades_submission_id_unique" UNIQUE("submission_id"),
	CONSTRAINT "grades_points_non_negative" CHECK ("grades"."points" >= 0)
);
--> statement-breakpoint
CREATE TABLE "submissions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"assignment_id" uuid NOT NULL,
	"student_id" uuid NOT NULL,
	"institution_id" uuid NOT NULL,
	"attempt" integer DEFAULT 1 NOT NULL,
	"content" text NOT NULL,
	"submitted_at" timestamp with time zone DEFAULT now() NOT NULL,
	"is_late" boolean DEFAULT false NOT NULL,
	CONSTRAINT "submissions_assignment_student_attempt_key" UNIQUE("assignment_id","student_id","attempt"),
	CONSTRAINT "submissions_attempt_positive" CHECK ("submissions"."attempt" >= 1)
);
--> statement-breakpoint
CREATE TABLE "lessons" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"title" varchar(150) NOT NULL,
	"type" "lesson_type" NOT NULL,
	"content" jsonb NOT NULL,
	"duration" integer NOT NULL,
	"order_index" integer NOT NULL,
	"module_id" uuid NOT NULL,
	"course_id" uuid NOT NULL,
	"institution_id" uuid NOT NULL,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "lessons_module_id_order_index_key" UNIQUE("module_id","order_index"),
	CONSTRAINT "lessons_id_course_id_key" UNIQUE("id","course_id"),
	CONSTRAINT "lessons_duration_non_negative" CHECK ("lessons"."duration" >= 0),
	CONSTRAINT "lessons_order_index_non_negative" CHECK ("lessons"."order_index" >= 0)
);
--> statement-breakpoint
CREATE TABLE "modules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"title" varchar(150) NOT NULL,
	"description" text NOT NULL,
	"order_index" integer NOT NULL,
	"course_id" uuid NOT NULL,
	"institution_id" uuid NOT NULL,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "modules_course_id_order_index_key" UNIQUE("course_id","order_index"),
	CONSTRAINT "modules_id_course_id_key" UNIQUE("id","course_id"),
	CONSTRAINT "modules_order_index_non_negative" CHECK ("modules"."order_index" >= 0)
);
--> statement-breakpoint
CREATE TABLE "course_prerequisites" (
	"course_id" uuid NOT NULL,
	"prerequisite_id" uuid NOT NULL,
	"institution_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "course_prerequisites_pkey" PRIMARY KEY("course_id","prerequisite_id"),
	CONSTRAINT "course_prerequisites_not_self" CHECK ("course_prerequisites"."course_id" <> "course_prerequisites"."prerequisite_id")
);
--> statement-breakpoint
CREATE TABLE "courses" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"title" varchar(200) NOT NULL,
	"description" text NOT NULL,
	"slug" varchar(150) NOT NULL,
	"category" "course_category" NOT NULL,
	"difficulty" "difficulty_level" NOT NULL,
	"status" "course_status" DEFAULT 'DRAFT' NOT NULL,
	"price" numeric(10, 2) NOT NULL,
	"estimated_hours" integer NOT NULL,
	"institution_id" uuid NOT NULL,
	"instructor_id" uuid NOT NULL,
	"department_id" uuid,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"published_at" timestamp with time zone,
	"search_vector" "tsvector" GENERATED ALWAYS AS (setweight(to_tsvector('english'::regconfig, coalesce("courses"."title", '')), 'A') || setweight(to_tsvector('english'::regconfig, coalesce("courses"."description", '')), 'B')) STORED NOT NULL,
	CONSTRAINT "courses_slug_unique" UNIQUE("slug"),
	CONSTRAINT "courses_price_non_negative" CHECK ("courses"."price" >= 0),
	CONSTRAINT "courses_estimated_hours_positive" CHECK ("courses"."estimated_hours" > 0),
	CONSTRAINT "courses_published_has_date" CHECK ("courses"."status" <> 'PUBLISHED' or "courses"."published_at" is not null)
);
--> statement-breakpoint
CREATE TABLE "enrollments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"student_id" uuid NOT NULL,
	"course_id" uuid NOT NULL,
	"institution_id" uuid NOT NULL,
	"status" "enrollment_status" DEFAULT 'ACTIVE' NOT NULL,
	"progress" integer DEFAULT 0 NOT NULL,
	"grade" numeric(5, 2),
	"enrolled_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	"last_access_at" timestamp with time zone,
	CONSTRAINT "enrollments_student_id_course_id_key" UNIQUE("student_id","course_id"),
	CONSTRAINT "enrollments_progress_range" CHECK ("enrollments"."progress" between 0 and 100),
	CONSTRAINT "enrollments_grade_range" CHECK ("enrollments"."grade" is null or "enrollments"."grade" between 0 and 100),
	CONSTRAINT "enrollments_completed_consistent" CHECK ("enrollments"."status" <> 'COMPLETED' or "enrollments"."completed_at" is not null)
);
--> statement-breakpoint
CREATE TABLE "departments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"institution_id" uuid NOT NULL,
	"name" varchar(150) NOT NULL,
	"code" varchar(20) NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "departments_institution_code_key" UNIQUE("institution_id","code"),
	CONSTRAINT "departments_id_institution_key" UNIQUE("id","institution_id"),
	CONSTRAINT "departments_code_not_blank" CHECK (length(trim("departments"."code")) > 0)
);
--> statement-breakpoint
CREATE TABLE "institutions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" varchar(200) NOT NULL,
	"domain" varchar(100) NOT NULL,
	"type" "institution_type" NOT NULL,
	"time_zone" varchar(64) DEFAULT 'UTC' NOT NULL,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "institutions_domain_unique" UNIQUE("domain")
);
--> statement-breakpoint
CREATE TABLE "lesson_progress" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"student_id" uuid NOT NULL,
	"lesson_id" uuid NOT NULL,
	"course_id" uuid NOT NULL,
	"institution_id" uuid NOT NULL,
	"time_spent" integer NOT NULL,
	"score" numeric(5, 2),
	"completed_at" timestamp with time zone,
	"attempts" integer DEFAULT 1 NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "lesson_progress_student_id_lesson_id_key" UNIQUE("student_id","lesson_id"),
	CONSTRAINT "lesson_progress_time_spent_non_negative" CHECK ("lesson_progress"."time_spent" >= 0),
	CONSTRAINT "lesson_progress_score_range" CHECK ("lesson_progress"."score" is null or "lesson_progress"."score" between 0 and 100),
	CONSTRAINT "lesson_progress_attempts_positive" CHECK ("lesson_progress"."attempts" >= 1)
);
--> statement-breakpoint
CREATE TABLE "progress_event_keys" (
	"institution_id" uuid NOT NULL,
	"event_id" varchar(128) NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "progress_event_keys_pkey" PRIMARY KEY("institution_id","event_id")
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"email" varchar(255) NOT NULL,
	"name" varchar(100) NOT NULL,
	"role" "user_role" NOT NULL,
	"institution_id" uuid NOT NULL,
	"department_id" uuid,
	"profile_data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"preferences" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_login_at" timestamp with time zone,
	CONSTRAINT "users_email_unique" UNIQUE("email")
);
--> statement-breakpoint
ALTER TABLE "course_analytics" ADD CONSTRAINT "course_analytics_course_id_courses_id_fk" FOREIGN KEY ("course_id") REFERENCES "public"."courses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "course_analytics" ADD CONSTRAINT "course_analytics_institution_id_institutions_id_fk" FOREIGN KEY ("institution_id") REFERENCES "public"."institutions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assignments" ADD CONSTRAINT "assignments_course_id_courses_id_fk" FOREIGN KEY ("course_id") REFERENCES "public"."courses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assignments" ADD CONSTRAINT "assignments_institution_id_institutions_id_fk" FOREIGN KEY ("institution_id") REFERENCES "public"."institutions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grades" ADD CONSTRAINT "grades_submission_id_submissions_id_fk" FOREIGN KEY ("submission_id") REFERENCES "public"."submissions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grades" ADD CONSTRAINT "grades_grader_id_users_id_fk" FOREIGN KEY ("grader_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grades" ADD CONSTRAINT "grades_institution_id_institutions_id_fk" FOREIGN KEY ("institution_id") REFERENCES "public"."institutions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "submissions" ADD CONSTRAINT "submissions_assignment_id_assignments_id_fk" FOREIGN KEY ("assignment_id") REFERENCES "public"."assignments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "submissions" ADD CONSTRAINT "submissions_student_id_users_id_fk" FOREIGN KEY ("student_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "submissions" ADD CONSTRAINT "submissions_institution_id_institutions_id_fk" FOREIGN KEY ("institution_id") REFERENCES "public"."institutions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lessons" ADD CONSTRAINT "lessons_institution_id_institutions_id_fk" FOREIGN KEY ("institution_id") REFERENCES "public"."institutions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lessons" ADD CONSTRAINT "lessons_module_course_fk" FOREIGN KEY ("module_id","course_id") REFERENCES "public"."modules"("id","course_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modules" ADD CONSTRAINT "modules_course_id_courses_id_fk" FOREIGN KEY ("course_id") REFERENCES "public"."courses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "modules" ADD CONSTRAINT "modules_institution_id_institutions_id_fk" FOREIGN KEY ("institution_id") REFERENCES "public"."institutions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "course_prerequisites" ADD CONSTRAINT "course_prerequisites_course_id_courses_id_fk" FOREIGN KEY ("course_id") REFERENCES "public"."courses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "course_prerequisites" ADD CONSTRAINT "course_prerequisites_prerequisite_id_courses_id_fk" FOREIGN KEY ("prerequisite_id") REFERENCES "public"."courses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "course_prerequisites" ADD CONSTRAINT "course_prerequisites_institution_id_institutions_id_fk" FOREIGN KEY ("institution_id") REFERENCES "public"."institutions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "courses" ADD CONSTRAINT "courses_institution_id_institutions_id_fk" FOREIGN KEY ("institution_id") REFERENCES "public"."institutions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "courses" ADD CONSTRAINT "courses_instructor_id_users_id_fk" FOREIGN KEY ("instructor_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "courses" ADD CONSTRAINT "courses_department_id_departments_id_fk" FOREIGN KEY ("department_id") REFERENCES "public"."departments"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrollments" ADD CONSTRAINT "enrollments_student_id_users_id_fk" FOREIGN KEY ("student_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrollments" ADD CONSTRAINT "enrollments_course_id_courses_id_fk" FOREIGN KEY ("course_id") REFERENCES "public"."courses"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrollments" ADD CONSTRAINT "enrollments_institution_id_institutions_id_fk" FOREIGN KEY ("institution_id") REFERENCES "public"."institutions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "departments" ADD CONSTRAINT "departments_institution_id_institutions_id_fk" FOREIGN KEY ("institution_id") REFERENCES "public"."institutions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lesson_progress" ADD CONSTRAINT "lesson_progress_student_id_users_id_fk" FOREIGN KEY ("student_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lesson_progress" ADD CONSTRAINT "lesson_progress_institution_id_institutions_id_fk" FOREIGN KEY ("institution_id") REFERENCES "public"."institutions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lesson_progress" ADD CONSTRAINT "lesson_progress_lesson_course_fk" FOREIGN KEY ("lesson_id","course_id") REFERENCES "public"."lessons"("id","course_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lesson_progress" ADD CONSTRAINT "lesson_progress_enrollment_fk" FOREIGN KEY ("student_id","course_id") REFERENCES "public"."enrollments"("student_id","course_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "progress_event_keys" ADD CONSTRAINT "progress_event_keys_institution_id_institutions_id_fk" FOREIGN KEY ("institution_id") REFERENCES "public"."institutions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_institution_id_institutions_id_fk" FOREIGN KEY ("institution_id") REFERENCES "public"."institutions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_department_id_departments_id_fk" FOREIGN KEY ("department_id") REFERENCES "public"."departments"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "course_analytics_date_idx" ON "course_analytics" USING btree ("date");--> statement-breakpoint
CREATE INDEX "assignments_course_id_due_at_idx" ON "assignments" USING btree ("course_id","due_at");--> statement-breakpoint
CREATE INDEX "grades_grader_id_idx" ON "grades" USING btree ("grader_id");--> statement-breakpoint
CREATE INDEX "submissions_student_id_submitted_at_idx" ON "submissions" USING btree ("student_id","submitted_at");--> statement-breakpoint
CREATE INDEX "lessons_course_id_idx" ON "lessons" USING btree ("course_id");--> statement-breakpoint
CREATE INDEX "lessons_type_idx" ON "lessons" USING btree ("type");--> statement-breakpoint
CREATE INDEX "course_prerequisites_prerequisite_id_idx" ON "course_prerequisites" USING btree ("prerequisite_id");--> statement-breakpoint
CREATE INDEX "courses_institution_id_status_idx" ON "courses" USING btree ("institution_id","status");--> statement-breakpoint
CREATE INDEX "courses_category_difficulty_idx" ON "courses" USING btree ("category","difficulty");--> statement-breakpoint
CREATE INDEX "courses_instructor_id_status_idx" ON "courses" USING btree ("instructor_id","status");--> statement-breakpoint
CREATE INDEX "courses_published_at_status_idx" ON "courses" USING btree ("published_at","status");--> statement-breakpoint
CREATE INDEX "idx_courses_fulltext_search" ON "courses" USING gin ("search_vector");--> statement-breakpoint
CREATE INDEX "enrollments_course_id_status_idx" ON "enrollments" USING btree ("course_id","status");--> statement-breakpoint
CREATE INDEX "enrollments_enrolled_at_idx" ON "enrollments" USING btree ("enrolled_at");--> statement-breakpoint
CREATE INDEX "enrollments_completed_at_idx" ON "enrollments" USING btree ("completed_at");--> statement-breakpoint
CREATE INDEX "enrollments_last_access_at_idx" ON "enrollments" USING btree ("last_access_at");--> statement-breakpoint
CREATE INDEX "institutions_type_created_at_idx" ON "institutions" USING btree ("type","created_at");--> statement-breakpoint
CREATE INDEX "lesson_progress_student_id_course_id_idx" ON "lesson_progress" USING btree ("student_id","course_id");--> statement-breakpoint
CREATE INDEX "idx_lesson_progress_course_completion" ON "lesson_progress" USING btree ("course_id","completed_at") WHERE "lesson_progress"."completed_at" is not null;--> statement-breakpoint
CREATE INDEX "lesson_progress_lesson_id_completed_at_idx" ON "lesson_progress" USING btree ("lesson_id","completed_at");--> statement-breakpoint
CREATE INDEX "lesson_progress_completed_at_idx" ON "lesson_progress" USING btree ("completed_at");--> statement-breakpoint
CREATE INDEX "lesson_progress_student_recent_completions_idx" ON "lesson_progress" USING btree ("student_id","completed_at" DESC NULLS LAST) WHERE "lesson_progress"."completed_at" is not null;--> statement-breakpoint
CREATE INDEX "progress_event_keys_recorded_at_idx" ON "progress_event_keys" USING btree ("recorded_at");--> statement-breakpoint
CREATE INDEX "users_institution_id_role_idx" ON "users" USING btree ("institution_id","role");--> statement-breakpoint
CREATE INDEX "users_role_is_active_idx" ON "users" USING btree ("role","is_active");--> statement-breakpoint
CREATE INDEX "users_last_login_at_idx" ON "users" USING btree ("last_login_at");--> statement-breakpoint
CREATE INDEX "users_department_id_idx" ON "users" USING btree ("department_id");--> statement-breakpoint
CREATE INDEX "idx_users_active_educational" ON "users" USING btree ("institution_id","role") WHERE "users"."is_active" = true;