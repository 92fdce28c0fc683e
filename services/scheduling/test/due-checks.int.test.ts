// Due checks, follow-up and reminders through the gateway: a child born 100 days ago gets exactly the open items
// of records' schedule data (child health checks and the immunization programme), each with the nearest free
// slot of its service; a no-show puts a woman on her institution's and county's follow-up lists until she books
// again; the reminder outbox is drained. Demo schedules are seeded for every county hospital and the prefecture.
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { readTestPlatform } from '../../platform/test/platform-env';
import { Api, HttpAnswer } from '../../identity/test/support';
import { at, fieldsOf, localDate, ok, registerWomen, TREATMENT } from './support';

const platform = readTestPlatform();
const api = new Api(platform.gatewayUrl);
const tokens: Record<string, string> = {};
let database: Client;
const DAY_MS = 86_400_000;
const LUFENG_SEAT = '25.155,102.08';

async function call(
  user: string,
  method: string,
  route: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  return api.call(method, route, { token: tokens[user], body, headers: { ...TREATMENT, ...headers } });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

beforeAll(async () => {
  for (const user of ['lufeng.midwife', 'pref.admin', 'pref.clinician', 'shuangbai.midwife'])
    tokens[user] = (await api.login(user)).accessToken;
  database = new Client({ connectionString: platform.rwUrl });
  await database.connect();
});

afterAll(async () => {
  await database?.end();
});

describe('demo schedules', () => {
  it('are seeded for the prefecture hospital and every county hospital, offering what each can do', async () => {
    const institutions = (await ok(api.call('GET', '/v1/institutions?pageSize=200'))).institutions as Array<{
      id: string;
      code: string;
      level: string;
    }>;
    const leading = institutions.filter(
      (institution) =>
        institution.level === 'INSTITUTION_LEVEL_PREFECTURE' || institution.level === 'INSTITUTION_LEVEL_COUNTY',
    );
    expect(leading).toHaveLength(11);
    await waitFor('demo schedules', async () => {
      const rows = await database.query<{ n: string }>(
        'SELECT count(*)::text AS n FROM scheduling.schedules WHERE institution_id = ANY($1::uuid[])',
        [leading.map((i) => i.id)],
      );
      return Number(rows.rows[0]?.n) === 11 ? true : undefined;
    });
    const found = (
      await ok(
        call(
          'pref.clinician',
          'GET',
          `/v1/slots?service=SERVICE_TYPE_ULTRASOUND&institution=CX-PREF-MCH&to=${encodeURIComponent(new Date(Date.now() + 8 * DAY_MS).toISOString())}`,
        ),
      )
    ).slots;
    expect(found.length).toBeGreaterThan(0);
  });
});

// --- due checks against the schedule data files -------------------------------------------------------------

interface Offset {
  years?: number;
  months?: number;
  weeks?: number;
  days?: number;
}
interface DataItem {
  id: string;
  anchor: 'birth' | 'discharge';
  service?: string;
  vaccine?: string;
  dose?: number;
  minInterval?: unknown;
  opens: Offset;
  due: Offset;
  overdue: Offset;
  closes?: Offset;
}

function addOffset(date: string, offset: Offset): string {
  const start = new Date(`${date}T00:00:00Z`);
  const months = (offset.years ?? 0) * 12 + (offset.months ?? 0);
  const targetMonth = start.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(start.getUTCFullYear(), targetMonth + 1, 0)).getUTCDate();
  const moved = Date.UTC(start.getUTCFullYear(), targetMonth, Math.min(start.getUTCDate(), lastDay));
  return new Date(moved + ((offset.weeks ?? 0) * 7 + (offset.days ?? 0)) * DAY_MS).toISOString().slice(0, 10);
}

function dataFile(name: string): {
  id: string;
  items: DataItem[];
  basedOn?: { schedule: string; replacesVaccines: string[] };
  routes?: { vaccines: string[]; default: string }[];
} {
  return JSON.parse(readFileSync(join(__dirname, '../../records/data/schedules', `${name}.json`), 'utf8'));
}

/**
 * The items of an immunization edition as its files say: an edition `basedOn` another is that one's items with the
 * replaced vaccines' doses swapped for its own, where the first replaced one stood; only the default route of each
 * route group (live JE and HepA) is followed until another route's dose is recorded.
 */
function editionItems(name: string): DataItem[] {
  const edition = dataFile(name);
  const base = edition.basedOn ? dataFile(edition.basedOn.schedule) : undefined;
  let items = edition.items;
  if (base && edition.basedOn) {
    const replaces = new Set(edition.basedOn.replacesVaccines);
    const replaced = (item: DataItem): boolean => item.vaccine !== undefined && replaces.has(item.vaccine);
    const at = base.items.findIndex(replaced);
    items = [
      ...base.items.slice(0, at).filter((item) => !replaced(item)),
      ...edition.items,
      ...base.items.slice(at).filter((item) => !replaced(item)),
    ];
  }
  const alternatives = new Set(
    (base ?? edition).routes?.flatMap((group) => group.vaccines.filter((vaccine) => vaccine !== group.default)) ?? [],
  );
  return items.filter((item) => item.vaccine === undefined || !alternatives.has(item.vaccine));
}

describe('due checks', () => {
  const birth = localDate(-100);
  const discharge = localDate(-98);
  let childId: string;

  beforeAll(async () => {
    const [mother] = (await registerWomen(api, tokens['lufeng.midwife'] as string, 1)) as [string];
    const lmp = localDate(-100 - 276);
    const pregnancy = await ok(
      call('lufeng.midwife', 'POST', `/v1/patients/${mother}/pregnancies`, {
        lmp,
        registeredOn: localDate(-100 - 200),
      }),
    );
    // Her HBsAg is negative: no special immunization rule applies to the child (an unknown result would move HepB 1).
    await ok(
      call('lufeng.midwife', 'POST', `/v1/pregnancies/${pregnancy.pregnancy.id}/visits`, {
        visitDate: localDate(-100 - 150),
        labs: [{ code: 'HBsAg', result: 'negative' }],
      }),
    );
    const delivery = await ok(
      call('pref.clinician', 'POST', `/v1/pregnancies/${pregnancy.pregnancy.id}/delivery`, {
        deliveryDate: birth,
        dischargeDate: discharge,
        mode: 'DELIVERY_MODE_VAGINAL',
        outcome: 'PREGNANCY_OUTCOME_LIVE_BIRTH',
        placeOfDelivery: 'PLACE_OF_DELIVERY_COUNTY_HOSPITAL',
        newborns: [
          {
            sex: 'CHILD_SEX_FEMALE',
            birthCertificateNumber: `O${randomInt(100_000_000, 999_999_999)}`,
            birthWeightGrams: 3200,
          },
        ],
      }),
    );
    childId = delivery.delivery.newborns[0].childPatientId;
  }, 60_000);

  it('for a child born on a given date are exactly the open items of the child-health and immunization data files, with their dates', async () => {
    const answer = await ok(call('lufeng.midwife', 'GET', `/v1/patients/${childId}/due-checks?near=${LUFENG_SEAT}`));
    const today: string = answer.asOf;
    expect(today).toBe(localDate(0));
    const expected = [
      ...dataFile('cn-bphs-child-health-2017').items.map((item) => ({
        item,
        section: 'child',
        scheduleId: 'cn-bphs-child-health-2017',
      })),
      // Born after 2025-01-01: the 2025 edition (DTaP at 2, 4, 6, 18 months and 6 years).
      ...editionItems('cn-nip-2025').map((item) => ({ item, section: 'immunization', scheduleId: 'cn-nip-2025' })),
    ]
      .map(({ item, section, scheduleId }) => {
        const anchor = item.anchor === 'discharge' ? discharge : birth;
        const dates = {
          opensOn: addOffset(anchor, item.opens),
          dueOn: addOffset(anchor, item.due),
          overdueOn: addOffset(anchor, item.overdue),
          closesOn: item.closes ? addOffset(anchor, item.closes) : undefined,
        };
        const status =
          today < dates.opensOn
            ? 'upcoming'
            : today < dates.dueOn
              ? 'open'
              : today < dates.overdueOn
                ? 'due'
                : 'overdue';
        return {
          itemId: item.id,
          section,
          scheduleId,
          dueOn: dates.dueOn,
          overdueOn: dates.overdueOn,
          closed: dates.closesOn !== undefined && today >= dates.closesOn,
          status,
          opensOn: dates.opensOn,
          interval: item.minInterval !== undefined,
        };
      })
      .filter((item) => !item.closed);
    const got = answer.checks as any[];
    const key = (item: { section: string; itemId: string }): string => `${item.section}/${item.itemId}`;
    expect(got.map(key).sort()).toEqual(expected.map(key).sort());
    for (const item of expected) {
      // A minimum interval after an earlier dose not yet given moves a dose's dates (the engine's rule): the handbook
      // comparison below holds those items to records' own answer instead.
      if (item.interval) continue;
      const check = got.find((candidate) => key(candidate) === key(item)) as Record<string, any>;
      expect({
        id: key(item),
        opensOn: check.opensOn,
        dueOn: check.dueOn,
        overdueOn: check.overdueOn,
        status: check.status,
        scheduleId: check.scheduleId,
      }).toEqual({
        id: key(item),
        opensOn: item.opensOn,
        dueOn: item.dueOn,
        overdueOn: item.overdueOn,
        status: item.status,
        scheduleId: item.scheduleId,
      });
    }
    // The same as the handbook shows, item for item.
    const handbook = await ok(call('lufeng.midwife', 'GET', `/v1/patients/${childId}/handbook`));
    const line = (section: string, item: any): string =>
      `${section}/${item.itemId}/${item.status}/${item.opensOn}/${item.dueOn}/${item.overdueOn}`;
    const open = handbook.sections.flatMap((section: any) =>
      section.items
        .filter((item: any) => ['upcoming', 'open', 'due', 'overdue'].includes(item.status))
        .map((item: any) => line(section.kind, item)),
    );
    expect(got.map((check) => line(check.section, check)).sort()).toEqual(open.sort());
  });

  it('attach the nearest free slot of the matching service, and order the most urgent first', async () => {
    const answer = await ok(call('lufeng.midwife', 'GET', `/v1/patients/${childId}/due-checks?near=${LUFENG_SEAT}`));
    const checks = answer.checks as any[];
    const rank = { overdue: 0, due: 1, open: 2, upcoming: 3 } as Record<string, number>;
    expect(checks.map((check) => rank[check.status])).toEqual(checks.map((check) => rank[check.status]).sort());
    const vaccine = checks.find((check) => check.vaccine && check.status !== 'upcoming');
    expect(vaccine.service).toBe('SERVICE_TYPE_VACCINATION');
    expect(vaccine.nearestSlot).toMatchObject({ service: 'SERVICE_TYPE_VACCINATION', status: 'SLOT_STATUS_FREE' });
    expect(vaccine.nearestSlot.distanceKm).toBeLessThan(60);
    const check = checks.find((candidate) => candidate.section === 'child' && candidate.itemId.startsWith('check-'));
    expect(check.service).toBe('SERVICE_TYPE_CHILD_HEALTH_CHECK');
    expect(Date.parse(check.nearestSlot.start)).toBeGreaterThanOrEqual(Date.parse(`${check.opensOn}T00:00:00+08:00`));
  });

  it('queue due reminders in the outbox, which the worker drains', async () => {
    await waitFor('a due reminder sent', async () => {
      const rows = await database.query(
        `SELECT sent_at FROM scheduling.reminders WHERE patient_id = $1 AND kind = 'due-check' AND sent_at IS NOT NULL`,
        [childId],
      );
      return rows.rowCount ? true : undefined;
    });
  }, 90_000);

  it("put an overdue child on the follow-up list of the caller's institution and county", async () => {
    const list = await ok(call('lufeng.midwife', 'GET', `/v1/follow-ups?county=lufeng&pageSize=200`));
    const mine = (list.followUps ?? []).filter((entry: any) => entry.patientId === childId);
    expect(mine.length).toBeGreaterThan(0);
    expect(
      mine.every(
        (entry: any) => entry.kind === 'FOLLOW_UP_KIND_OVERDUE' || entry.kind === 'FOLLOW_UP_KIND_LOST_TO_FOLLOW_UP',
      ),
    ).toBe(true);
  });

  it('refuse bad input and outsiders', async () => {
    const bad = await call('lufeng.midwife', 'GET', `/v1/patients/${childId}/due-checks?near=95,300`);
    expect([bad.status, fieldsOf(bad)]).toEqual([400, ['near']]);
    expect(
      (await api.call('GET', `/v1/patients/${childId}/due-checks`, { token: tokens['lufeng.midwife'] })).status,
    ).toBe(403);
  });
});

describe('no-shows and the follow-up list', () => {
  it("a missed appointment puts her on her institution's and county's lists until she books again", async () => {
    const institutions = (await ok(api.call('GET', '/v1/institutions?pageSize=200'))).institutions as Array<{
      id: string;
      code: string;
    }>;
    const prefecture = institutions.find((institution) => institution.code === 'CX-PREF-MCH')?.id as string;
    // A session that starts within the next minute or two, so that it can be missed during the test.
    const startMs = Math.ceil((Date.now() + 20_000) / 60_000) * 60_000;
    const local = new Date(startMs + 8 * 3_600_000).toISOString();
    const [date, clock] = [local.slice(0, 10), local.slice(11, 16)];
    const endClock = new Date(startMs + 5 * 60_000 + 8 * 3_600_000).toISOString().slice(11, 16);
    const current = (await ok(call('pref.clinician', 'GET', `/v1/institutions/${prefecture}/schedules`))).schedule;
    await ok(
      call('pref.admin', 'POST', `/v1/institutions/${prefecture}/schedules`, {
        // Its weekly delivery assessments make way, so that the extra session overlaps nothing at any hour.
        sessions: (current.sessions ?? []).filter(
          (session: { service: string }) => session.service !== 'SERVICE_TYPE_DELIVERY_ASSESSMENT',
        ),
        exceptions: [
          ...(current.exceptions ?? []),
          {
            date,
            service: 'SERVICE_TYPE_DELIVERY_ASSESSMENT',
            startTime: clock,
            endTime: endClock,
            slotMinutes: 5,
            capacity: 1,
            reason: 'no-show test',
          },
          {
            date: localDate(2),
            service: 'SERVICE_TYPE_DELIVERY_ASSESSMENT',
            startTime: '03:00',
            endTime: '04:00',
            slotMinutes: 30,
            capacity: 5,
            reason: 'booking again',
          },
        ],
      }),
    );
    const [woman] = (await registerWomen(api, tokens['lufeng.midwife'] as string, 1)) as [string];
    const booked = await ok(
      call('pref.clinician', 'POST', '/v1/appointments', {
        patientId: woman,
        institutionId: prefecture,
        service: 'SERVICE_TYPE_DELIVERY_ASSESSMENT',
        start: new Date(startMs).toISOString(),
      }),
    );
    const early = await call('pref.clinician', 'POST', `/v1/appointments/${booked.appointment.id}/no-show`, {});
    expect(early.status).toBe(409);
    expect(
      (await call('shuangbai.midwife', 'POST', `/v1/appointments/${booked.appointment.id}/no-show`, {})).status,
    ).toBe(403);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, startMs - Date.now() + 1_000)));
    const missed = await ok(call('pref.clinician', 'POST', `/v1/appointments/${booked.appointment.id}/no-show`, {}));
    expect(missed.appointment.status).toBe('APPOINTMENT_STATUS_NOSHOW');

    const onList = async (route: string, user = 'pref.clinician'): Promise<any[]> =>
      ((await ok(call(user, 'GET', route))).followUps ?? []).filter((entry: any) => entry.patientId === woman);
    const byInstitution = await onList(
      `/v1/follow-ups?institutionId=${prefecture}&kind=FOLLOW_UP_KIND_LOST_TO_FOLLOW_UP&pageSize=200`,
    );
    expect(byInstitution).toEqual([
      expect.objectContaining({
        kind: 'FOLLOW_UP_KIND_LOST_TO_FOLLOW_UP',
        appointmentId: booked.appointment.id,
        institutionId: prefecture,
        countyCode: 'lufeng',
        service: 'SERVICE_TYPE_DELIVERY_ASSESSMENT',
      }),
    ]);
    expect(await onList('/v1/follow-ups?county=lufeng&pageSize=200', 'lufeng.midwife')).toHaveLength(1);
    expect((await call('shuangbai.midwife', 'GET', '/v1/follow-ups?county=lufeng')).status).toBe(403);
    const both = await call('pref.clinician', 'GET', `/v1/follow-ups?county=lufeng&institutionId=${prefecture}`);
    expect([both.status, fieldsOf(both)]).toEqual([400, ['institutionId']]);

    await ok(
      call('pref.clinician', 'POST', '/v1/appointments', {
        patientId: woman,
        institutionId: prefecture,
        service: 'SERVICE_TYPE_DELIVERY_ASSESSMENT',
        start: at(localDate(1), '00:00'),
        earliestFreeAtOrAfter: true,
      }),
    );
    expect(await onList(`/v1/follow-ups?institutionId=${prefecture}&pageSize=200`)).toEqual([]);
  }, 150_000);
});
