// The immunization due list through the gateway for children born in 2025: the 2025 edition (DTaP due at 2 months,
// DTaP not DT at 6 years), and an infant under 2000 g of an HBsAg-positive mother (HepB and HBIG within 12 hours,
// the extra HepB dose, serology), read from the mother's pregnancy in the record; the handbook and scheduling's
// due checks agree, and the HBIG dose can be recorded.
import { call, certificate, daysBefore, fieldsOf, loginAll, newMother, ok, today } from './support';

beforeAll(async () => {
  await loginAll(['lufeng.midwife', 'pref.clinician']);
});

interface Item {
  itemId: string;
  labelZh: string;
  status: string;
  opensOn: string;
  dueOn: string;
  overdueOn: string;
  vaccine: string;
  dose: number;
}

/** A mother registered at 10 weeks of a pregnancy dated by `lmp`, one visit with her HBsAg, delivered of one child. */
async function childBornOf(
  lmp: string,
  registeredOn: string,
  hbsag: 'positive' | 'negative',
  deliveryDate: string,
  birthWeightGrams: number,
): Promise<string> {
  const motherId = await newMother();
  const pregnancy = await ok(
    call('lufeng.midwife', 'POST', `/v1/patients/${motherId}/pregnancies`, { lmp, registeredOn }),
  );
  await ok(
    call('lufeng.midwife', 'POST', `/v1/pregnancies/${pregnancy.pregnancy.id}/visits`, {
      visitDate: registeredOn,
      labs: [{ code: 'HBsAg', result: hbsag, resultedOn: registeredOn }],
    }),
  );
  const delivery = await ok(
    call('pref.clinician', 'POST', `/v1/pregnancies/${pregnancy.pregnancy.id}/delivery`, {
      deliveryDate,
      dischargeDate: deliveryDate,
      mode: 'DELIVERY_MODE_VAGINAL',
      outcome: 'PREGNANCY_OUTCOME_LIVE_BIRTH',
      placeOfDelivery: 'PLACE_OF_DELIVERY_PREFECTURE_HOSPITAL',
      newborns: [{ sex: 'CHILD_SEX_FEMALE', birthCertificateNumber: certificate(), birthWeightGrams }],
    }),
  );
  return delivery.delivery.newborns[0].childPatientId as string;
}

async function immunizationSection(childId: string): Promise<{ scheduleId: string; items: Map<string, Item> }> {
  const handbook = await ok(call('lufeng.midwife', 'GET', `/v1/patients/${childId}/handbook`));
  const section = handbook.sections.find((candidate: { kind: string }) => candidate.kind === 'immunization');
  return {
    scheduleId: section.scheduleId,
    items: new Map((section.items as Item[]).map((item) => [item.itemId, item])),
  };
}

function item(items: Map<string, Item>, id: string): Item {
  const found = items.get(id);
  if (!found) throw new Error(`no item ${id} (items: ${[...items.keys()].join(', ')})`);
  return found;
}

describe('a child born 2025-05-20 of an HBsAg-negative mother', () => {
  let childId: string;

  beforeAll(async () => {
    childId = await childBornOf('2024-08-13', '2024-10-22', 'negative', '2025-05-20', 3200);
  }, 60_000);

  it('follows the 2025 edition: DTaP due at 2 months (2025-07-20), DTaP dose 5 at 6 years, no DT', async () => {
    const { scheduleId, items } = await immunizationSection(childId);
    expect(scheduleId).toBe('cn-nip-2025');
    expect(item(items, 'dtap-1')).toMatchObject({
      vaccine: 'DTaP',
      dose: 1,
      dueOn: '2025-07-20',
      overdueOn: '2025-08-20',
      status: 'overdue',
    });
    expect(item(items, 'dtap-5')).toMatchObject({ vaccine: 'DTaP', dose: 5 });
    expect(items.has('dt-1')).toBe(false);
    // The ordinary birth dose: within 24 hours, late from the second day; no HBIG.
    expect(item(items, 'hepb-1')).toMatchObject({ dueOn: '2025-05-20', overdueOn: '2025-05-22' });
    expect(items.has('hbig-1')).toBe(false);
    expect(items.has('hepb-4')).toBe(false);
  });

  it('scheduling’s due checks list the same DTaP dose from the same edition', async () => {
    const answer = await ok(call('lufeng.midwife', 'GET', `/v1/patients/${childId}/due-checks`));
    const dtap = (answer.checks as Array<{ itemId: string; scheduleId: string; dueOn: string; status: string }>).find(
      (check) => check.itemId === 'dtap-1',
    );
    expect(dtap).toMatchObject({ scheduleId: 'cn-nip-2025', dueOn: '2025-07-20', status: 'overdue' });
  });

  it('with DTaP 1 and 2 given at 2 and 4 months, dose 3 is due at 6 months (2025-11-20), not 5', async () => {
    for (const [dose, givenOn] of [
      [1, '2025-07-20'],
      [2, '2025-09-20'],
    ] as const) {
      await ok(
        call(
          'lufeng.midwife',
          'POST',
          `/v1/children/${childId}/immunizations`,
          { vaccine: 'DTaP', dose, givenOn },
          { 'idempotency-key': `dtap-${dose}-${childId}` },
        ),
      );
    }
    const { items } = await immunizationSection(childId);
    expect(item(items, 'dtap-2')).toMatchObject({ status: 'done', dueOn: '2025-09-20' });
    expect(item(items, 'dtap-3')).toMatchObject({ dueOn: '2025-11-20', overdueOn: '2026-05-20', status: 'overdue' });
  });

  it('DTaP dose 3 deferred for an acute illness leaves the due list until the date given; the write is idempotent and checks its fields', async () => {
    const until = daysBefore(-14);
    const body = {
      vaccine: 'DTaP',
      dose: 3,
      contraindication: 'acute-illness',
      deferredOn: today,
      deferredUntil: until,
      notes: '发热38.5℃',
    };
    const key = { 'idempotency-key': `defer-dtap-3-${childId}` };
    const first = await ok(call('lufeng.midwife', 'POST', `/v1/children/${childId}/immunization-deferrals`, body, key));
    expect(first.deferral).toMatchObject({
      vaccine: 'DTaP',
      dose: 3,
      contraindication: 'acute-illness',
      deferredOn: today,
      deferredUntil: until,
    });
    // A retry under the same key gets the first answer; the same key with another body is refused.
    expect(
      await ok(call('lufeng.midwife', 'POST', `/v1/children/${childId}/immunization-deferrals`, body, key)),
    ).toEqual(first);
    const reused = await call(
      'lufeng.midwife',
      'POST',
      `/v1/children/${childId}/immunization-deferrals`,
      { ...body, notes: 'other' },
      key,
    );
    expect(reused.status).toBe(400);
    expect(fieldsOf(reused)).toEqual(['Idempotency-Key']);

    const { items } = await immunizationSection(childId);
    expect(item(items, 'dtap-3')).toMatchObject({ status: 'deferred', dueOn: '2025-11-20' });
    const answer = await ok(call('lufeng.midwife', 'GET', `/v1/patients/${childId}/due-checks`));
    expect((answer.checks as Array<{ itemId: string }>).map((check) => check.itemId)).not.toContain('dtap-3');

    const bad = await call('lufeng.midwife', 'POST', `/v1/children/${childId}/immunization-deferrals`, {
      vaccine: 'DTaP',
      dose: 9,
      contraindication: 'flu',
      deferredOn: today,
      deferredUntil: daysBefore(3),
    });
    expect(bad.status).toBe(400);
    expect(fieldsOf(bad).sort()).toEqual(['contraindication', 'deferredUntil', 'dose']);
    const other = await call('lufeng.midwife', 'POST', `/v1/children/${childId}/immunization-deferrals`, {
      vaccine: 'DTaP',
      dose: 3,
      contraindication: 'other',
      deferredOn: today,
    });
    expect(fieldsOf(other)).toEqual(['notes']);
  });
});

describe('an infant of 1800 g born 2025-03-10 of an HBsAg-positive mother', () => {
  let childId: string;

  beforeAll(async () => {
    childId = await childBornOf('2024-06-03', '2024-08-12', 'positive', '2025-03-10', 1800);
  }, 60_000);

  it('has HepB dose 1 and HBIG due on the day of birth and late from the next (within 12 hours), in the handbook and the due checks', async () => {
    const { items } = await immunizationSection(childId);
    expect(item(items, 'hepb-1')).toMatchObject({ dueOn: '2025-03-10', overdueOn: '2025-03-11', status: 'overdue' });
    expect(item(items, 'hepb-1').labelZh).toContain('12小时内');
    expect(item(items, 'hbig-1')).toMatchObject({
      vaccine: 'HBIG',
      dose: 1,
      dueOn: '2025-03-10',
      overdueOn: '2025-03-11',
      status: 'overdue',
    });
    const answer = await ok(call('lufeng.midwife', 'GET', `/v1/patients/${childId}/due-checks`));
    const ids = (answer.checks as Array<{ itemId: string }>).map((check) => check.itemId);
    expect(ids).toEqual(expect.arrayContaining(['hepb-1', 'hbig-1', 'hepb-4', 'hepb-serology', 'dtap-1']));
  });

  it('records HepB dose 1 and HBIG given at birth; both are then done', async () => {
    await ok(
      call(
        'lufeng.midwife',
        'POST',
        `/v1/children/${childId}/immunizations`,
        { vaccine: 'HepB', dose: 1, givenOn: '2025-03-10', lotNumber: 'HB2025-03' },
        { 'idempotency-key': `hepb-1-${childId}` },
      ),
    );
    await ok(
      call(
        'lufeng.midwife',
        'POST',
        `/v1/children/${childId}/immunizations`,
        { vaccine: 'HBIG', dose: 1, givenOn: '2025-03-10' },
        { 'idempotency-key': `hbig-${childId}` },
      ),
    );
    const { items } = await immunizationSection(childId);
    expect(item(items, 'hepb-1')).toMatchObject({ status: 'done' });
    expect(item(items, 'hbig-1')).toMatchObject({ status: 'done', vaccine: 'HBIG' });
  });

  it('with HepB 2 and 3 given at 1 and 2 months, the extra dose 4 is due at 7 months and serology from 8 months', async () => {
    for (const [dose, givenOn] of [
      [2, '2025-04-10'],
      [3, '2025-05-10'],
    ] as const) {
      await ok(
        call(
          'lufeng.midwife',
          'POST',
          `/v1/children/${childId}/immunizations`,
          { vaccine: 'HepB', dose, givenOn },
          { 'idempotency-key': `hepb-${dose}-${childId}` },
        ),
      );
    }
    const { items } = await immunizationSection(childId);
    expect(item(items, 'hepb-3')).toMatchObject({ status: 'done', dueOn: '2025-05-10' });
    expect(item(items, 'hepb-4')).toMatchObject({
      vaccine: 'HepB',
      dose: 4,
      dueOn: '2025-10-10',
      overdueOn: '2026-03-10',
      status: 'overdue',
    });
    expect(item(items, 'hepb-serology')).toMatchObject({ opensOn: '2025-11-10', status: 'overdue' });
    // A fifth HepB dose is not in the programme, even for this child.
    const fifth = await call('lufeng.midwife', 'POST', `/v1/children/${childId}/immunizations`, {
      vaccine: 'HepB',
      dose: 5,
      givenOn: '2025-12-01',
    });
    expect(fifth.status).toBe(400);
    expect(fieldsOf(fifth)).toEqual(['dose']);
  });
});
