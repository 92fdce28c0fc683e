// Death reviews (评审) through the gateway (issue #23 §1): a maternal death in Lufeng reviewed by the county panel
// (Lufeng's county MCH hospital) and then by the prefecture's, the contributing factors on the 十二格表 grid; the
// panels' worklists with the due review; who is refused; bad input naming the field with nothing written; the key
// replay; the reviews on the report; every step audited.
import { call, daysBefore, fieldsOf, loginAll, newMother, ok, recordOf, recordsAuditOf } from './support';

beforeAll(async () => {
  await loginAll(['lufeng.midwife', 'lufeng.clinician', 'lufeng.analyst', 'pref.clinician', 'shuangbai.midwife']);
});

async function maternalDeath(daysAgo: number): Promise<string> {
  const motherId = await newMother('1991-07-02');
  const pregnancy = await ok(
    call('lufeng.midwife', 'POST', `/v1/patients/${motherId}/pregnancies`, {
      lmp: daysBefore(daysAgo + 200),
      registeredOn: daysBefore(daysAgo + 150),
    }),
  );
  await ok(
    call('lufeng.midwife', 'POST', `/v1/patients/${motherId}/maternal-death`, {
      pregnancyId: pregnancy.pregnancy.id,
      deathDate: daysBefore(daysAgo),
      timing: 'MATERNAL_DEATH_TIMING_ANTEPARTUM',
      placeOfDeath: 'PLACE_OF_DEATH_EN_ROUTE',
      causeGroup: 'hypertensive_disorders',
      diagnosisBasis: 'DEATH_DIAGNOSIS_BASIS_CLINICAL',
      hadAntenatalCare: true,
      antenatalVisits: 2,
    }),
  );
  return motherId;
}

type WorkItem = { patientId: string; nextLevel?: string; dueDate?: string; overdue?: boolean; reviews?: unknown[] };

async function worklistItem(user: string, patientId: string, status: string): Promise<WorkItem | undefined> {
  let token = '';
  do {
    const page = await ok(
      call(user, 'GET', `/v1/death-reviews?status=${status}&pageSize=200${token ? `&pageToken=${token}` : ''}`),
    );
    const found = (page.items as WorkItem[] | undefined)?.find((item) => item.patientId === patientId);
    if (found) return found;
    token = page.nextPageToken ?? '';
  } while (token);
  return undefined;
}

describe('death reviews', () => {
  it('the county panel, then the prefecture’s: the grid recorded, worklists move, once per level under a key, audited', async () => {
    // She died 20 days ago: the county review (due 14 days after the death) is overdue.
    const motherId = await maternalDeath(20);
    const reviews = `/v1/patients/${motherId}/death-report/reviews`;
    const versionBefore = (await recordOf('lufeng.midwife', motherId)).version;

    const due = await worklistItem('lufeng.clinician', motherId, 'due');
    expect(due).toMatchObject({ nextLevel: 'county', dueDate: daysBefore(6), overdue: true });
    expect(due?.reviews ?? []).toEqual([]);
    expect(await worklistItem('pref.clinician', motherId, 'due')).toMatchObject({ nextLevel: 'county' });

    const county = {
      level: 'county',
      conclusion: 'avoidable',
      panelDate: daysBefore(2),
      factors: [
        { link: 'health_system', aspect: 'knowledge_skill' },
        { link: 'family_community', aspect: 'attitude' },
      ],
    };
    // Bad input names each field and writes nothing.
    const bad = await call('lufeng.clinician', 'POST', reviews, {
      level: 'county',
      conclusion: 'avoidable',
      panelDate: daysBefore(30),
      factors: [{ link: 'weather', aspect: 'attitude' }],
    });
    expect(bad.status).toBe(400);
    expect(fieldsOf(bad).sort()).toEqual(['factors[0].link', 'panelDate']);
    const noFactor = await call('lufeng.clinician', 'POST', reviews, { ...county, factors: [] });
    expect(noFactor.status).toBe(400);
    expect(fieldsOf(noFactor)).toEqual(['factors']);
    // The prefecture cannot review before the county.
    const early = await call('pref.clinician', 'POST', reviews, { ...county, level: 'prefecture' });
    expect(early.status).toBe(400);
    expect(fieldsOf(early)).toEqual(['level']);
    // Who may not: the township midwife who registered her, an analyst, the prefecture at county level, another
    // county's township.
    for (const [user, level] of [
      ['lufeng.midwife', 'county'],
      ['lufeng.analyst', 'county'],
      ['pref.clinician', 'county'],
      ['shuangbai.midwife', 'county'],
    ] as const) {
      const refused = await call(user, 'POST', reviews, { ...county, level });
      expect([user, refused.status]).toEqual([user, 403]);
    }
    expect((await call('lufeng.midwife', 'GET', '/v1/death-reviews')).status).toBe(403);

    const key = { 'idempotency-key': `county-review-${motherId}` };
    const concluded = await ok(call('lufeng.clinician', 'POST', reviews, county, key));
    expect(concluded.review).toMatchObject({
      patientId: motherId,
      level: 'county',
      conclusion: 'avoidable',
      conclusionZh: '可避免死亡',
      // In the grid's order: the family link before the health system.
      factors: [
        { link: 'family_community', aspect: 'attitude' },
        { link: 'health_system', aspect: 'knowledge_skill' },
      ],
      panelDate: daysBefore(2),
    });
    expect(await ok(call('lufeng.clinician', 'POST', reviews, county, key))).toEqual(concluded);
    const again = await call('lufeng.clinician', 'POST', reviews, county);
    expect(again.status).toBe(400);
    expect(JSON.stringify(again.body)).toContain('already concluded');
    // The reviewers did not join her treating team, and the record has no new version.
    expect((await recordOf('lufeng.midwife', motherId)).version).toBe(versionBefore);

    const next = await worklistItem('pref.clinician', motherId, 'due');
    expect([next?.nextLevel, next?.dueDate, next?.overdue ?? false]).toEqual(['prefecture', daysBefore(-10), false]);
    // The prefecture revises the conclusion: avoidable under better conditions, a resources factor added.
    const prefecture = await ok(
      call('pref.clinician', 'POST', reviews, {
        level: 'prefecture',
        conclusion: 'avoidable_under_better_conditions',
        panelDate: daysBefore(1),
        factors: [
          { link: 'administration_society', aspect: 'resources' },
          { link: 'health_system', aspect: 'knowledge_skill' },
        ],
      }),
    );
    expect(prefecture.review).toMatchObject({ level: 'prefecture', conclusionZh: '创造条件可避免死亡' });
    expect(await worklistItem('pref.clinician', motherId, 'due')).toBeUndefined();
    const done = await worklistItem('lufeng.clinician', motherId, 'concluded');
    expect([done?.nextLevel ?? '', done?.dueDate ?? '', done?.overdue ?? false]).toEqual(['', '', false]);
    expect(done?.reviews).toHaveLength(2);

    const report = await ok(call('pref.clinician', 'GET', `/v1/patients/${motherId}/death-report`));
    expect((report.reviews as Array<{ level: string }>).map((review) => review.level)).toEqual([
      'county',
      'prefecture',
    ]);
    const audit = await recordsAuditOf(motherId);
    const actions = audit.filter((event) => event.action === 'record.death.review');
    expect(actions.filter((event) => event.outcome === 'allowed')).toHaveLength(2);
    expect(actions.filter((event) => event.outcome === 'denied').length).toBeGreaterThanOrEqual(4);
    expect(audit.some((event) => event.action === 'record.death.review.list')).toBe(true);
  });

  it('bad worklist filters are 400 naming the field; a review of no reported death is 404', async () => {
    const bad = await call('pref.clinician', 'GET', '/v1/death-reviews?status=late&kind=cat&pageSize=1000');
    expect(bad.status).toBe(400);
    expect(fieldsOf(bad).sort()).toEqual(['kind', 'pageSize', 'status']);
    const alive = await newMother('1995-02-02');
    const none = await call('lufeng.clinician', 'POST', `/v1/patients/${alive}/death-report/reviews`, {
      level: 'county',
      conclusion: 'unavoidable',
      panelDate: daysBefore(1),
    });
    expect(none.status).toBe(404);
  });
});
