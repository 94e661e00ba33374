CREATE TABLE "job_runs" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "job_runs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"job" varchar(64) NOT NULL,
	"scheduled_for" timestamp with time zone NOT NULL,
	"trigger" varchar(16) NOT NULL,
	"requested_by" uuid,
	"runner" varchar(128) NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"duration_ms" double precision,
	"outcome" varchar(16) DEFAULT 'running' NOT NULL,
	"rows_touched" bigint,
	"details" jsonb,
	"error" text,
	CONSTRAINT "job_runs_job_scheduled_for_key" UNIQUE("job","scheduled_for"),
	CONSTRAINT "job_runs_outcome_check" CHECK ("job_runs"."outcome" in ('running', 'succeeded', 'failed', 'abandoned')),
	CONSTRAINT "job_runs_trigger_check" CHECK ("job_runs"."trigger" in ('schedule', 'manual'))
);
--> statement-breakpoint
CREATE INDEX "job_runs_started_at_idx" ON "job_runs" USING btree ("started_at" DESC NULLS LAST);--> statement-breakpoint
-- Owner only (hand-added): job runs are platform operations, not an institution's data, so the
-- application role gets nothing, even should default privileges be added to the schema later.
-- Admins read them through ops.jobs on the owner connection (maintenanceProcedure).
REVOKE ALL ON TABLE "job_runs" FROM PUBLIC, coursebase_app;
--> statement-breakpoint
REVOKE ALL ON SEQUENCE "job_runs_id_seq" FROM PUBLIC, coursebase_app;
