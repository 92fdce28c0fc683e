// What spans may say of a request and of a statement: parameter names without values, and a statement's operation
// and table without its text.
import { queryNames, statementSummary } from './telemetry';

test('a query string keeps its parameter names only', () => {
  expect(queryNames('/v1/patients?nationalId=530102199001011234&pageSize=5')).toBe('nationalId=&pageSize=');
  expect(queryNames('/v1/patients')).toBe('');
  expect(queryNames('/v1/x?flag')).toBe('flag=');
});

test.each([
  ['SELECT id, name FROM patients WHERE national_id = $1', 'SELECT', 'patients'],
  ['  insert into identity.audit_events (id) values ($1)', 'INSERT', 'identity.audit_events'],
  ['UPDATE appointments SET status = $2 WHERE id = $1', 'UPDATE', 'appointments'],
  ['DELETE FROM "object_copies" WHERE object_id = $1', 'DELETE', 'object_copies'],
  ['/* lease */ INSERT INTO object_store_leases (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET holder = $2', 'INSERT', 'object_store_leases'],
  ['WITH d AS (SELECT 1 FROM deliveries) SELECT count(*) FROM d', 'WITH', 'deliveries'],
  ['BEGIN', 'BEGIN', undefined],
  ['LOCK TABLE ONLY slots IN SHARE MODE', 'LOCK', 'slots'],
  ['', 'QUERY', undefined],
])('%s → %s %s', (text, operation, table) => {
  expect(statementSummary(text)).toEqual({ operation, table });
});
