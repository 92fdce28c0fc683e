-- Every service's audit trail of access to patients' data. Append-only: no role may update, delete or
-- truncate it (the trigger holds even for the table's owner; only dropping the trigger would lift it,
-- and the services' runtime roles cannot do that).
CREATE TABLE audit_events (
  id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  actor_id       text        NOT NULL,
  actor_kind     text        NOT NULL,
  actor_roles    text[]      NOT NULL DEFAULT '{}',
  institution_id text        NOT NULL DEFAULT '',
  patient_id     text        NOT NULL,
  action         text        NOT NULL,
  purpose        text        NOT NULL DEFAULT '',
  outcome        text        NOT NULL CHECK (outcome IN ('allowed', 'denied')),
  reason         text        NOT NULL DEFAULT '',
  request_id     text        NOT NULL DEFAULT '',
  occurred_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX audit_events_patient ON audit_events (patient_id, occurred_at DESC);

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM PUBLIC;
