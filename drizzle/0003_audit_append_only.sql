-- The audit trail is append-only: rows are inserted, never changed or removed (erasure of a
-- person keeps the trail, which holds ids and actions, not personal fields). Dropping an
-- institution's data is the one exception: a cascade from institutions removes its rows, which
-- is why the guard skips deletes that arrive through a foreign-key cascade (pg_trigger_depth() > 1).
CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND pg_trigger_depth() > 1 THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_log_append_only
  BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
