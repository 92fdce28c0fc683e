// Field by role (issue 28 §2): every field of a complete record read answer, taken from the proto descriptors (not a
// hand list), read as each kind of reader (each staff role, from the institution that treats her or another, in her
// county or another, with and without a treating relationship, with each purpose; the patient, her guardian,
// another resident), compared against the privacy rules table kept as data (services/records/data/privacy-rules.json).
// A new field in the protos without a rule fails here, as does a rule for a field that no longer exists, and a field
// the complete record leaves empty (a rule that could not fail).
import type { Principal, RoleName } from '../../common/src/auth/principal';
import { canAccessPatient, type Purpose } from '../../common/src/auth/policy';
import type { CallContext } from '../../common/src/grpc/context';
import {
  FIELD_RULES,
  collectValues,
  isDefault,
  loadPrivacyRules,
  PRESENT,
  reachableFields,
  type FieldRule,
} from '../test/privacy-rules';
import { RecordAccess } from './access';
import { defaultRecordsDataDir, loadRecordsReferenceData } from './domain';
import { assembleRecord } from './read-service';
import type { RecordSnapshot, VersionRow } from './repository';
import { toRecordVersion, type Visibility } from './views';

const rules = loadPrivacyRules();
const access = new RecordAccess(
  undefined as never,
  undefined as never,
  loadRecordsReferenceData(defaultRecordsDataDir()),
);
const TODAY = '2026-12-07';
const PATIENT = '00000000-0000-4000-8000-00000000000a';
const CHILD = '00000000-0000-4000-8000-00000000000c';

// Institutions: the two that treat her (one in her county, Lufeng, one in Shuangbai) and one of each county that does not.
const INSTITUTIONS = {
  'treating, her county': 'inst-lufeng-guangtong',
  'not treating, her county': 'inst-lufeng-heijing',
  'treating, another county': 'inst-shuangbai-dazhuang',
  'not treating, another county': 'inst-shuangbai-tuodian',
} as const;
const TREATING: string[] = [INSTITUTIONS['treating, her county'], INSTITUTIONS['treating, another county']];

const ruleSet = access.ruleSetOn(TODAY);
const restricted = access.restrictedVisibility(TODAY);
function ruleWhere(test: (rule: (typeof ruleSet.rules)[number]) => boolean): (typeof ruleSet.rules)[number] {
  const found = ruleSet.rules.find(test);
  if (!found) throw new Error('the rule set lacks a rule the complete record needs');
  return found;
}
const sensitiveRule = ruleWhere((rule) => rule.colour === 'purple');
const plainRule = ruleWhere((rule) => !restricted.sensitiveRules.has(rule.id) && rule.colour === 'orange');

/** Every value the complete record carries that a reader who may not see her sensitive facts must never get. */
const SENSITIVE_VALUES = new Set<unknown>([
  'purple',
  'hiv',
  'postpartum_depression',
  sensitiveRule.id,
  sensitiveRule.label.zh,
  sensitiveRule.label.en,
]);

const NOTE = 'HIV阳性，已转诊';
const at = new Date('2026-12-01T08:00:00Z');

/** A record with every field of the answers set, sensitive content in every place that can hold it. */
function completeRecord(): RecordSnapshot {
  const pregnancyId = '00000000-0000-4000-8000-0000000000b1';
  const fired = (rule: typeof plainRule) => ({
    ruleId: rule.id,
    colour: rule.colour,
    labelZh: rule.label.zh,
    labelEn: rule.label.en,
  });
  const common = {
    patient_id: PATIENT,
    institution_id: INSTITUTIONS['treating, her county'],
    author_id: 'author-1',
    record_version: 2,
  };
  return {
    version: 7,
    updatedAt: at,
    pregnancies: [
      {
        id: pregnancyId,
        patient_id: PATIENT,
        county_code: 'lufeng',
        maternal_birth_date: '1994-05-12',
        lmp: '2026-05-01',
        edd: '2027-02-05',
        dating_method: 'ultrasound',
        registered_on: '2026-06-20',
        registered_ga_days: 50,
        registered_at: INSTITUTIONS['treating, her county'],
        registered_by: 'author-1',
        pre_pregnancy_bmi: '21.5',
        findings: ['hiv', 'twin_pregnancy'],
        status: 'active',
        risk_colour: 'red',
        risk_beside: ['purple'],
        risk_graded_at: at,
        screen_positive: true,
        screen_reasons: [plainRule.id, sensitiveRule.id],
        in_case_management: true,
        record_version: 2,
        created_at: at,
        regrade_proposal: {
          id: '00000000-0000-4000-8000-0000000000aa',
          ruleSetId: 'cn-2017-five-colour',
          confirmedColour: 'red',
          confirmedBeside: ['purple'],
          proposedColour: 'orange',
          proposedBeside: ['purple'],
          ruleIds: [plainRule.id, sensitiveRule.id],
          proposedAt: at.toISOString(),
        },
      },
    ],
    visits: [
      {
        ...common,
        id: 'visit-1',
        pregnancy_id: pregnancyId,
        visit_date: '2026-11-30',
        ga_days: 213,
        systolic_bp: 168,
        diastolic_bp: 112,
        weight_kg: '62.5',
        fundal_height_cm: '30',
        fetal_heart_rate: 140,
        proteinuria: 3,
        haemoglobin: '105',
        platelet_count: '180',
        findings: ['hiv', 'twin_pregnancy'],
        labs: [{ code: 'HIV', result: 'positive', resultedOn: '2026-11-29' }],
        notes: NOTE,
        notes_sensitivity: 'names-sensitive',
        screen_positive: true,
        screen_reasons: [plainRule.id, sensitiveRule.id],
        content_done: ['ogtt-75g'],
      },
    ],
    assessments: [
      {
        ...common,
        id: 'assessment-1',
        pregnancy_id: pregnancyId,
        kind: 'grade',
        assessed_on: '2026-11-30',
        rule_set_id: ruleSet.id,
        proposed_colour: 'orange',
        proposed_beside: ['purple'],
        fired_rules: [fired(plainRule), fired(sensitiveRule)],
        unassessed_metrics: ['platelet_count'],
        colour: 'red',
        beside_colours: ['purple'],
        overrides_proposal: true,
        reason: `重度高血压; ${NOTE}`,
        reason_sensitivity: 'names-sensitive',
        screen_positive: true,
        in_case_management: true,
        assessor_id: 'assessor-1',
        recorded_at: at,
      },
    ],
    deliveries: [
      {
        patient_id: PATIENT,
        pregnancy_id: pregnancyId,
        delivery_date: '2026-12-02',
        discharge_date: '2026-12-05',
        mode: 2,
        outcome: 1,
        ga_days: 215,
        institution_id: INSTITUTIONS['treating, her county'],
        record_version: 3,
        place_of_delivery: 2,
        newborns: [
          {
            childPatientId: CHILD,
            birthOrder: 1,
            sex: 'female',
            birthWeightGrams: 2900,
            birthLengthCm: 49,
            birthCertificateNumber: 'O123456789',
          },
        ],
      },
    ],
    postpartumVisits: [
      {
        ...common,
        id: 'pp-1',
        pregnancy_id: pregnancyId,
        kind: 'home',
        service: 'postpartum-visit',
        visit_date: '2026-12-06',
        days_after_delivery: 4,
        systolic_bp: 120,
        diastolic_bp: 80,
        temperature_c: '36.8',
        breastfeeding: 1,
        uterine_involution: 1,
        lochia: 1,
        wound: 1,
        findings: ['postpartum_depression', 'mastitis'],
        notes: 'EPDS 14分',
        notes_sensitivity: 'names-sensitive',
      },
    ],
    imagingStudies: [
      {
        ...common,
        id: 'img-1',
        pregnancy_id: pregnancyId,
        study_instance_uid: '1.2.3.4',
        modality: 'US',
        study_date: '2026-11-28',
        object_id: 'obj-1',
        findings: '双胎; HIV孕妇',
        findings_sensitivity: 'names-sensitive',
      },
    ],
    child: {
      patient_id: PATIENT,
      mother_patient_id: '00000000-0000-4000-8000-00000000000d',
      pregnancy_id: pregnancyId,
      birth_date: '2026-12-02',
      sex: 'female',
      discharge_date: '2026-12-05',
      birth_order: 1,
      birth_weight_grams: 2900,
      birth_length_cm: '49',
      county_code: 'lufeng',
    },
    growth: [
      {
        id: 'growth-1',
        patient_id: PATIENT,
        measured_on: '2026-12-06',
        age_days: 4,
        weight_kg: '3.1',
        length_height_cm: '50',
        position: 'recumbent',
        head_circumference_cm: '34',
        // Underweight by weight-for-age; weight-for-length outside WHO's plausible range (flagged).
        z_scores: [
          { indicator: 'weight-for-age', zScore: -2.5, restricted: true, reference: 'who-2006' },
          { indicator: 'weight-for-length', zScore: 5.5, restricted: true, reference: 'who-2006' },
        ],
        institution_id: INSTITUTIONS['treating, her county'],
        author_id: 'author-1',
      },
    ],
    immunizations: [
      {
        id: 'imm-1',
        patient_id: PATIENT,
        vaccine: 'HepB',
        programme_vaccine: 'HepB',
        dose: 1,
        given_on: '2026-12-02',
        lot_number: 'L1',
        institution_id: INSTITUTIONS['treating, her county'],
        author_id: 'author-1',
      },
    ],
    // Deferrals are not part of the record answer (GetPatientRecordResponse has no field for them yet).
    deferrals: [],
    screenings: [
      {
        id: 'scr-1',
        patient_id: PATIENT,
        kind: 1,
        instrument: 'ASQ-3',
        screened_on: '2026-12-06',
        score: '12',
        result: 2,
        notes: '需复查',
        institution_id: INSTITUTIONS['treating, her county'],
        author_id: 'author-1',
      },
    ],
    checks: [
      {
        ...common,
        id: 'check-1',
        service: 'newborn-visit',
        checked_on: '2026-12-06',
        age_days: 4,
        development: 1,
        feeding: 1,
        haemoglobin: '150',
        notes: '母亲HIV阳性，人工喂养',
        notes_sensitivity: 'names-sensitive',
        growth_measurement_id: 'growth-1',
      },
    ],
    newbornScreenings: [
      {
        id: 'nbs-1',
        patient_id: PATIENT,
        programme: 'hearing',
        stage: 'initial',
        performed_on: '2026-12-05',
        results: { left: 'refer', right: 'pass' },
        notes: '母亲HIV阳性，复筛',
        notes_sensitivity: 'names-sensitive',
        institution_id: INSTITUTIONS['treating, her county'],
        author_id: 'author-1',
      },
    ],
    warningSignChecks: [
      {
        id: 'wsc-1',
        patient_id: PATIENT,
        checked_on: '2026-12-06',
        band_months: 3,
        answers: [{ code: 'm3-1', present: true }],
        positive: ['m3-1'],
        institution_id: INSTITUTIONS['treating, her county'],
        author_id: 'author-1',
      },
    ],
  };
}

const VERSIONS: VersionRow[] = [
  {
    patient_id: PATIENT,
    version: 7,
    change: 'risk.grade',
    entity_id: 'assessment-1',
    author_id: 'author-1',
    institution_id: INSTITUTIONS['treating, her county'],
    reason: NOTE,
    reason_sensitivity: 'names-sensitive',
    recorded_at: at,
  },
];

/** The two read answers as a reader with `visibility` gets them. */
function answers(visibility: Visibility): Record<string, unknown> {
  return {
    'mch.records.v1.GetPatientRecordResponse': {
      record: assembleRecord(PATIENT, completeRecord(), visibility, TODAY, access.reference.childHealth),
    },
    'mch.records.v1.ListRecordHistoryResponse': {
      versions: VERSIONS.map((row) => toRecordVersion(row, visibility)),
      nextPageToken: 'next',
      currentVersion: 7,
    },
  };
}

function valuesOf(visibility: Visibility): Map<string, unknown[]> {
  const all = new Map<string, unknown[]>();
  for (const [answer, value] of Object.entries(answers(visibility)))
    for (const [key, list] of collectValues(answer, value)) all.set(key, [...(all.get(key) ?? []), ...list]);
  return all;
}

const full = valuesOf({ ...restricted, sensitive: true });
const withheld = valuesOf(restricted);
const fields = reachableFields(rules.answers);

/** Checks one field of a reader's answer against its rule; returns what is wrong, or undefined. */
function violation(
  rule: FieldRule,
  shown: readonly unknown[],
  whole: readonly unknown[],
  maySee: boolean,
): string | undefined {
  const same = JSON.stringify(shown) === JSON.stringify(whole);
  if (rule === 'open' || maySee) {
    if (rule === 'withheld-marker')
      return shown.every(isDefault) ? undefined : `says withheld: ${JSON.stringify(shown)}`;
    return same ? undefined : `shows ${JSON.stringify(shown)}, the record holds ${JSON.stringify(whole)}`;
  }
  switch (rule) {
    case 'sensitive':
    case 'sensitive-text':
      return shown.every(isDefault) ? undefined : `shows ${JSON.stringify(shown)}`;
    case 'withheld-marker':
      return shown.length > 0 && shown.every((value) => value === true)
        ? undefined
        : `does not say withheld: ${JSON.stringify(shown)}`;
    case 'sensitive-values': {
      if (shown.some((value) => SENSITIVE_VALUES.has(value)))
        return `shows a sensitive value: ${JSON.stringify(shown)}`;
      if (whole.every((value) => value === PRESENT))
        return shown.length > 0 && shown.length < whole.length
          ? undefined
          : `keeps ${shown.length} of ${whole.length} entries`;
      const plain = whole.filter((value) => !SENSITIVE_VALUES.has(value));
      return JSON.stringify(shown) === JSON.stringify(plain)
        ? undefined
        : `shows ${JSON.stringify(shown)}, not its plain values ${JSON.stringify(plain)}`;
    }
    default:
      return `unknown rule ${String(rule)}`;
  }
}

describe('the privacy rules table', () => {
  it('has a rule for every field of the read answers in the protos, and none for a field that is not there', () => {
    const missing = fields.filter((field) => !(field in rules.fields));
    const stale = Object.keys(rules.fields).filter((field) => !fields.includes(field));
    expect({ missing, stale }).toEqual({ missing: [], stale: [] });
    expect(Object.values(rules.fields).filter((rule) => !FIELD_RULES.includes(rule))).toEqual([]);
  });

  it('is checked against a complete record: every field holds a value (markers: for a reader they withhold from)', () => {
    const empty = fields.filter((field) => {
      const values = rules.fields[field] === 'withheld-marker' ? withheld.get(field) : full.get(field);
      return !(values ?? []).some((value) => !isDefault(value));
    });
    expect(empty).toEqual([]);
  });
});

type Scenario = {
  name: string;
  reader: string;
  principal: Principal;
  purpose: Purpose | undefined;
  breakGlassReason?: string;
  treating: boolean;
};

const staff = (role: RoleName, institutionId: string): Principal => ({
  subject: `${role}-${institutionId}`,
  kind: 'staff',
  roles: [role],
  institutionId,
  analystScope: role === 'analyst' ? 'lufeng' : undefined,
  patientId: undefined,
  childPatientIds: [],
  tokenId: 't',
});
const resident = (patientId: string, children: string[] = []): Principal => ({
  subject: `resident-${patientId}`,
  kind: 'resident',
  roles: [],
  institutionId: undefined,
  analystScope: undefined,
  patientId,
  childPatientIds: children,
  tokenId: 't',
});

const PURPOSES: readonly [string, Purpose | undefined, string | undefined][] = [
  ['no purpose', undefined, undefined],
  ['treatment', 'treatment', undefined],
  ['referral', 'referral', undefined],
  ['break-glass with a reason', 'break-glass', 'eclampsia, her team unreachable'],
  ['break-glass with too short a reason', 'break-glass', 'urgent'],
];

const SCENARIOS: Scenario[] = [
  ...(['clinician', 'midwife', 'institution-admin', 'analyst', 'platform-admin'] as const).flatMap((role) =>
    Object.entries(INSTITUTIONS).flatMap(([where, institutionId]) =>
      PURPOSES.map(([purposeName, purpose, reason]) => ({
        name: `${role}, ${where}, ${purposeName}`,
        reader: role,
        principal: staff(role, institutionId),
        purpose,
        ...(reason ? { breakGlassReason: reason } : {}),
        treating: TREATING.includes(institutionId),
      })),
    ),
  ),
  {
    name: 'the patient herself',
    reader: 'resident-self',
    principal: resident(PATIENT),
    purpose: undefined,
    treating: false,
  },
  {
    name: 'her guardian',
    reader: 'resident-guardian',
    principal: resident('00000000-0000-4000-8000-0000000000ee', [PATIENT]),
    purpose: undefined,
    treating: false,
  },
  {
    name: 'another resident',
    reader: 'resident-other',
    principal: resident('00000000-0000-4000-8000-0000000000ff'),
    purpose: undefined,
    treating: false,
  },
];

/** What the table says this reader may do. */
function expected(scenario: Scenario): { reads: boolean; sensitive: boolean } {
  const rule = rules.readers[scenario.reader];
  if (!rule) throw new Error(`no reader rule for ${scenario.reader}`);
  const reads = rule.reads === 'always' || (rule.reads === 'with-purpose' && scenario.purpose !== undefined);
  const grants = rule.sensitive ?? [];
  const breakGlass =
    scenario.purpose === 'break-glass' &&
    (scenario.breakGlassReason ?? '').trim().length >= rules.breakGlassMinReasonChars;
  const sensitive =
    reads &&
    (grants.includes('always') ||
      (grants.includes('treating-team') && scenario.treating) ||
      (grants.includes('break-glass') && breakGlass));
  return { reads, sensitive };
}

describe.each(SCENARIOS)('the record read by $name', (scenario) => {
  const ctx = {
    principal: scenario.principal,
    purpose: scenario.purpose,
    breakGlassReason: scenario.breakGlassReason,
  } as unknown as CallContext;
  const want = expected(scenario);

  it(want.reads ? 'is read, every field as the table rules' : 'is refused', () => {
    expect(canAccessPatient(scenario.principal, PATIENT, scenario.purpose).allowed).toBe(want.reads);
    if (!want.reads) return;
    const { visibility } = access.visibilityFor(ctx, PATIENT, TREATING, TODAY);
    expect(visibility.sensitive).toBe(want.sensitive);
    const shown = valuesOf(visibility);
    const wrong = fields.flatMap((field) => {
      const problem = violation(
        rules.fields[field] as FieldRule,
        shown.get(field) ?? [],
        full.get(field) ?? [],
        want.sensitive,
      );
      return problem ? [`${field} (${rules.fields[field]}): ${problem}`] : [];
    });
    expect(wrong).toEqual([]);
  });
});
