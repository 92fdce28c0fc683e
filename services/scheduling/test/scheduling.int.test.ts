// Scheduling through the gateway against the real two-zone platform: an institution's admin publishes a schedule;
// search finds free slots nearest first and forgets a slot once it is full; 200 parallel bookings by 200 patients
// at a slot of capacity 1 give exactly one appointment (capacity 5: exactly five), and the database agrees; an
// idempotent retry returns the same appointment; an overlapping booking of the same patient is 409; cancel and
// reschedule free and take capacity; a no-show puts her on the follow-up list; bad input is 400 naming the field.
import { RETRY_AFTER_SECONDS } from '../../gateway/src/load-shedding';
import { Client } from 'pg';
import { readTestPlatform } from '../../platform/test/platform-env';
import { Api, HttpAnswer } from '../../identity/test/support';
import { at, fieldsOf, localDate, ok, registerWomen, TREATMENT } from './support';

const platform = readTestPlatform();
const api = new Api(platform.gatewayUrl);
const tokens: Record<string, string> = {};
let database: Client;

const CONSULTATION = 'SERVICE_TYPE_CONSULTATION';
const ANC = 'SERVICE_TYPE_ANTENATAL_CHECK';
// A day far enough ahead that nothing else books it; extra night sessions keep the test's slots apart.
const DAY = localDate(40);
const NEXT_DAY = localDate(41);
const SLOT_CAPACITY_1 = at(DAY, '03:00');
const SLOT_CAPACITY_5 = at(DAY, '03:30');
const LUFENG_SEAT = '25.155,102.08';

let lufengMch: string;

async function call(
  user: string,
  method: string,
  route: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  return api.call(method, route, { token: tokens[user], body, headers: { ...TREATMENT, ...headers } });
}

function booking(patientId: string, start: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { patientId, institutionId: lufengMch, service: CONSULTATION, start, ...extra };
}

async function slots(query: string): Promise<any[]> {
  return (await ok(call('lufeng.clinician', 'GET', `/v1/slots?${query}`))).slots ?? [];
}

/**
 * A booking as a client makes it: one idempotency key, and an answer the gateway shed for being at its bound of
 * writes in flight (503 "gateway at capacity", load-shedding.ts) retried after its Retry-After under the same key.
 */
async function book(patientId: string, start: string): Promise<HttpAnswer> {
  const key = { 'idempotency-key': `book-${patientId}-${start}` };
  for (let attempt = 0; ; attempt++) {
    const answer = await call('lufeng.clinician', 'POST', '/v1/appointments', booking(patientId, start), key);
    if (answer.status !== 503 || !/gateway at capacity/.test(answer.body?.message ?? '') || attempt >= 20)
      return answer;
    await new Promise((resolve) => setTimeout(resolve, RETRY_AFTER_SECONDS.write * 1000));
  }
}

const window = (date: string): string =>
  `from=${encodeURIComponent(at(date, '00:00'))}&to=${encodeURIComponent(at(date, '23:59'))}`;

async function occupancy(start: string): Promise<{ appointments: number; booked: number; capacity: number }> {
  const appointments = await database.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM scheduling.appointments WHERE institution_id = $1 AND starts_at = $2 AND status IN ('booked', 'arrived')`,
    [lufengMch, start],
  );
  const slot = await database.query<{ booked: number; capacity: number }>(
    'SELECT booked, capacity FROM scheduling.slot_occupancy WHERE institution_id = $1 AND starts_at = $2',
    [lufengMch, start],
  );
  return {
    appointments: Number(appointments.rows[0]?.n),
    booked: slot.rows[0]?.booked ?? 0,
    capacity: slot.rows[0]?.capacity ?? 0,
  };
}

beforeAll(async () => {
  for (const user of [
    'lufeng.admin',
    'lufeng.clinician',
    'lufeng.midwife',
    'pref.admin',
    'pref.clinician',
    'shuangbai.midwife',
  ])
    tokens[user] = (await api.login(user)).accessToken;
  const institutions = (await ok(api.call('GET', '/v1/institutions?pageSize=200'))).institutions as Array<{
    id: string;
    code: string;
  }>;
  lufengMch = institutions.find((institution) => institution.code === 'CX-LFS-MCH')?.id as string;
  database = new Client({ connectionString: platform.rwUrl });
  await database.connect();
});

afterAll(async () => {
  await database?.end();
});

describe('schedules', () => {
  const schedule = {
    sessions: [1, 2, 3, 4, 5].flatMap((weekday) => [
      { service: ANC, weekday, startTime: '08:30', endTime: '11:30', slotMinutes: 30, capacity: 4 },
      { service: CONSULTATION, weekday, startTime: '14:30', endTime: '17:00', slotMinutes: 30, capacity: 2 },
    ]),
    exceptions: [
      {
        date: DAY,
        service: CONSULTATION,
        startTime: '03:00',
        endTime: '03:30',
        slotMinutes: 30,
        capacity: 1,
        reason: 'concurrency test, capacity 1',
      },
      {
        date: DAY,
        service: CONSULTATION,
        startTime: '03:30',
        endTime: '04:00',
        slotMinutes: 30,
        capacity: 5,
        reason: 'concurrency test, capacity 5',
      },
      {
        date: DAY,
        service: CONSULTATION,
        startTime: '05:00',
        endTime: '07:00',
        slotMinutes: 30,
        capacity: 2,
        reason: 'booking walk',
      },
      {
        date: NEXT_DAY,
        service: CONSULTATION,
        startTime: '05:00',
        endTime: '07:00',
        slotMinutes: 30,
        capacity: 1,
        reason: 'reschedule walk',
      },
      { date: localDate(60), closed: true, reason: '院庆闭诊' },
    ],
  };

  it("only that institution's admins publish it", async () => {
    expect((await call('pref.admin', 'POST', `/v1/institutions/${lufengMch}/schedules`, schedule)).status).toBe(403);
    expect((await call('lufeng.clinician', 'POST', `/v1/institutions/${lufengMch}/schedules`, schedule)).status).toBe(
      403,
    );
    const published = await ok(call('lufeng.admin', 'POST', `/v1/institutions/${lufengMch}/schedules`, schedule));
    expect(published.schedule.sessions).toHaveLength(10);
    expect(published.schedule.exceptions).toHaveLength(5);
    const read = await ok(call('lufeng.clinician', 'GET', `/v1/institutions/${lufengMch}/schedules`));
    expect(read.schedule.version).toBe(published.schedule.version);
  });

  it('refuses a bad schedule naming the field, and writes nothing', async () => {
    const before = (await ok(call('lufeng.clinician', 'GET', `/v1/institutions/${lufengMch}/schedules`))).schedule
      .version;
    const bad = await call('lufeng.admin', 'POST', `/v1/institutions/${lufengMch}/schedules`, {
      sessions: [{ service: ANC, weekday: 1, startTime: '11:00', endTime: '09:00', slotMinutes: 30, capacity: 4 }],
      exceptions: [{ date: '2026-02-30', closed: true }],
    });
    expect(bad.status).toBe(400);
    expect(fieldsOf(bad).sort()).toEqual(['exceptions[0].date', 'sessions[0].endTime']);
    expect(
      (await ok(call('lufeng.clinician', 'GET', `/v1/institutions/${lufengMch}/schedules`))).schedule.version,
    ).toBe(before);
  });

  it('closed days have no slots', async () => {
    expect(await slots(`service=${ANC}&institution=CX-LFS-MCH&${window(localDate(60))}`)).toEqual([]);
  });
});

describe('search', () => {
  it('finds free slots nearest first, then earliest, with distance and occupancy', async () => {
    const found = await slots(`service=${CONSULTATION}&near=${LUFENG_SEAT}&${window(DAY)}&pageSize=20`);
    expect(found.length).toBeGreaterThan(0);
    expect(found[0]).toMatchObject({
      institutionId: lufengMch,
      institutionCode: 'CX-LFS-MCH',
      start: SLOT_CAPACITY_1,
      capacity: 1,
      free: 1,
      status: 'SLOT_STATUS_FREE',
    });
    const distances = found.map((slot) => slot.distanceKm ?? 0);
    expect(distances).toEqual([...distances].sort((a, b) => a - b));
    for (let i = 1; i < found.length; i++) {
      if (found[i].distanceKm === found[i - 1].distanceKm)
        expect(Date.parse(found[i].start)).toBeGreaterThanOrEqual(Date.parse(found[i - 1].start));
    }
  });

  it('pages without repeating a slot', async () => {
    const first = await ok(
      call(
        'lufeng.clinician',
        'GET',
        `/v1/slots?service=${CONSULTATION}&near=${LUFENG_SEAT}&${window(DAY)}&pageSize=3`,
      ),
    );
    expect(first.slots).toHaveLength(3);
    const second = await ok(
      call(
        'lufeng.clinician',
        'GET',
        `/v1/slots?service=${CONSULTATION}&near=${LUFENG_SEAT}&${window(DAY)}&pageSize=3&pageToken=${first.nextPageToken}`,
      ),
    );
    const all = await slots(`service=${CONSULTATION}&near=${LUFENG_SEAT}&${window(DAY)}&pageSize=6`);
    expect([...first.slots, ...second.slots].map((slot: any) => `${slot.institutionId}${slot.start}`)).toEqual(
      all.map((slot) => `${slot.institutionId}${slot.start}`),
    );
  });

  it.each([
    [
      'to before from',
      'to',
      `service=${ANC}&from=${encodeURIComponent(at(DAY, '12:00'))}&to=${encodeURIComponent(at(DAY, '08:00'))}`,
    ],
    ['an unknown service', 'service', 'service=SERVICE_TYPE_MASSAGE'],
    ['no service', 'service', `near=${LUFENG_SEAT}`],
    ['latitude out of range', 'near', `service=${ANC}&near=91,102`],
    ['longitude out of range', 'near', `service=${ANC}&near=25,181`],
    ['a malformed point', 'near', `service=${ANC}&near=lufeng`],
    ['an end in the past', 'to', `service=${ANC}&to=2020-01-01T00:00:00Z`],
    ['a period over 92 days', 'to', `service=${ANC}&to=${encodeURIComponent(at(localDate(120), '00:00'))}`],
    ['a bad page size', 'pageSize', `service=${ANC}&pageSize=1000`],
  ])('%s is 400 naming %s', async (_, field, query) => {
    const answer = await call('lufeng.clinician', 'GET', `/v1/slots?${query}`);
    expect(answer.status).toBe(400);
    expect(fieldsOf(answer)).toEqual([field]);
  });
});

describe('booking under concurrency', () => {
  let women: string[];

  beforeAll(async () => {
    women = await registerWomen(api, tokens['lufeng.midwife'] as string, 200);
    expect(new Set(women).size).toBe(200);
  }, 180_000);

  it('200 parallel bookings by 200 patients at a slot of capacity 1: exactly one succeeds, every other is 409, the database agrees, search forgets it', async () => {
    // Search first, so that a cached page exists that the booking must invalidate.
    expect(
      (await slots(`service=${CONSULTATION}&institution=CX-LFS-MCH&${window(DAY)}`)).map((slot) => slot.start),
    ).toContain(SLOT_CAPACITY_1);
    const answers = await Promise.all(women.map((patientId) => book(patientId, SLOT_CAPACITY_1)));
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(199);
    const refusal = answers.find((answer) => answer.status === 409);
    expect(refusal?.body.message).toMatch(/fully booked/);
    expect(await occupancy(SLOT_CAPACITY_1)).toEqual({ appointments: 1, booked: 1, capacity: 1 });
    expect(
      (await slots(`service=${CONSULTATION}&institution=CX-LFS-MCH&${window(DAY)}`)).map((slot) => slot.start),
    ).not.toContain(SLOT_CAPACITY_1);
  }, 120_000);

  it('the same at a slot of capacity 5 ends with exactly five appointments', async () => {
    const answers = await Promise.all(women.map((patientId) => book(patientId, SLOT_CAPACITY_5)));
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(5);
    expect(statuses.filter((status) => status === 409)).toHaveLength(195);
    expect(await occupancy(SLOT_CAPACITY_5)).toEqual({ appointments: 5, booked: 5, capacity: 5 });
  }, 120_000);
});

describe("one patient's appointments", () => {
  let woman: string;
  let appointmentId: string;
  const first = at(DAY, '05:00');

  beforeAll(async () => {
    [woman] = (await registerWomen(api, tokens['lufeng.midwife'] as string, 1)) as [string];
  });

  it('a retry with the same idempotency key returns the same appointment; a different request under it is 400', async () => {
    const key = { 'idempotency-key': `book-${woman}` };
    const booked = await ok(call('lufeng.clinician', 'POST', '/v1/appointments', booking(woman, first), key));
    appointmentId = booked.appointment.id;
    expect(booked.appointment).toMatchObject({
      patientId: woman,
      institutionId: lufengMch,
      service: CONSULTATION,
      status: 'APPOINTMENT_STATUS_BOOKED',
      start: first,
      end: at(DAY, '05:30'),
    });
    const retry = await ok(call('lufeng.clinician', 'POST', '/v1/appointments', booking(woman, first), key));
    expect(retry).toEqual(booked);
    const other = await call('lufeng.clinician', 'POST', '/v1/appointments', booking(woman, at(DAY, '06:00')), key);
    expect(other.status).toBe(400);
    expect(fieldsOf(other)).toEqual(['Idempotency-Key']);
    expect((await occupancy(first)).appointments).toBe(1);
  });

  it('the same patient booking an overlapping time with a new key is 409 naming the appointment she holds', async () => {
    const again = await call('lufeng.clinician', 'POST', '/v1/appointments', booking(woman, first));
    expect(again.status).toBe(409);
    expect(again.body.message).toContain(appointmentId);
  });

  it('"earliest free slot at or after" books the first free one (the referral path)', async () => {
    const [other] = (await registerWomen(api, tokens['lufeng.midwife'] as string, 1)) as [string];
    const booked = await ok(
      call(
        'lufeng.clinician',
        'POST',
        '/v1/appointments',
        booking(other, at(DAY, '02:00'), { earliestFreeAtOrAfter: true, referralId: 'ref-123' }),
      ),
    );
    // 03:00 and 03:30 are full; 05:00 has a place left.
    expect(booked.appointment.start).toBe(first);
    expect(booked.appointment.referralId).toBe('ref-123');
  });

  it('bad bookings are 400 naming the field', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [booking(woman, at(localDate(-1), '05:00')), 'start'],
      [booking(woman, at(DAY, '05:10')), 'start'],
      [{ ...booking(woman, first), service: 'SERVICE_TYPE_MASSAGE' }, 'service'],
      [{ ...booking(woman, first), service: 'SERVICE_TYPE_UNSPECIFIED' }, 'service'],
      [{ ...booking(woman, first), patientId: 'nobody' }, 'patientId'],
      [{ ...booking(woman, first), start: 'tomorrow' }, 'start'],
    ];
    for (const [body, field] of cases) {
      const answer = await call('lufeng.clinician', 'POST', '/v1/appointments', body);
      expect([answer.status, fieldsOf(answer)]).toEqual([400, [field]]);
    }
  });

  it('staff must state a purpose to book', async () => {
    expect(
      (
        await api.call('POST', '/v1/appointments', {
          token: tokens['lufeng.clinician'],
          body: booking(woman, at(DAY, '06:30')),
        })
      ).status,
    ).toBe(403);
  });

  it('reschedule frees the old slot and takes the new one atomically; a full target is 409 and changes nothing', async () => {
    const target = at(NEXT_DAY, '05:00');
    const moved = await ok(
      call('lufeng.clinician', 'POST', `/v1/appointments/${appointmentId}/reschedule`, {
        start: target,
        reason: 'family',
      }),
    );
    expect(moved.appointment).toMatchObject({
      id: appointmentId,
      start: target,
      status: 'APPOINTMENT_STATUS_BOOKED',
      rescheduleCount: 1,
    });
    expect((await occupancy(first)).booked).toBe(1);
    expect(await occupancy(target)).toEqual({ appointments: 1, booked: 1, capacity: 1 });
    const [other] = (await registerWomen(api, tokens['lufeng.midwife'] as string, 1)) as [string];
    const otherBooking = await ok(
      call('lufeng.clinician', 'POST', '/v1/appointments', booking(other, at(NEXT_DAY, '05:30'))),
    );
    const full = await call('lufeng.clinician', 'POST', `/v1/appointments/${otherBooking.appointment.id}/reschedule`, {
      start: target,
    });
    expect(full.status).toBe(409);
    expect(
      (await ok(call('lufeng.clinician', 'GET', `/v1/appointments/${otherBooking.appointment.id}`))).appointment.start,
    ).toBe(at(NEXT_DAY, '05:30'));
  });

  it("lists her appointments and the institution's day list", async () => {
    const mine = await ok(call('lufeng.clinician', 'GET', `/v1/patients/${woman}/appointments`));
    expect(mine.appointments.map((appointment: { id: string }) => appointment.id)).toEqual([appointmentId]);
    const day = await ok(
      call('lufeng.clinician', 'GET', `/v1/institutions/${lufengMch}/appointments?date=${NEXT_DAY}`),
    );
    expect(day.appointments.map((appointment: { id: string }) => appointment.id)).toContain(appointmentId);
    expect(
      (await call('shuangbai.midwife', 'GET', `/v1/institutions/${lufengMch}/appointments?date=${NEXT_DAY}`)).status,
    ).toBe(403);
    const audit = await database.query(`SELECT action FROM scheduling.audit_events WHERE patient_id = $1`, [woman]);
    expect(audit.rows.map((row) => row.action)).toEqual(
      expect.arrayContaining([
        'appointment.book',
        'appointment.reschedule',
        'appointment.list',
        'appointment.day-list.read',
      ]),
    );
    // Her audit trail through identity gathers scheduling's events too.
    const trail = await ok(call('lufeng.admin', 'GET', `/v1/patients/${woman}/audit?pageSize=100`));
    expect(trail.unavailableServices ?? []).not.toContain('scheduling');
    expect(
      trail.events
        .filter((event: { service: string }) => event.service === 'scheduling')
        .map((event: { action: string }) => event.action),
    ).toEqual(expect.arrayContaining(['appointment.book', 'appointment.reschedule']));
  });

  it('cancel frees the slot; a cancelled appointment cannot be cancelled again or marked', async () => {
    const cancelled = await ok(
      call('lufeng.clinician', 'POST', `/v1/appointments/${appointmentId}/cancel`, { reason: 'moved away' }),
    );
    expect(cancelled.appointment.status).toBe('APPOINTMENT_STATUS_CANCELLED');
    expect(await occupancy(at(NEXT_DAY, '05:00'))).toEqual({ appointments: 0, booked: 0, capacity: 1 });
    expect(
      (await slots(`service=${CONSULTATION}&institution=CX-LFS-MCH&${window(NEXT_DAY)}`)).map((slot) => slot.start),
    ).toContain(at(NEXT_DAY, '05:00'));
    expect((await call('lufeng.clinician', 'POST', `/v1/appointments/${appointmentId}/cancel`, {})).status).toBe(409);
    expect((await call('lufeng.clinician', 'POST', `/v1/appointments/${appointmentId}/arrive`, {})).status).toBe(409);
  });
});
