// Sensitive facts do not leak through free text (issue 28), through the gateway on the real platform: a county
// clinician grades a woman red with purple beside it, giving the reason "重度高血压; HIV"; a midwife of another
// county reading her record with a treatment purpose is denied the HIV lab and purple, and now the reason too, in
// the record and its history, while her treating team and a break-glass reader see it; the match is audited.
import { matchSensitiveTerms } from '../../common/src/sensitive-text';
import { call, daysBefore, loginAll, newMother, ok, recordOf, recordsAuditOf } from './support';

beforeAll(async () => {
  await loginAll(['lufeng.midwife', 'lufeng.clinician', 'shuangbai.midwife']);
});

const glass = {
  'x-mch-purpose': 'break-glass',
  'x-mch-break-glass-reason': 'eclampsia emergency, treating team unreachable',
};

async function historyOf(user: string, patientId: string, headers: Record<string, string> = {}): Promise<any[]> {
  return (await ok(call(user, 'GET', `/v1/patients/${patientId}/record/history?pageSize=200`, undefined, headers)))
    .versions;
}

describe('free text beside sensitive facts', () => {
  let motherId: string;
  let pregnancyId: string;

  beforeAll(async () => {
    motherId = await newMother();
    const reg = await ok(
      call('lufeng.midwife', 'POST', `/v1/patients/${motherId}/pregnancies`, { lmp: daysBefore(200) }),
    );
    pregnancyId = reg.pregnancy.id;
    await ok(
      call('lufeng.midwife', 'POST', `/v1/pregnancies/${pregnancyId}/visits`, {
        visitDate: daysBefore(10),
        systolicBp: 168,
        diastolicBp: 112,
        labs: [{ code: 'HIV', result: 'positive' }],
        notes: '血压高，已通知县医院',
        reason: '产检',
      }),
    );
    await ok(
      call('lufeng.midwife', 'POST', `/v1/pregnancies/${pregnancyId}/visits`, {
        visitDate: daysBefore(3),
        systolicBp: 150,
        diastolicBp: 95,
        notes: '血压复查',
      }),
    );
    const graded = await ok(
      call('lufeng.clinician', 'POST', `/v1/pregnancies/${pregnancyId}/risk-assessments`, {
        colour: 'red',
        besideColours: ['purple'],
        reason: '重度高血压; HIV',
      }),
    );
    expect(graded.assessment).toMatchObject({ colour: 'red', besideColours: ['purple'], reason: '重度高血压; HIV' });
  });

  it('the midwife of another county, reading for treatment, sees neither purple, the lab, nor the reason naming HIV', async () => {
    const record = await recordOf('shuangbai.midwife', motherId);
    expect(record.sensitiveWithheld).toBe(true);
    const pregnancy = record.pregnancies[0];
    expect(pregnancy.risk.colour).toBe('red');
    expect(pregnancy.risk.besideColours ?? []).toEqual([]);
    const grade = pregnancy.riskAssessments.find((a: { kind: string }) => a.kind === 'grade');
    expect(grade).toMatchObject({ colour: 'red', textWithheld: true });
    expect(grade.reason ?? '').toBe('');
    // The visit with the HIV lab: its notes accompany the lab, so they go with it; the later plain visit keeps its notes.
    const [withLab, plain] = pregnancy.visits;
    expect(withLab.labs ?? []).toEqual([]);
    expect(withLab.notes ?? '').toBe('');
    expect(withLab.textWithheld).toBe(true);
    expect(plain).toMatchObject({ notes: '血压复查' });
    expect(plain.textWithheld ?? false).toBe(false);
    // Nothing anywhere in what she reads names the condition.
    expect(matchSensitiveTerms(JSON.stringify(record))).toEqual([]);
  });

  it('nor does the record history show the grade reason', async () => {
    const versions = await historyOf('shuangbai.midwife', motherId);
    const grade = versions.find((v: { change: string }) => v.change === 'risk.grade');
    expect(grade).toMatchObject({ textWithheld: true });
    expect(grade.reason ?? '').toBe('');
    expect(matchSensitiveTerms(JSON.stringify(versions))).toEqual([]);
  });

  it('her treating team and a break-glass reader see the reason and the notes', async () => {
    for (const [user, headers] of [
      ['lufeng.midwife', {}],
      ['shuangbai.midwife', glass],
    ] as const) {
      const record = await recordOf(user, motherId, headers);
      const grade = record.pregnancies[0].riskAssessments.find((a: { kind: string }) => a.kind === 'grade');
      expect(grade).toMatchObject({ reason: '重度高血压; HIV', besideColours: ['purple'] });
      expect(grade.textWithheld ?? false).toBe(false);
      expect(record.pregnancies[0].visits[0]).toMatchObject({ notes: '血压高，已通知县医院' });
      const versions = await historyOf(user, motherId, headers);
      expect(versions.find((v: { change: string }) => v.change === 'risk.grade')).toMatchObject({
        reason: '重度高血压; HIV',
      });
    }
  });

  it('audits the match by field and category, never the text', async () => {
    const matches = (await recordsAuditOf(motherId)).filter((event) => event.action === 'text.sensitive-terms');
    expect(matches.map((event) => event.reason)).toEqual([
      expect.stringMatching(/^field=risk_assessment\.reason; categories=hiv; list=\S+$/),
    ]);
    expect(matches[0]).toMatchObject({ actorId: expect.any(String), outcome: 'allowed' });
    expect(JSON.stringify(matches)).not.toContain('重度高血压');
  });
});

describe('the author marks text beside a sensitive fact as not sensitive', () => {
  it('cleared notes are shown to others; notes naming a listed condition are withheld whatever the author says', async () => {
    const motherId = await newMother();
    const reg = await ok(
      call('lufeng.midwife', 'POST', `/v1/patients/${motherId}/pregnancies`, { lmp: daysBefore(120) }),
    );
    const visit = (notes: string, days: number, textNotSensitive: boolean) =>
      ok(
        call('lufeng.midwife', 'POST', `/v1/pregnancies/${reg.pregnancy.id}/visits`, {
          visitDate: daysBefore(days),
          labs: [{ code: 'TPPA', result: 'positive' }],
          notes,
          textNotSensitive,
        }),
      );
    await visit('两周后复诊', 30, true);
    await visit('两周后复诊', 20, false);
    await visit('ＴＰＰＡ阳性，两周后复诊', 10, true);

    const visits = (await recordOf('shuangbai.midwife', motherId)).pregnancies[0].visits;
    expect(visits.map((v: { notes?: string }) => v.notes ?? '')).toEqual(['两周后复诊', '', '']);
    expect(visits.map((v: { textWithheld?: boolean }) => v.textWithheld ?? false)).toEqual([false, true, true]);
    const treating = (await recordOf('lufeng.midwife', motherId)).pregnancies[0].visits;
    expect(treating.map((v: { notes: string }) => v.notes)).toEqual([
      '两周后复诊',
      '两周后复诊',
      'ＴＰＰＡ阳性，两周后复诊',
    ]);
    const matches = (await recordsAuditOf(motherId)).filter((event) => event.action === 'text.sensitive-terms');
    expect(matches.map((event) => event.reason)).toEqual([
      expect.stringMatching(/^field=antenatal_visit\.notes; categories=syphilis;/),
    ]);
  });

  it('text naming a listed condition is sensitive even on an entry with no sensitive fact', async () => {
    const motherId = await newMother();
    const reg = await ok(
      call('lufeng.midwife', 'POST', `/v1/patients/${motherId}/pregnancies`, { lmp: daysBefore(90) }),
    );
    await ok(
      call('lufeng.midwife', 'POST', `/v1/pregnancies/${reg.pregnancy.id}/visits`, {
        visitDate: daysBefore(5),
        notes: 'EPDS 14分，情绪低落',
        reason: '随访',
      }),
    );
    const visit = (await recordOf('shuangbai.midwife', motherId)).pregnancies[0].visits[0];
    expect(visit.notes ?? '').toBe('');
    expect(visit.textWithheld).toBe(true);
  });
});
