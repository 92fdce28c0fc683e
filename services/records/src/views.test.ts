import {
  FULL_VISIBILITY,
  decodeRiskCursor,
  encodeRiskCursor,
  toAssessment,
  toRiskStatus,
  toVisit,
  Visibility,
} from './views';
import type { AssessmentRow, PregnancyRow, VisitRow } from './repository';

const restricted: Visibility = {
  sensitive: false,
  sensitiveColours: new Set(['purple']),
  sensitiveRules: new Set(['hiv', 'syphilis']),
};

const visit: VisitRow = {
  id: 'v1',
  pregnancy_id: 'p1',
  patient_id: 'm1',
  visit_date: '2026-05-01',
  ga_days: 120,
  institution_id: 'i1',
  author_id: 'a1',
  systolic_bp: 120,
  diastolic_bp: 80,
  weight_kg: '61.5',
  fundal_height_cm: null,
  fetal_heart_rate: null,
  proteinuria: 1,
  haemoglobin: null,
  platelet_count: null,
  findings: ['twins', 'hiv'],
  labs: [{ code: 'HIV', result: 'positive', resultedOn: '2026-05-01' }],
  notes: '',
  notes_sensitivity: 'plain',
  screen_positive: true,
  screen_reasons: ['twins', 'hiv'],
  record_version: 3,
  content_done: [],
};

describe('withholding sensitive entries', () => {
  it('keeps everything for the treating team', () => {
    const view = toVisit(visit, FULL_VISIBILITY);
    expect(view.labs).toHaveLength(1);
    expect(view.findings).toEqual(['twins', 'hiv']);
    expect(view.weightKg).toBe(61.5);
    expect(view.fundalHeightCm).toBeUndefined();
  });

  it('drops infectious labs, infectious findings and the screen reasons that name them for anyone else', () => {
    const view = toVisit(visit, restricted);
    expect(view.labs).toEqual([]);
    expect(view.findings).toEqual(['twins']);
    expect(view.screenReasons).toEqual(['twins']);
    expect(view.screenPositive).toBe(true);
  });

  it('drops purple beside a graded colour, and the rules that gave it', () => {
    const pregnancy = {
      risk_colour: 'yellow',
      risk_beside: ['purple'],
      screen_positive: true,
      screen_reasons: ['twins', 'hiv'],
      in_case_management: true,
      risk_graded_at: null,
    } as unknown as PregnancyRow;
    expect(toRiskStatus(pregnancy, restricted)).toMatchObject({
      colour: 'yellow',
      besideColours: [],
      screenReasons: ['twins'],
    });
    const assessment = {
      proposed_beside: ['purple'],
      beside_colours: ['purple'],
      fired_rules: [
        { ruleId: 'twins', colour: 'yellow', labelZh: '双胎', labelEn: 'Twins' },
        { ruleId: 'hiv', colour: 'purple', labelZh: 'HIV', labelEn: 'HIV' },
      ],
      institution_id: null,
    } as unknown as AssessmentRow;
    const view = toAssessment(assessment, restricted);
    expect(view.firedRules.map((rule) => rule.ruleId)).toEqual(['twins']);
    expect(view.besideColours).toEqual([]);
    expect(view.proposedBesideColours).toEqual([]);
  });
});

describe('withholding sensitive free text', () => {
  it('a grading reason classified sensitive is withheld where purple is, and the assessment says so', () => {
    const assessment = {
      proposed_beside: [],
      beside_colours: ['purple'],
      fired_rules: [],
      reason: '重度高血压; HIV',
      reason_sensitivity: 'names-sensitive',
      institution_id: null,
    } as unknown as AssessmentRow;
    expect(toAssessment(assessment, restricted)).toMatchObject({ reason: '', textWithheld: true, besideColours: [] });
    expect(toAssessment(assessment, FULL_VISIBILITY)).toMatchObject({
      reason: '重度高血压; HIV',
      textWithheld: false,
      besideColours: ['purple'],
    });
  });

  it('visit notes: sensitive and unclassified notes are withheld, plain and author-cleared ones are not', () => {
    expect(toVisit({ ...visit, notes: 'RPR 1:8', notes_sensitivity: 'names-sensitive' }, restricted)).toMatchObject({
      notes: '',
      textWithheld: true,
    });
    expect(toVisit({ ...visit, notes: '复查', notes_sensitivity: 'unclassified' }, restricted)).toMatchObject({
      notes: '',
      textWithheld: true,
    });
    expect(toVisit({ ...visit, notes: '复查', notes_sensitivity: 'author-cleared' }, restricted)).toMatchObject({
      notes: '复查',
      textWithheld: false,
    });
    expect(toVisit({ ...visit, notes: '复查', notes_sensitivity: 'plain' }, restricted)).toMatchObject({
      notes: '复查',
      textWithheld: false,
    });
  });
});

describe('risk outbox cursors', () => {
  it('round-trip and refuse anything else', () => {
    expect(decodeRiskCursor(encodeRiskCursor('123456', '42'))).toEqual({ txid: '123456', id: '42' });
    expect(decodeRiskCursor('')).toEqual({ txid: '0', id: '0' });
    expect(decodeRiskCursor(Buffer.from("1:2'; drop").toString('base64url'))).toBeUndefined();
  });
});
