-- A consultation's messages are append-only for the service role too, not only by their trigger.
INSERT INTO service_role_grants (table_name, privileges, why) VALUES
  ('messages', 'SELECT, INSERT', 'the messages of a consultation are its record: append-only');
