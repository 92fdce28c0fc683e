// Referral through the gateway against the real platform: a red pregnancy at a township is suggested the 三级
// prefecture hospital, referred, received, accepted with a booking (made in scheduling when it runs) and a record
// snapshot, then referred back down to the township with a plan; the county that graded her sees a pending
// suggestion raised from records' risk outbox; a yellow woman near a county border is suggested the next county's
// hospital; a needed capability passes institutions over with the reason; a critical-care centre redirects instead
// of refusing. Bad input and wrong actors are 400 / 403 naming what is wrong and change nothing; retries replay.
import { Metadata } from '@grpc/grpc-js';
import { Client } from 'pg';
import { callUnary, createChannelClient } from '../../common/src/grpc/client';
import { ReferralServiceService } from '../../common/src/gen/mch/referral/v1/referral';
import { readTestPlatform } from '../../platform/test/platform-env';
import { DAY, eventually, fieldsOf, ok, ReferralWorld, thisMonthInChina } from './support';

const platform = readTestPlatform();
const world = new ReferralWorld(platform.gatewayUrl);
const { tokens, institutions } = world;
const call = world.call.bind(world);
const gradedPregnancy = world.gradedPregnancy.bind(world);
const schedulingRuns = platform.serviceAddresses.scheduling !== undefined;
const consultationRuns = platform.serviceAddresses.consultation !== undefined;

beforeAll(async () => {
  await world.login([
    'lufeng.midwife',
    'lufeng.clinician',
    'pref.clinician',
    'pref.analyst',
    'shuangbai.midwife',
    'lufeng.admin',
  ]);
});

describe('a red pregnancy at a township, up to the 三级 hospital and back down', () => {
  let patientId: string;
  let pregnancyId: string;
  let referralId: string;
  const township = (): string => institutions['CX-LFS-GUANGTONG-THC'] as string;
  const prefecture = (): string => institutions['CX-PREF-MCH'] as string;
  const county = (): string => institutions['CX-LFS-MCH'] as string;

  beforeAll(async () => {
    ({ patientId, pregnancyId } = await gradedPregnancy('red'));
  });

  it('the county that graded her red sees a pending referral suggestion, raised from the risk outbox', async () => {
    const suggestion = await eventually('a pending suggestion at the county', async () => {
      const page = await ok(
        call('lufeng.clinician', 'GET', `/v1/institutions/${county()}/referral-suggestions?pageSize=100`),
      );
      return (page.suggestions ?? []).find((s: { pregnancyId: string }) => s.pregnancyId === pregnancyId);
    });
    expect(suggestion).toMatchObject({ patientId, colour: 'red', status: 'pending', countyCode: 'lufeng' });
    // Another institution's staff do not see that worklist.
    const foreign = await call('lufeng.midwife', 'GET', `/v1/institutions/${county()}/referral-suggestions`);
    expect(foreign.status).toBe(403);
    const dismissed = await ok(
      call('lufeng.clinician', 'POST', `/v1/referral-suggestions/${suggestion.id}/dismiss`, {
        reason: 'the township refers her directly',
      }),
    );
    expect(dismissed.suggestion.status).toBe('dismissed');
    const again = await call('lufeng.clinician', 'POST', `/v1/referral-suggestions/${suggestion.id}/dismiss`, {
      reason: 'twice',
    });
    expect(again.status).toBe(409);
  });

  it('the township is suggested the 三级 prefecture hospital; the nearer county centre is passed over for its level', async () => {
    const body = await ok(call('lufeng.midwife', 'GET', `/v1/referrals/suggestions?patientId=${patientId}`));
    expect(body.riskColour).toBe('red');
    expect(body.requiredLevel).toBe('prefecture');
    expect(body.fromInstitutionId).toBe(township());
    expect(body.targets[0]).toMatchObject({ institutionId: prefecture(), code: 'CX-PREF-MCH', level: 'prefecture' });
    expect(body.targets[0].reason).toContain('prefecture (三级)');
    const passed = (body.passedOver ?? []).find((p: { code: string }) => p.code === 'CX-LFS-MCH');
    expect(passed.reason).toBe('level county (二级) is below the prefecture (三级) level red requires');
    expect(passed.distanceKm).toBeLessThan(body.targets[0].distanceKm);
  });

  it('refuses bad input with 400 naming each field, and creates nothing', async () => {
    const cases: [Record<string, unknown>, string[]][] = [
      [{ patientId, toInstitutionId: prefecture(), direction: 'REFERRAL_DIRECTION_UP' }, ['reason']],
      [
        { patientId: 'nope', toInstitutionId: prefecture(), direction: 'REFERRAL_DIRECTION_UP', reason: 'x' },
        ['patientId'],
      ],
      [{ patientId, toInstitutionId: prefecture(), reason: 'x' }, ['direction']],
      [
        { patientId, toInstitutionId: township(), direction: 'REFERRAL_DIRECTION_UP', reason: 'x' },
        ['toInstitutionId'],
      ],
      [
        {
          patientId,
          toInstitutionId: '00000000-0000-4000-8000-000000000000',
          direction: 'REFERRAL_DIRECTION_UP',
          reason: 'x',
        },
        ['toInstitutionId'],
      ],
      [{ patientId, toInstitutionId: prefecture(), direction: 'REFERRAL_DIRECTION_DOWN', reason: 'x' }, ['direction']],
    ];
    for (const [body, fields] of cases) {
      const answer = await call('lufeng.midwife', 'POST', '/v1/referrals', body);
      expect({ body, status: answer.status, fields: fieldsOf(answer) }).toEqual({ body, status: 400, fields });
    }
    const suggestions = await call(
      'lufeng.midwife',
      'GET',
      `/v1/referrals/suggestions?patientId=${patientId}&maxResults=99`,
    );
    expect(suggestions.status).toBe(400);
    expect(fieldsOf(suggestions)).toEqual(['maxResults']);
    const outgoing = await ok(
      call('lufeng.midwife', 'GET', `/v1/institutions/${township()}/referrals?direction=outgoing&pageSize=100`),
    );
    expect((outgoing.referrals ?? []).filter((r: { patientId: string }) => r.patientId === patientId)).toEqual([]);
  });

  it('requests the referral (emergency: 30 minutes to accept); a retry replays, a second one to the same place is 409', async () => {
    const body = {
      patientId,
      toInstitutionId: prefecture(),
      direction: 'REFERRAL_DIRECTION_UP',
      urgency: 'REFERRAL_URGENCY_EMERGENCY',
      reason: 'severe pre-eclampsia at 31 weeks',
    };
    const key = { 'idempotency-key': `refer-${patientId}` };
    const created = await ok(call('lufeng.midwife', 'POST', '/v1/referrals', body, key));
    const referral = created.referral;
    referralId = referral.id;
    expect(referral).toMatchObject({
      status: 'REFERRAL_STATUS_REQUESTED',
      direction: 'REFERRAL_DIRECTION_UP',
      riskColour: 'red',
      fromInstitutionId: township(),
      toInstitutionId: prefecture(),
      pregnancyId,
      patientCountyCode: 'lufeng',
    });
    expect(Date.parse(referral.acceptanceDeadline) - Date.parse(referral.createdAt)).toBe(30 * 60_000);
    expect(referral.transitions).toHaveLength(1);
    const replay = await ok(call('lufeng.midwife', 'POST', '/v1/referrals', body, key));
    expect(replay.referral.id).toBe(referralId);
    const other = await call('lufeng.midwife', 'POST', '/v1/referrals', { ...body, reason: 'different' }, key);
    expect(other.status).toBe(400);
    expect(fieldsOf(other)).toEqual(['Idempotency-Key']);
    const duplicate = await call('lufeng.midwife', 'POST', '/v1/referrals', body);
    expect(duplicate.status).toBe(409);
    const incoming = await ok(
      call(
        'pref.clinician',
        'GET',
        `/v1/institutions/${prefecture()}/referrals?direction=incoming&status=open&pageSize=100`,
      ),
    );
    expect((incoming.referrals ?? []).map((r: { id: string }) => r.id)).toContain(referralId);
    if (consultationRuns) {
      // The sender and the receiver have a clinician–specialist thread about the referral.
      expect(referral.consultationId).toBeTruthy();
      const thread = await ok(call('lufeng.midwife', 'GET', `/v1/consultations/${referral.consultationId}`));
      expect(thread.summary.consultation).toMatchObject({
        referralId,
        patientId,
        addressedInstitutionId: prefecture(),
        kind: 'CONSULTATION_KIND_CLINICIAN_SPECIALIST',
      });
    } else {
      expect(referral.consultationId ?? '').toBe('');
    }
  });

  it('wrong actors are 403 naming who may act, and change nothing', async () => {
    const cases: [string, string, Record<string, unknown>][] = [
      ['lufeng.midwife', 'accept', {}],
      ['lufeng.midwife', 'receive', {}],
      ['pref.clinician', 'cancel', {}],
      ['shuangbai.midwife', 'cancel', {}],
      ['lufeng.clinician', 'reject', { reason: 'not mine' }],
    ];
    for (const [user, action, body] of cases) {
      const answer = await call(user, 'POST', `/v1/referrals/${referralId}/${action}`, body);
      expect({ user, action, status: answer.status }).toEqual({ user, action, status: 403 });
      expect(answer.body.message).toMatch(/only staff of the (sending|receiving) institution/);
    }
    expect((await call('shuangbai.midwife', 'GET', `/v1/referrals/${referralId}`)).status).toBe(403);
    const unchanged = await ok(call('lufeng.midwife', 'GET', `/v1/referrals/${referralId}`));
    expect(unchanged.referral.status).toBe('REFERRAL_STATUS_REQUESTED');
    expect(unchanged.referral.transitions).toHaveLength(1);
  });

  it('the prefecture receives it; it may not refuse a red up-referral, and an illegal step is 409 naming the state', async () => {
    const received = await ok(call('pref.clinician', 'POST', `/v1/referrals/${referralId}/receive`, {}));
    expect(received.referral.status).toBe('REFERRAL_STATUS_RECEIVED');
    const refusal = await call('pref.clinician', 'POST', `/v1/referrals/${referralId}/reject`, { reason: 'no bed' });
    expect(refusal.status).toBe(409);
    expect(refusal.body.message).toContain('may not refuse');
    const noReason = await call('pref.clinician', 'POST', `/v1/referrals/${referralId}/reject`, {});
    expect(noReason.status).toBe(400);
    expect(fieldsOf(noReason)).toEqual(['reason']);
    const early = await call('pref.clinician', 'POST', `/v1/referrals/${referralId}/start`, {});
    expect(early.status).toBe(409);
    expect(early.body.message).toContain('that is received');
  });

  it('accepts with a booking and a snapshot of her record; the booking is made in scheduling (pending while it is absent)', async () => {
    const badBooking = await call('pref.clinician', 'POST', `/v1/referrals/${referralId}/accept`, {
      booking: { slotStart: new Date(Date.now() - DAY).toISOString() },
    });
    expect(badBooking.status).toBe(400);
    expect(fieldsOf(badBooking).sort()).toEqual(['booking.service', 'booking.slotStart']);
    const key = { 'idempotency-key': `accept-${referralId}` };
    // A specialist consultation slot at the prefecture (scheduling's own tests rewrite its delivery-assessment sessions).
    const request = {
      note: 'bed reserved on the high-risk ward',
      booking: {
        service: 'SERVICE_TYPE_CONSULTATION',
        slotStart: new Date(Date.now() + DAY).toISOString(),
        earliestAtOrAfter: true,
      },
    };
    const accepted = await ok(call('pref.clinician', 'POST', `/v1/referrals/${referralId}/accept`, request, key));
    const referral = accepted.referral;
    expect(referral.status).toBe('REFERRAL_STATUS_ACCEPTED');
    expect(referral.acceptedAt).toBeTruthy();
    expect(referral.recordSnapshot).toMatchObject({
      pregnancyId,
      riskColour: 'red',
      lastSystolicBp: 172,
      lastDiastolicBp: 114,
      visitCount: 1,
    });
    expect(referral.booking.idempotencyKey).toBe(`referral-booking-${referralId}`);
    const replay = await ok(call('pref.clinician', 'POST', `/v1/referrals/${referralId}/accept`, request, key));
    expect(replay).toEqual(accepted);
    if (schedulingRuns) {
      // Booked in the same step, as the referral service, under the key derived from the referral.
      expect(referral.booking.status).toBe('BOOKING_STATUS_BOOKED');
      const appointment = await ok(
        call('pref.clinician', 'GET', `/v1/appointments/${referral.booking.appointmentId}`, undefined, {
          'x-mch-purpose': 'treatment',
        }),
      );
      expect(appointment.appointment).toMatchObject({
        patientId,
        institutionId: prefecture(),
        referralId,
        status: 'APPOINTMENT_STATUS_BOOKED',
      });
      expect(Date.parse(appointment.appointment.start)).toBe(Date.parse(referral.booking.slotStart));
    } else {
      expect(referral.booking.status).toBe('BOOKING_STATUS_PENDING');
      expect(referral.booking.lastError).toContain('scheduling');
    }
  });

  it('either side sets the business status; care starts, pauses and resumes', async () => {
    const transport = await ok(
      call('lufeng.midwife', 'POST', `/v1/referrals/${referralId}/business-status`, {
        businessStatus: 'transport arranged',
      }),
    );
    expect(transport.referral.businessStatus).toBe('transport arranged');
    const empty = await call('lufeng.midwife', 'POST', `/v1/referrals/${referralId}/business-status`, {
      businessStatus: ' ',
    });
    expect(fieldsOf(empty)).toEqual(['businessStatus']);
    await ok(
      call('pref.clinician', 'POST', `/v1/referrals/${referralId}/business-status`, {
        businessStatus: 'patient arrived',
      }),
    );
    for (const [action, status] of [
      ['start', 'IN_PROGRESS'],
      ['hold', 'ON_HOLD'],
      ['resume', 'IN_PROGRESS'],
    ] as const) {
      const body = await ok(call('pref.clinician', 'POST', `/v1/referrals/${referralId}/${action}`, {}));
      expect(body.referral.status).toBe(`REFERRAL_STATUS_${status}`);
    }
  });

  it('refers her back down to the township with a follow-up plan; the township sees completion, feedback and the down-referral', async () => {
    const missing = await call('pref.clinician', 'POST', `/v1/referrals/${referralId}/refer-back`, {});
    expect(fieldsOf(missing).sort()).toEqual(['feedback', 'followUpPlan']);
    const body = await ok(
      call('pref.clinician', 'POST', `/v1/referrals/${referralId}/refer-back`, {
        followUpPlan: 'BP twice weekly; labetalol 100 mg bid; return at once if BP ≥ 160/110',
        feedback: 'delivered by caesarean at 33 weeks; pre-eclampsia controlled',
      }),
    );
    const down = body.downReferral;
    expect(body.referral).toMatchObject({ status: 'REFERRAL_STATUS_COMPLETED', downReferralId: down.id });
    expect(down).toMatchObject({
      direction: 'REFERRAL_DIRECTION_DOWN',
      status: 'REFERRAL_STATUS_REQUESTED',
      fromInstitutionId: prefecture(),
      toInstitutionId: township(),
      parentReferralId: referralId,
    });
    const seen = await ok(call('lufeng.midwife', 'GET', `/v1/referrals/${referralId}`));
    expect(seen.referral.status).toBe('REFERRAL_STATUS_COMPLETED');
    expect(seen.referral.feedback).toContain('pre-eclampsia controlled');
    expect(seen.referral.transitions.map((t: { action: string }) => t.action)).toEqual([
      'request',
      'receive',
      'accept',
      'business-status',
      'business-status',
      'start',
      'hold',
      'resume',
      'refer-back',
    ]);
    const incoming = await ok(
      call(
        'lufeng.midwife',
        'GET',
        `/v1/institutions/${township()}/referrals?direction=incoming&status=requested&pageSize=100`,
      ),
    );
    const arrived = (incoming.referrals ?? []).find((r: { id: string }) => r.id === down.id);
    expect(arrived.followUpPlan).toContain('labetalol');
    for (const action of ['accept', 'start', 'complete'])
      await ok(
        call(
          'lufeng.midwife',
          'POST',
          `/v1/referrals/${down.id}/${action}`,
          action === 'complete' ? { feedback: 'followed up, BP normal' } : {},
        ),
      );
    const finished = await ok(call('pref.clinician', 'GET', `/v1/referrals/${down.id}`));
    expect(finished.referral).toMatchObject({
      status: 'REFERRAL_STATUS_COMPLETED',
      feedback: 'followed up, BP normal',
    });
    const late = await call('lufeng.midwife', 'POST', `/v1/referrals/${referralId}/cancel`, {});
    expect(late.status).toBe(409);
    expect(late.body.message).toContain('that is completed');
  });

  it("her audit trail in identity includes referral's reads and writes", async () => {
    const trail = await ok(call('lufeng.admin', 'GET', `/v1/patients/${patientId}/audit?pageSize=100`));
    const actions = (trail.events ?? [])
      .filter((e: { service: string }) => e.service === 'referral')
      .map((e: { action: string }) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining(['referral.suggest', 'referral.create', 'referral.accept', 'referral.read']),
    );
    expect(
      (trail.events ?? []).some(
        (e: { service: string; outcome: string }) => e.service === 'referral' && e.outcome === 'denied',
      ),
    ).toBe(true);
  });
});

describe('routing near a county border and by capability', () => {
  let patientId: string;

  beforeAll(async () => {
    ({ patientId } = await gradedPregnancy('yellow'));
  });

  it('a yellow woman at Heijing (Lufeng) is suggested the nearest county-level hospital, in Mouding', async () => {
    const body = await ok(
      call(
        'lufeng.clinician',
        'GET',
        `/v1/referrals/suggestions?patientId=${patientId}&fromInstitutionId=${institutions['CX-LFS-HEIJING-THC']}`,
      ),
    );
    expect(body.riskColour).toBe('yellow');
    expect(body.requiredLevel).toBe('county');
    expect(body.targets.map((t: { code: string }) => t.code)).toEqual(['CX-MDX-MCH', 'CX-YMX-MCH', 'CX-LFS-MCH']);
    expect(body.targets[0].countyCode).toBe('mouding');
    expect((body.passedOver ?? []).every((p: { level: string }) => p.level === 'township')).toBe(true);
  });

  it('an institution lacking a needed capability is passed over with the reason', async () => {
    const body = await ok(
      call(
        'lufeng.clinician',
        'GET',
        `/v1/referrals/suggestions?patientId=${patientId}&fromInstitutionId=${institutions['CX-LFS-HEIJING-THC']}&capabilities=nicu`,
      ),
    );
    const mouding = (body.passedOver ?? []).find((p: { code: string }) => p.code === 'CX-MDX-MCH');
    expect(mouding.reason).toBe('lacks nicu');
    expect(body.targets[0].code).not.toBe('CX-MDX-MCH');
    expect(body.requiredCapabilities).toEqual(expect.arrayContaining(['delivery', 'nicu']));
  });
});

describe('a critical-care centre redirects instead of refusing', () => {
  it('ends the referral as redirected and, in the same step, requests a linked one to the other institution', async () => {
    const { patientId } = await gradedPregnancy('red');
    const created = await ok(
      call('lufeng.midwife', 'POST', '/v1/referrals', {
        patientId,
        toInstitutionId: institutions['CX-LFS-MCH'],
        direction: 'REFERRAL_DIRECTION_UP',
        urgency: 'REFERRAL_URGENCY_URGENT',
        reason: 'severe hypertension',
      }),
    );
    const id = created.referral.id;
    expect(Date.parse(created.referral.acceptanceDeadline) - Date.parse(created.referral.createdAt)).toBe(
      24 * 3600_000,
    );
    const refusal = await call('lufeng.clinician', 'POST', `/v1/referrals/${id}/reject`, { reason: 'no ICU bed' });
    expect(refusal.status).toBe(409);
    const sameTarget = await call('lufeng.clinician', 'POST', `/v1/referrals/${id}/redirect`, {
      toInstitutionId: institutions['CX-LFS-MCH'],
      reason: 'no ICU bed',
    });
    expect(sameTarget.status).toBe(400);
    expect(fieldsOf(sameTarget)).toEqual(['toInstitutionId']);
    const body = await ok(
      call('lufeng.clinician', 'POST', `/v1/referrals/${id}/redirect`, {
        toInstitutionId: institutions['CX-PREF-MCH'],
        reason: 'no ICU bed tonight',
      }),
    );
    expect(body.referral).toMatchObject({
      status: 'REFERRAL_STATUS_REJECTED',
      statusReason: 'redirected',
      redirectedToReferralId: body.redirectedTo.id,
    });
    expect(body.redirectedTo).toMatchObject({
      status: 'REFERRAL_STATUS_REQUESTED',
      redirectedFromReferralId: id,
      fromInstitutionId: institutions['CX-LFS-GUANGTONG-THC'],
      toInstitutionId: institutions['CX-PREF-MCH'],
      urgency: 'REFERRAL_URGENCY_URGENT',
      riskColour: 'red',
    });
    const outgoing = await ok(
      call(
        'lufeng.midwife',
        'GET',
        `/v1/institutions/${institutions['CX-LFS-GUANGTONG-THC']}/referrals?direction=outgoing&status=open&pageSize=100`,
      ),
    );
    expect((outgoing.referrals ?? []).map((r: { id: string }) => r.id)).toContain(body.redirectedTo.id);
    expect((outgoing.referrals ?? []).map((r: { id: string }) => r.id)).not.toContain(id);
  });
});

describe('worklist order and concurrent decisions', () => {
  const county = (): string => institutions['CX-LFS-MCH'] as string;
  let routineId: string;
  let emergencyId: string;

  beforeAll(async () => {
    const request = async (urgency: string): Promise<string> => {
      const { patientId } = await gradedPregnancy('yellow');
      const body = await ok(
        call('lufeng.midwife', 'POST', '/v1/referrals', {
          patientId,
          toInstitutionId: county(),
          direction: 'REFERRAL_DIRECTION_UP',
          urgency,
          reason: 'age 38, for delivery planning',
        }),
      );
      return body.referral.id;
    };
    routineId = await request('REFERRAL_URGENCY_ROUTINE');
    emergencyId = await request('REFERRAL_URGENCY_EMERGENCY');
  });

  it('a referral past its acceptance deadline is flagged overdue and sorts first', async () => {
    // Three days pass for the routine referral: its deadline is moved into the past.
    const db = new Client({ connectionString: platform.rwUrl });
    await db.connect();
    try {
      await db.query(`UPDATE referral.referrals SET acceptance_deadline = now() - interval '1 minute' WHERE id = $1`, [
        routineId,
      ]);
    } finally {
      await db.end();
    }
    const page = await ok(
      call(
        'lufeng.clinician',
        'GET',
        `/v1/institutions/${county()}/referrals?direction=incoming&status=open&pageSize=100`,
      ),
    );
    const referrals = page.referrals as { id: string; overdue?: boolean }[];
    expect(referrals[0]).toMatchObject({ id: routineId, overdue: true });
    const emergency = referrals.find((r) => r.id === emergencyId);
    expect(emergency?.overdue ?? false).toBe(false);
    expect(referrals.filter((r) => r.overdue).map((r) => r.id)).toEqual([routineId]);
    const bad = await call(
      'lufeng.clinician',
      'GET',
      `/v1/institutions/${county()}/referrals?direction=sideways&status=pending`,
    );
    expect(fieldsOf(bad).sort()).toEqual(['direction', 'status']);
  });

  it('of two concurrent decisions on one referral exactly one wins; the other is 409 naming the new state', async () => {
    const answers = await Promise.all([
      call('lufeng.clinician', 'POST', `/v1/referrals/${emergencyId}/accept`, {}),
      call('lufeng.clinician', 'POST', `/v1/referrals/${emergencyId}/reject`, { reason: 'no obstetrician tonight' }),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    const loser = answers.find((a) => a.status === 409);
    const final = await ok(call('lufeng.clinician', 'GET', `/v1/referrals/${emergencyId}`));
    expect(loser?.body.message).toContain(
      `that is ${final.referral.status === 'REFERRAL_STATUS_ACCEPTED' ? 'accepted' : 'rejected'}`,
    );
    expect(final.referral.transitions).toHaveLength(2);
  });
});

describe('a referral withdrawn after acceptance gives its appointment back', () => {
  it('the sender cancels: the booked appointment is cancelled in scheduling (a pending booking is given up)', async () => {
    const { patientId } = await gradedPregnancy('red');
    const prefecture = institutions['CX-PREF-MCH'] as string;
    const created = await ok(
      call('lufeng.midwife', 'POST', '/v1/referrals', {
        patientId,
        toInstitutionId: prefecture,
        direction: 'REFERRAL_DIRECTION_UP',
        reason: 'severe hypertension',
      }),
    );
    const id = created.referral.id;
    const booking = {
      service: 'SERVICE_TYPE_CONSULTATION',
      slotStart: new Date(Date.now() + 2 * DAY).toISOString(),
      earliestAtOrAfter: true,
    };
    const accepted = await ok(call('pref.clinician', 'POST', `/v1/referrals/${id}/accept`, { booking }));
    const cancelled = await ok(
      call('lufeng.midwife', 'POST', `/v1/referrals/${id}/cancel`, {
        reason: 'she was taken to Kunming by her family',
      }),
    );
    expect(cancelled.referral).toMatchObject({
      status: 'REFERRAL_STATUS_CANCELLED',
      statusReason: 'she was taken to Kunming by her family',
    });
    if (schedulingRuns) {
      expect(cancelled.referral.booking.status).toBe('BOOKING_STATUS_CANCELLED');
      const appointment = await ok(
        call('pref.clinician', 'GET', `/v1/appointments/${accepted.referral.booking.appointmentId}`, undefined, {
          'x-mch-purpose': 'treatment',
        }),
      );
      expect(appointment.appointment.status).toBe('APPOINTMENT_STATUS_CANCELLED');
    } else {
      expect(cancelled.referral.booking).toMatchObject({
        status: 'BOOKING_STATUS_FAILED',
        lastError: 'not booked: the referral was cancelled',
      });
    }
  });
});

describe('indicators for statistics', () => {
  it("gives analysts referral counts and the median time to acceptance by county and month, also in records' statistics", async () => {
    const client = createChannelClient(platform.serviceAddresses.referral as string);
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${tokens['pref.analyst']}`);
    const month = thisMonthInChina();
    const response = await callUnary(
      client,
      ReferralServiceService.getReferralIndicators,
      { county: 'lufeng', from: month, to: month },
      { metadata },
    );
    const lufeng = response.indicators.find((row) => row.county === 'lufeng' && row.month === month);
    expect(Number(lufeng?.referralsUp)).toBeGreaterThanOrEqual(3);
    expect(Number(lufeng?.referralsDown)).toBeGreaterThanOrEqual(1);
    expect(Number(lufeng?.redirected)).toBeGreaterThanOrEqual(1);
    expect(lufeng?.medianMinutesToAcceptance).toBeGreaterThanOrEqual(0);
    const clinician = new Metadata();
    clinician.set('authorization', `Bearer ${tokens['lufeng.clinician']}`);
    await expect(
      callUnary(
        client,
        ReferralServiceService.getReferralIndicators,
        { county: 'lufeng', from: month, to: month },
        { metadata: clinician },
      ),
    ).rejects.toMatchObject({ code: 7 });
    client.close();
    // Records' statistics carry them beside its own, with their definitions.
    const statistics = await ok(call('pref.analyst', 'GET', `/v1/statistics?county=lufeng&from=${month}&to=${month}`));
    const byIndicator = new Map((statistics.values ?? []).map((v: { indicator: string }) => [v.indicator, v]));
    expect(byIndicator.get('referrals_up')).toMatchObject({ county: 'lufeng', month, numerator: lufeng?.referralsUp });
    expect(byIndicator.get('referrals_accepted')).toMatchObject({ numerator: lufeng?.accepted });
    expect((byIndicator.get('referral_median_minutes_to_acceptance') as { definition: string }).definition).toContain(
      'median minutes',
    );
    expect(statistics.unavailable ?? []).toEqual([]);
  });
});
