-- Tenant isolation enforced by PostgreSQL (row-level security).
--
-- The application runs its queries as the role coursebase_app, which owns nothing and cannot
-- bypass RLS. Each request sets `app.institution_id` for its transaction from the verified
-- session (packages/db/src/tenant.ts); every policy compares a row's institution_id with it. A
-- query that forgot its tenant filter therefore still sees only its own institution, and one run
-- outside a tenant transaction sees nothing at all (the setting is unset -> NULL -> no row).
-- Migrations, the data generator and cross-tenant jobs run as the owner, which RLS does not bind.

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'coursebase_app') THEN
    CREATE ROLE coursebase_app NOLOGIN NOBYPASSRLS;
  END IF;
END
$$;
--> statement-breakpoint

-- The tenant of the current transaction, or NULL when none was set.
CREATE OR REPLACE FUNCTION current_institution_id() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT nullif(current_setting('app.institution_id', true), '')::uuid
$$;
--> statement-breakpoint

DO $$
DECLARE
  tenant_table text;
BEGIN
  FOREACH tenant_table IN ARRAY ARRAY[
    'departments', 'users', 'courses', 'course_prerequisites', 'course_staff', 'modules', 'lessons',
    'enrollments', 'lesson_progress', 'progress_event_keys', 'course_analytics', 'assignments',
    'submissions', 'grades', 'user_credentials', 'sessions', 'api_tokens', 'audit_log'
  ] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tenant_table);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I USING (institution_id = current_institution_id()) '
      'WITH CHECK (institution_id = current_institution_id())', tenant_table);
  END LOOP;
END
$$;
--> statement-breakpoint

ALTER TABLE institutions ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON institutions
  USING (id = current_institution_id()) WITH CHECK (id = current_institution_id());
--> statement-breakpoint

GRANT USAGE ON SCHEMA public TO coursebase_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON
  institutions, departments, users, courses, course_prerequisites, course_staff, modules, lessons,
  enrollments, lesson_progress, progress_event_keys, course_analytics, assignments, submissions,
  grades, sessions, api_tokens
  TO coursebase_app;
--> statement-breakpoint
-- The audit trail: read and append, never rewrite. Password hashes: set, never read back
-- (sign-in verifies through auth_sign_in_candidate below).
GRANT SELECT, INSERT ON audit_log TO coursebase_app;
--> statement-breakpoint
GRANT INSERT, UPDATE ON user_credentials TO coursebase_app;
--> statement-breakpoint
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO coursebase_app;
--> statement-breakpoint

-- Before a request has a tenant it must find one: these three lookups cross tenants by design,
-- so they run as the owner (SECURITY DEFINER) and return only what the sign-in path needs.
CREATE OR REPLACE FUNCTION auth_sign_in_candidate(p_email text)
RETURNS TABLE (user_id uuid, institution_id uuid, role user_role, is_active boolean, password_hash text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT u.id, u.institution_id, u.role, u.is_active, c.password_hash
  FROM users u LEFT JOIN user_credentials c ON c.user_id = u.id
  WHERE u.email = lower(p_email)
$$;
--> statement-breakpoint

CREATE OR REPLACE FUNCTION auth_resolve_session(p_token_hash text)
RETURNS TABLE (session_id uuid, user_id uuid, institution_id uuid, role user_role)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  RETURN QUERY
    SELECT s.id, s.user_id, u.institution_id, u.role
    FROM sessions s JOIN users u ON u.id = s.user_id
    WHERE s.token_hash = p_token_hash AND s.revoked_at IS NULL AND s.expires_at > now() AND u.is_active;
  -- Refresh last-seen at most once a minute, so reads do not turn into a write per request.
  UPDATE sessions SET last_seen_at = now()
  WHERE token_hash = p_token_hash AND last_seen_at < now() - interval '1 minute';
END
$$;
--> statement-breakpoint

CREATE OR REPLACE FUNCTION auth_resolve_api_token(p_token_hash text)
RETURNS TABLE (token_id uuid, user_id uuid, institution_id uuid, role user_role)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  RETURN QUERY
    SELECT t.id, t.user_id, t.institution_id, t.role
    FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id
    WHERE t.token_hash = p_token_hash AND t.revoked_at IS NULL
      AND (t.expires_at IS NULL OR t.expires_at > now()) AND (t.user_id IS NULL OR u.is_active);
  UPDATE api_tokens SET last_used_at = now()
  WHERE token_hash = p_token_hash AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute');
END
$$;
--> statement-breakpoint

REVOKE ALL ON FUNCTION auth_sign_in_candidate(text), auth_resolve_session(text), auth_resolve_api_token(text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION auth_sign_in_candidate(text), auth_resolve_session(text), auth_resolve_api_token(text),
  current_institution_id() TO coursebase_app;
