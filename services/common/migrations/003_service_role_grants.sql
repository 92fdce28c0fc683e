-- Tables on which the service's own role holds less than SELECT, INSERT, UPDATE, DELETE (pg/migrate.ts,
-- confineServiceRole): the privileges it gets there, and why. A service adds its own rows in its migrations.
CREATE TABLE service_role_grants (
  table_name text PRIMARY KEY,
  privileges text NOT NULL,
  why        text NOT NULL
);
INSERT INTO service_role_grants (table_name, privileges, why) VALUES
  ('audit_events', 'SELECT, INSERT', 'the audit is append-only for every service role; the owner role alone may run a retention job'),
  ('idempotency_keys', 'SELECT, INSERT, UPDATE', 'expiry deletes run as the owner role (the service''s sweep command)'),
  ('schema_migrations', '', 'the migrations'' own bookkeeping, the owner role''s'),
  ('service_role_grants', '', 'these rules themselves');
