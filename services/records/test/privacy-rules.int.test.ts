// Field by role through the gateway (issue 28 §2): a record with an HIV lab, an HIV finding, notes and a red+purple
// grade whose reason names HIV, read with its history by the midwife who treats her and by a midwife of another
// county (treatment purpose), each field walked from the proto descriptors over the JSON answers and checked
// against the privacy rules table: the other county's midwife gets every open field exactly as the treating team
// does, none of the sensitive or sensitive-text fields, no sensitive value, and the markers set.
import { collectValues, isDefault, loadPrivacyRules, PRESENT, reachableFields, type FieldRule } from './privacy-rules';
import { call, daysBefore, loginAll, newMother, ok, recordOf } from './support';

const rules = loadPrivacyRules();
const fields = reachableFields(rules.answers);

beforeAll(async () => {
  await loginAll(['lufeng.midwife', 'lufeng.clinician', 'shuangbai.midwife']);
});

async function answersOf(user: string, patientId: string): Promise<Map<string, unknown[]>> {
  const values = collectValues('mch.records.v1.GetPatientRecordResponse', { record: await recordOf(user, patientId) });
  const history = await ok(call(user, 'GET', `/v1/patients/${patientId}/record/history?pageSize=200`));
  for (const [key, list] of collectValues('mch.records.v1.ListRecordHistoryResponse', history))
    values.set(key, [...(values.get(key) ?? []), ...list]);
  return values;
}

describe('a record with HIV in its labs, findings, notes and grade, read by each side', () => {
  let treating: Map<string, unknown[]>;
  let other: Map<string, unknown[]>;

  beforeAll(async () => {
    const motherId = await newMother('1993-09-14');
    const reg = await ok(
      call('lufeng.midwife', 'POST', `/v1/patients/${motherId}/pregnancies`, {
        lmp: daysBefore(210),
        findings: ['hiv'],
      }),
    );
    await ok(
      call('lufeng.midwife', 'POST', `/v1/pregnancies/${reg.pregnancy.id}/visits`, {
        visitDate: daysBefore(4),
        systolicBp: 168,
        diastolicBp: 112,
        proteinuria: 'PROTEINURIA_PLUS_2',
        labs: [{ code: 'HIV', result: 'positive' }],
        notes: 'HIV阳性，已转县医院',
        reason: '产检',
      }),
    );
    await ok(
      call('lufeng.clinician', 'POST', `/v1/pregnancies/${reg.pregnancy.id}/risk-assessments`, {
        colour: 'red',
        besideColours: ['purple'],
        reason: '重度高血压; HIV',
      }),
    );
    treating = await answersOf('lufeng.midwife', motherId);
    other = await answersOf('shuangbai.midwife', motherId);
  });

  it('the treating midwife reads the sensitive fields', () => {
    for (const field of [
      'mch.records.v1.LabResult.code',
      'mch.records.v1.AntenatalVisit.notes',
      'mch.records.v1.RiskAssessment.reason',
      'mch.records.v1.RiskStatus.beside_colours',
      'mch.records.v1.RecordVersion.reason',
    ]) {
      expect([field, (treating.get(field) ?? []).some((value) => !isDefault(value))]).toEqual([field, true]);
    }
  });

  it('the midwife of another county reads every field as the table rules', () => {
    const firedPurple = new Set(
      (treating.get('mch.records.v1.FiredRule.colour') ?? []).flatMap((colour, index) =>
        colour === 'purple'
          ? ['rule_id', 'label_zh', 'label_en'].map((name) => treating.get(`mch.records.v1.FiredRule.${name}`)?.[index])
          : [],
      ),
    );
    const sensitiveValues = new Set<unknown>(['purple', 'hiv', ...firedPurple]);
    const wrong = fields.flatMap((field) => {
      const rule = rules.fields[field] as FieldRule;
      const shown = other.get(field) ?? [];
      const whole = treating.get(field) ?? [];
      const bad =
        rule === 'open'
          ? JSON.stringify(shown) !== JSON.stringify(whole)
          : rule === 'sensitive' || rule === 'sensitive-text'
            ? !shown.every(isDefault)
            : rule === 'sensitive-values'
              ? shown.some((value) => value !== PRESENT && sensitiveValues.has(value))
              : false;
      return bad ? [`${field} (${rule}): ${JSON.stringify(shown)} vs ${JSON.stringify(whole)}`] : [];
    });
    expect(wrong).toEqual([]);
    expect(other.get('mch.records.v1.PatientRecord.sensitive_withheld')).toEqual([true]);
    expect(other.get('mch.records.v1.RiskAssessment.text_withheld')).toContain(true);
    expect(other.get('mch.records.v1.AntenatalVisit.text_withheld')).toEqual([true]);
  });
});
