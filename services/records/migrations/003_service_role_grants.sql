-- A record's versions are append-only for the service role too, not only by their trigger.
INSERT INTO service_role_grants (table_name, privileges, why) VALUES
  ('record_versions', 'SELECT, INSERT', 'every version of a record is kept: append-only');
