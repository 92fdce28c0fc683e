// The Bulk Data kick-off's parameter rules, the manifest's shape and the county Groups, checked without a platform.
import { COUNTIES, countyGroup } from '../../../common/src/fhir/groups';
import { BulkExportStatus } from '../../../common/src/gen/mch/records/v1/records';
import { validationErrors } from '../../test/fhir-validator';
import { manifest, parseKickOff } from './bulk-export';
import { capabilityStatement } from './capability-statement';
import { FhirError } from './operation-outcome';

function refusal(run: () => unknown): { status: number; expression: string[] | undefined } {
  try {
    run();
  } catch (error) {
    if (error instanceof FhirError) return { status: error.httpStatus, expression: error.outcome.issue[0]?.expression };
    throw error;
  }
  throw new Error('accepted');
}

describe('parseKickOff', () => {
  const async = 'respond-async';

  it('needs Prefer: respond-async', () => {
    expect(refusal(() => parseKickOff({}, undefined))).toEqual({ status: 400, expression: ['Prefer'] });
    expect(refusal(() => parseKickOff({}, 'return=minimal'))).toEqual({ status: 400, expression: ['Prefer'] });
    expect(parseKickOff({}, 'handling=strict, respond-async')).toEqual({ resourceTypes: [], since: undefined });
  });

  it('reads _type as a list (comma-separated or repeated), without duplicates', () => {
    expect(parseKickOff({ _type: 'Observation,Immunization' }, async).resourceTypes).toEqual([
      'Observation',
      'Immunization',
    ]);
    expect(parseKickOff({ _type: ['Observation', 'Observation,Encounter'] }, async).resourceTypes).toEqual([
      'Observation',
      'Encounter',
    ]);
  });

  it('names the parameter it refuses', () => {
    const cases: [Record<string, string>, string][] = [
      [{ _type: 'Practitioner' }, '_type'],
      [{ _type: 'Observation,' }, '_type'],
      [{ _since: '2026-12-01' }, '_since'],
      [{ _since: '2026-13-45T00:00:00Z' }, '_since'],
      [{ _since: '2999-01-01T00:00:00Z' }, '_since'],
      [{ _outputFormat: 'text/csv' }, '_outputFormat'],
      [{ _typeFilter: 'Observation?code=x' }, '_typeFilter'],
      [{ patient: 'Patient/x' }, 'patient'],
    ];
    for (const [query, name] of cases)
      expect([query, refusal(() => parseKickOff(query, async))]).toEqual([query, { status: 400, expression: [name] }]);
  });

  it('accepts the NDJSON output formats and a FHIR instant', () => {
    for (const format of ['application/fhir+ndjson', 'application/ndjson', 'ndjson'])
      expect(parseKickOff({ _outputFormat: format }, async).resourceTypes).toEqual([]);
    expect(parseKickOff({ _since: '2026-12-01T08:00:00+08:00' }, async).since?.toISOString()).toBe(
      '2026-12-01T00:00:00.000Z',
    );
  });
});

it('the manifest lists each file with its url and count, and requires the access token', () => {
  const transactionTime = new Date('2026-12-08T01:02:03Z');
  expect(
    manifest('https://gw/fhir/R4', {
      jobId: 'j1',
      status: BulkExportStatus.BULK_EXPORT_STATUS_COMPLETED,
      transactionTime,
      requestUrl: 'https://gw/fhir/R4/Group/lufeng/$export',
      patientsDone: 3,
      patientsTotal: 3,
      files: [
        { resourceType: 'Observation', fileIndex: 0, count: 10 },
        { resourceType: 'Observation', fileIndex: 1, count: 2 },
      ],
      error: '',
      expiresAt: undefined,
    }),
  ).toEqual({
    transactionTime: '2026-12-08T01:02:03.000Z',
    request: 'https://gw/fhir/R4/Group/lufeng/$export',
    requiresAccessToken: true,
    output: [
      { type: 'Observation', url: 'https://gw/fhir/R4/$export-file/j1/Observation/0.ndjson', count: 10 },
      { type: 'Observation', url: 'https://gw/fhir/R4/$export-file/j1/Observation/1.ndjson', count: 2 },
    ],
    error: [],
  });
});

it('every county Group and the CapabilityStatement that advertises $export validate', () => {
  for (const code of Object.keys(COUNTIES)) expect(validationErrors(countyGroup(code)!)).toEqual([]);
  expect(countyGroup('atlantis')).toBeUndefined();
  const capability = capabilityStatement('https://gw/fhir/R4', 'test');
  expect(validationErrors(capability)).toEqual([]);
  expect(capability.rest?.[0]?.operation?.map((operation) => operation.name)).toEqual(['export']);
});
