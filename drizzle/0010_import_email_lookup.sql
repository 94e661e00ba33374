-- Emails are unique across every institution (users_email_unique), but row-level security hides
-- other tenants' users: a bulk import (or a user creation) could not tell "already one of ours"
-- from "taken by someone else" and would skip the row silently. This lookup answers, for the
-- emails a caller already holds, only which of them belong to an account outside the caller's
-- institution: no id, name or institution, so nothing about the other tenant leaks beyond the
-- unavoidable fact that the address is in use. In a tenant transaction the caller's institution
-- is the transaction's (p_institution_id cannot widen it); owner jobs pass it explicitly.
CREATE OR REPLACE FUNCTION users_emails_taken_elsewhere(p_emails text[], p_institution_id uuid)
RETURNS SETOF text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT u.email FROM users u
  WHERE u.email = ANY (p_emails)
    AND u.institution_id <> coalesce(current_institution_id(), p_institution_id)
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION users_emails_taken_elsewhere(text[], uuid) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION users_emails_taken_elsewhere(text[], uuid) TO coursebase_app;
