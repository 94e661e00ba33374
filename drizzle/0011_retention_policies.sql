CREATE TABLE "retention_policies" (
	"institution_id" uuid PRIMARY KEY NOT NULL,
	"progress_history_months" integer NOT NULL,
	"inactive_account_years" integer NOT NULL,
	"updated_by" uuid,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "retention_policies_history_months_range" CHECK ("retention_policies"."progress_history_months" between 1 and 120),
	CONSTRAINT "retention_policies_inactive_years_range" CHECK ("retention_policies"."inactive_account_years" between 1 and 50)
);
--> statement-breakpoint
ALTER TABLE "retention_policies" ADD CONSTRAINT "retention_policies_institution_id_institutions_id_fk" FOREIGN KEY ("institution_id") REFERENCES "public"."institutions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Hand-added below (issue 6, engineer "trust"): tenant isolation like every tenant table (0004).
ALTER TABLE "retention_policies" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON "retention_policies"
  USING (institution_id = current_institution_id()) WITH CHECK (institution_id = current_institution_id());
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON "retention_policies" TO coursebase_app;
--> statement-breakpoint
-- Erasure (privacy.eraseUser) runs as the application role, in the admin's tenant transaction,
-- but two of its steps touch tables the application may not change: password hashes
-- (user_credentials: set, never read or deleted) and progress history (append-only). Rather than
-- widen those grants for every request, this one narrow door deletes exactly the given people's rows
-- of the CURRENT tenant (the transaction's app.institution_id, set from the verified session),
-- and refuses without one. History rows are looked up through the person's enrollments, so the
-- delete reads progress_history_course_id_occurred_at_idx instead of scanning every partition
-- (history is only ever written for an enrollment, which progress rows keep from being deleted).
CREATE OR REPLACE FUNCTION privacy_erase_private_rows(p_user_ids uuid[])
RETURNS TABLE (credentials_deleted integer, history_deleted integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public AS $$
DECLARE
  tenant uuid := current_institution_id();
BEGIN
  IF tenant IS NULL THEN
    RAISE EXCEPTION 'privacy_erase_private_rows needs a tenant transaction' USING ERRCODE = 'insufficient_privilege';
  END IF;
  DELETE FROM user_credentials c WHERE c.user_id = ANY (p_user_ids) AND c.institution_id = tenant;
  GET DIAGNOSTICS credentials_deleted = ROW_COUNT;
  DELETE FROM progress_history h
  WHERE h.institution_id = tenant AND h.student_id = ANY (p_user_ids)
    AND h.course_id IN (SELECT e.course_id FROM enrollments e WHERE e.student_id = ANY (p_user_ids) AND e.institution_id = tenant);
  GET DIAGNOSTICS history_deleted = ROW_COUNT;
  RETURN NEXT;
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION privacy_erase_private_rows(uuid[]) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION privacy_erase_private_rows(uuid[]) TO coursebase_app;
