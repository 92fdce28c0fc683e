// Issue #25 through the gateway on the real platform: a grade confirmed under the old misgrading (BP 168/112 alone,
// red) is kept and a re-grade to orange proposed to the treating clinician by the sweep, idempotently; 168/112 with
// proteinuria 3+ proposes orange, not red; at a county hospital (2018 guideline) the 75 g OGTT is due at 24–28 weeks
// and overdue after 28+6.
import { createLogger } from '../../common/src/logger';
import { Database } from '../../common/src/pg/database';
import { findRiskRuleSet, defaultRecordsDataDir, loadRiskRuleSets } from '../src/domain';
import { proposeRegrades } from '../src/regrade';
import { RecordsRepository } from '../src/repository';
import { call, daysBefore, fieldsOf, loginAll, newMother, ok, platform, recordOf, today } from './support';

const ruleSet = findRiskRuleSet(loadRiskRuleSets(`${defaultRecordsDataDir()}/risk-rules`), 'cn-2017-five-colour');
let db: Database;

beforeAll(async () => {
  await loginAll(['lufeng.midwife', 'lufeng.clinician']);
  db = new Database({
    rwUrl: platform.rwUrl,
    schema: 'records',
    applicationName: 'women-int-test',
    poolMax: 2,
    statementTimeoutMs: 30_000,
    commitUnknownAfterMs: 10_000,
    logger: createLogger('women-int-test', 'warn'),
  });
});

afterAll(async () => {
  await db.close();
});

/** A woman registered at 10 weeks whose LMP was `lmpDaysAgo` days ago; returns her id and the pregnancy's. */
async function pregnantWoman(lmpDaysAgo: number): Promise<{ motherId: string; pregnancyId: string }> {
  const motherId = await newMother();
  const body = await ok(
    call('lufeng.midwife', 'POST', `/v1/patients/${motherId}/pregnancies`, {
      lmp: daysBefore(lmpDaysAgo),
      registeredOn: daysBefore(lmpDaysAgo - 70),
    }),
  );
  return { motherId, pregnancyId: body.pregnancy.id };
}

describe('re-grading grades confirmed under the old rules (#25 §2)', () => {
  let motherId: string;
  let pregnancyId: string;
  const sweep = (): ReturnType<typeof proposeRegrades> =>
    proposeRegrades(db, new RecordsRepository(db), ruleSet, createLogger('women-int-test', 'warn'), {
      patientIds: [motherId],
    });

  it('a grade confirmed red for BP 168/112 alone (the old rule) keeps red; the sweep proposes orange to the clinician', async () => {
    ({ motherId, pregnancyId } = await pregnantWoman(200));
    await ok(
      call('lufeng.midwife', 'POST', `/v1/pregnancies/${pregnancyId}/visits`, {
        visitDate: daysBefore(30),
        systolicBp: 168,
        diastolicBp: 112,
      }),
    );
    const graded = await ok(
      call('lufeng.clinician', 'POST', `/v1/pregnancies/${pregnancyId}/risk-assessments`, {
        colour: 'red',
        reason: 'graded before the correction',
      }),
    );
    // The stored state a grade under the old rules left: the rules then proposed red (severe-hypertension, red).
    await db.rw.query(
      `UPDATE risk_assessments SET proposed_colour = 'red', overrides_proposal = false,
         fired_rules = '[{"ruleId":"severe-hypertension","colour":"red"}]' WHERE id = $1`,
      [graded.assessment.id],
    );
    const before = await recordOf('lufeng.clinician', motherId);
    expect(before.pregnancies[0].risk.colour).toBe('red');

    expect(await sweep()).toEqual({ examined: 1, proposed: 1 });

    const after = await recordOf('lufeng.clinician', motherId);
    expect(after.version).toBe(before.version + 1);
    const risk = after.pregnancies[0].risk;
    expect(risk.colour).toBe('red');
    expect(risk.inCaseManagement).toBe(true);
    expect(risk.screenPositive).toBe(true);
    expect(risk.regradeProposal).toMatchObject({
      ruleSetId: 'cn-2017-five-colour',
      confirmedColour: 'red',
      proposedColour: 'orange',
    });
    expect(risk.regradeProposal.ruleIds).toContain('severe-gestational-hypertension');
    // The confirmed assessment keeps its colour and reasons.
    const assessment = after.pregnancies[0].riskAssessments.find((a: { id: string }) => a.id === graded.assessment.id);
    expect(assessment.colour).toBe('red');
    const history = await ok(call('lufeng.clinician', 'GET', `/v1/patients/${motherId}/record/history?pageSize=5`));
    expect(history.versions[0]).toMatchObject({ change: 'risk.regrade-proposal', authorId: 'system:regrade' });
  });

  it('a second sweep proposes nothing and writes no version', async () => {
    const before = await recordOf('lufeng.clinician', motherId);
    expect(await sweep()).toEqual({ examined: 1, proposed: 0 });
    expect((await recordOf('lufeng.clinician', motherId)).version).toBe(before.version);
  });

  it('the clinician grades again: confirming the proposal makes her orange and closes the proposal', async () => {
    const body = await ok(call('lufeng.clinician', 'POST', `/v1/pregnancies/${pregnancyId}/risk-assessments`, {}));
    expect(body.assessment.colour).toBe('orange');
    expect(body.risk.colour).toBe('orange');
    expect(body.risk.regradeProposal).toBeUndefined();
    const { rows } = await db.rw.query<{ resolved_by: string | null }>(
      'SELECT resolved_by::text FROM risk_regrade_proposals WHERE pregnancy_id = $1',
      [pregnancyId],
    );
    expect(rows).toEqual([{ resolved_by: body.assessment.id }]);
    // Orange puts her under 专案管理: her next visit is due within 14 days of her last contact, the grade today.
    const handbook = await ok(call('lufeng.clinician', 'GET', `/v1/patients/${motherId}/handbook`));
    const followUp = handbook.sections
      .find((s: { kind: string }) => s.kind === 'pregnancy')
      .items.find((i: { itemId: string }) => i.itemId === 'case-management-follow-up');
    expect(followUp).toMatchObject({
      status: 'open',
      opensOn: today,
      dueOn: daysBefore(-14),
      overdueOn: daysBefore(-15),
    });
    expect(await sweep()).toEqual({ examined: 1, proposed: 0 });
  });
});

describe('BP 168/112 with proteinuria 3+ alone (#25 done-means)', () => {
  it('proposes orange (severe pre-eclampsia), not red', async () => {
    const { pregnancyId } = await pregnantWoman(200);
    const visit = await ok(
      call('lufeng.midwife', 'POST', `/v1/pregnancies/${pregnancyId}/visits`, {
        visitDate: daysBefore(20),
        systolicBp: 168,
        diastolicBp: 112,
        proteinuria: 'PROTEINURIA_PLUS_3',
      }),
    );
    expect(visit.risk.screenReasons).toContain('severe-pre-eclampsia');
    const graded = await ok(call('lufeng.clinician', 'POST', `/v1/pregnancies/${pregnancyId}/risk-assessments`, {}));
    expect(graded.assessment.proposedColour).toBe('orange');
    expect(graded.assessment.colour).toBe('orange');
    expect(graded.assessment.firedRules.map((rule: { ruleId: string }) => rule.ruleId)).toContain(
      'severe-pre-eclampsia',
    );
  });
});

describe('the 2018 antenatal schedule at a county hospital: the 75 g OGTT (#25 §3)', () => {
  /** Registered by the Lufeng county MCH hospital, which follows the 2018 guideline. */
  async function atCountyHospital(lmpDaysAgo: number): Promise<{ motherId: string; pregnancyId: string }> {
    const motherId = await newMother();
    const body = await ok(
      call('lufeng.clinician', 'POST', `/v1/patients/${motherId}/pregnancies`, {
        lmp: daysBefore(lmpDaysAgo),
        registeredOn: daysBefore(lmpDaysAgo - 70),
      }),
    );
    return { motherId, pregnancyId: body.pregnancy.id };
  }
  const ogttOf = async (motherId: string): Promise<{ status: string; dueOn: string; overdueOn: string }> => {
    const handbook = await ok(call('lufeng.clinician', 'GET', `/v1/patients/${motherId}/handbook`));
    const pregnancy = handbook.sections.find((s: { kind: string }) => s.kind === 'pregnancy');
    expect(pregnancy.scheduleId).toBe('cn-cma-antenatal-2018');
    return pregnancy.items.find((i: { itemId: string }) => i.itemId === 'ogtt-75g');
  };

  it('at 25 weeks the OGTT is on her due list; recorded at a visit it is done', async () => {
    const { motherId, pregnancyId } = await atCountyHospital(25 * 7);
    expect(await ogttOf(motherId)).toMatchObject({
      status: 'due',
      dueOn: daysBefore(7),
      overdueOn: daysBefore(25 * 7 - 29 * 7),
    });
    const visit = await ok(
      call('lufeng.clinician', 'POST', `/v1/pregnancies/${pregnancyId}/visits`, {
        visitDate: daysBefore(1),
        contentDone: ['ogtt-75g'],
      }),
    );
    expect(visit.visit.contentDone).toEqual(['ogtt-75g']);
    expect(await ogttOf(motherId)).toMatchObject({ status: 'done', doneOn: daysBefore(1) });
  });

  it('after 28+6 without it, the OGTT is overdue', async () => {
    const { motherId } = await atCountyHospital(29 * 7);
    expect((await ogttOf(motherId)).status).toBe('overdue');
  });

  it('a content item the schedule does not have is 400 naming contentDone[i], and nothing is written', async () => {
    const { motherId, pregnancyId } = await atCountyHospital(25 * 7);
    const before = await recordOf('lufeng.clinician', motherId);
    const answer = await call('lufeng.clinician', 'POST', `/v1/pregnancies/${pregnancyId}/visits`, {
      visitDate: daysBefore(1),
      contentDone: ['ogtt-75g', 'massage'],
    });
    expect(answer.status).toBe(400);
    expect(fieldsOf(answer)).toEqual(['contentDone[1]']);
    expect((await recordOf('lufeng.clinician', motherId)).version).toBe(before.version);
  });
});
