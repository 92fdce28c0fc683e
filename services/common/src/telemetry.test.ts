// What spans may say of a request and of a statement: parameter names without values, and a statement's operation
// and table without its text.
import { queryNames, statementSummary, telemetrySettings } from './telemetry';

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
  [
    '/* lease */ INSERT INTO object_store_leases (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET holder = $2',
    'INSERT',
    'object_store_leases',
  ],
  ['WITH d AS (SELECT 1 FROM deliveries) SELECT count(*) FROM d', 'WITH', 'deliveries'],
  ['BEGIN', 'BEGIN', undefined],
  ['LOCK TABLE ONLY slots IN SHARE MODE', 'LOCK', 'slots'],
  ['', 'QUERY', undefined],
])('%s → %s %s', (text, operation, table) => {
  expect(statementSummary(text)).toEqual({ operation, table });
});

describe('the standard OTEL_* variables, with nothing pushed unless asked for', () => {
  it('with no variable set: no exporter for any signal, sampler parentbased_traceidratio 0.1', () => {
    expect(telemetrySettings('records', {})).toEqual({
      serviceName: 'records',
      traces: [],
      metrics: [],
      logs: [],
      defaultSampler: 'parentbased_traceidratio 0.1',
      traceFile: undefined,
    });
  });

  it('an OTLP endpoint turns on OTLP for every signal whose exporter variable is unset', () => {
    const settings = telemetrySettings('records', {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_METRICS_EXPORTER: 'prometheus',
      OTEL_LOGS_EXPORTER: 'none',
    });
    expect([settings.traces, settings.metrics, settings.logs]).toEqual([['otlp'], ['prometheus'], []]);
    expect(
      telemetrySettings('records', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' }).traces,
    ).toEqual(['otlp']);
    expect(
      telemetrySettings('records', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' }).logs,
    ).toEqual([]);
  });

  it('an exporter variable says what it says, none wins, duplicates collapse', () => {
    expect(telemetrySettings('x', { OTEL_TRACES_EXPORTER: 'console,otlp,console' }).traces).toEqual([
      'console',
      'otlp',
    ]);
    expect(
      telemetrySettings('x', { OTEL_TRACES_EXPORTER: 'otlp,none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })
        .traces,
    ).toEqual([]);
    expect(telemetrySettings('x', { OTEL_LOGS_EXPORTER: 'otlp' }).logs).toEqual(['otlp']);
  });

  it('an unknown exporter is an error naming the variable', () => {
    expect(() => telemetrySettings('x', { OTEL_TRACES_EXPORTER: 'jaeger' })).toThrow(
      'OTEL_TRACES_EXPORTER=jaeger: jaeger is not one of otlp, console, none',
    );
    expect(() => telemetrySettings('x', { OTEL_LOGS_EXPORTER: 'prometheus' })).toThrow('OTEL_LOGS_EXPORTER=prometheus');
  });

  it('OTEL_SERVICE_NAME names the service; OTEL_TRACES_SAMPLER is left to the SDK; the test trace file samples everything', () => {
    expect(telemetrySettings('records', { OTEL_SERVICE_NAME: 'records-az-a' }).serviceName).toBe('records-az-a');
    expect(telemetrySettings('records', { OTEL_TRACES_SAMPLER: 'always_off' }).defaultSampler).toBeUndefined();
    expect(telemetrySettings('records', { MCH_TRACE_FILE: '/tmp/s.jsonl' }).defaultSampler).toBe('always_on');
  });
});
