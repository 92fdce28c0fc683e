// With scheduling stopped, a receiver's acceptance with a booking still commits (the booking left pending in the
// outbox); once scheduling is back, the worker books it as the referral service under the referral's key, and the
// appointment exists in scheduling; a referral cancelled meanwhile is not booked. A grade confirmed while referral
// itself is down reaches the worklist after it restarts. On a platform of its own.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPlatform, type Platform } from '../../platform/src/platform';
import { DAY, eventually, ok, ReferralWorld } from './support';

jest.setTimeout(240_000);

let platform: Platform;
let dataDir: string;
let world: ReferralWorld;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'mch-test-'));
  platform = await startPlatform({
    dataDir,
    ports: 'free',
    durability: 'available',
    services: ['identity', 'records', 'scheduling', 'referral', 'gateway'],
    log: (line) => process.stderr.write(`[referral destructive] ${line}\n`),
  });
  world = new ReferralWorld(platform.gatewayUrl);
  await world.login(['lufeng.midwife', 'lufeng.clinician', 'pref.clinician']);
}, 240_000);

afterAll(async () => {
  await platform?.stop();
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
}, 120_000);

test('with scheduling stopped, acceptance succeeds and the booking appears after scheduling returns', async () => {
  const { patientId } = await world.gradedPregnancy('red');
  const prefecture = world.institution('CX-PREF-MCH');
  const created = await ok(
    world.call('lufeng.midwife', 'POST', '/v1/referrals', {
      patientId,
      toInstitutionId: prefecture,
      direction: 'REFERRAL_DIRECTION_UP',
      urgency: 'REFERRAL_URGENCY_EMERGENCY',
      reason: 'severe pre-eclampsia',
    }),
  );
  const referralId = created.referral.id as string;
  // A second one, accepted the same way and then cancelled by the sender before scheduling returns.
  const other = await world.gradedPregnancy('red');
  const cancelledId = (
    await ok(
      world.call('lufeng.midwife', 'POST', '/v1/referrals', {
        patientId: other.patientId,
        toInstitutionId: prefecture,
        direction: 'REFERRAL_DIRECTION_UP',
        reason: 'severe hypertension',
      }),
    )
  ).referral.id as string;

  await platform.stopService('scheduling');
  const booking = {
    service: 'SERVICE_TYPE_CONSULTATION',
    slotStart: new Date(Date.now() + DAY).toISOString(),
    earliestAtOrAfter: true,
  };
  const accepted = await ok(world.call('pref.clinician', 'POST', `/v1/referrals/${referralId}/accept`, { booking }));
  expect(accepted.referral.status).toBe('REFERRAL_STATUS_ACCEPTED');
  expect(accepted.referral.booking.status).toBe('BOOKING_STATUS_PENDING');
  await ok(world.call('pref.clinician', 'POST', `/v1/referrals/${cancelledId}/accept`, { booking }));
  await ok(
    world.call('lufeng.midwife', 'POST', `/v1/referrals/${cancelledId}/cancel`, {
      reason: 'she delivered at the township',
    }),
  );
  // Still pending while scheduling is away: the worker keeps trying.
  const retried = await eventually('a retry while scheduling is down', async () => {
    const current = await ok(world.call('pref.clinician', 'GET', `/v1/referrals/${referralId}`));
    return current.referral.booking.attempts >= 2 ? current.referral : undefined;
  });
  expect(retried.booking.status).toBe('BOOKING_STATUS_PENDING');

  await platform.startService('scheduling');
  const booked = await eventually('the booking completed after scheduling returned', async () => {
    const current = await ok(world.call('pref.clinician', 'GET', `/v1/referrals/${referralId}`));
    return current.referral.booking.status === 'BOOKING_STATUS_BOOKED' ? current.referral.booking : undefined;
  });
  const appointment = await ok(
    world.call('pref.clinician', 'GET', `/v1/appointments/${booked.appointmentId}`, undefined, {
      'x-mch-purpose': 'treatment',
    }),
  );
  expect(appointment.appointment).toMatchObject({
    patientId,
    institutionId: prefecture,
    referralId,
    status: 'APPOINTMENT_STATUS_BOOKED',
  });
  const list = await ok(
    world.call('pref.clinician', 'GET', `/v1/patients/${patientId}/appointments`, undefined, {
      'x-mch-purpose': 'treatment',
    }),
  );
  expect((list.appointments ?? []).filter((a: { referralId: string }) => a.referralId === referralId)).toHaveLength(1);

  // The cancelled referral's booking is given up, not made.
  const givenUp = await eventually("the cancelled referral's booking given up", async () => {
    const current = await ok(world.call('pref.clinician', 'GET', `/v1/referrals/${cancelledId}`));
    return current.referral.booking.status === 'BOOKING_STATUS_FAILED' ? current.referral.booking : undefined;
  });
  expect(givenUp.lastError).toContain('cancelled');
  const none = await ok(
    world.call('pref.clinician', 'GET', `/v1/patients/${other.patientId}/appointments`, undefined, {
      'x-mch-purpose': 'treatment',
    }),
  );
  expect(none.appointments ?? []).toEqual([]);
});

test('a red grade confirmed while referral is down reaches the county worklist after it restarts, and none twice', async () => {
  const county = world.institution('CX-LFS-MCH');
  // Right after a restart the gateway may still be reconnecting (503): such an answer counts as "not yet".
  const pendingAtCounty = async (): Promise<{ pregnancyId: string }[] | undefined> => {
    const answer = await world.call(
      'lufeng.clinician',
      'GET',
      `/v1/institutions/${county}/referral-suggestions?pageSize=100`,
    );
    if (answer.status === 503) return undefined;
    if (answer.status !== 200) throw new Error(`${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body.suggestions ?? [];
  };
  const before = await eventually("the first test's suggestion", async () => {
    const pending = await pendingAtCounty();
    return pending && pending.length > 0 ? pending : undefined;
  });

  await platform.stopService('referral');
  const { pregnancyId } = await world.gradedPregnancy('red');
  await platform.startService('referral');

  const suggestion = await eventually('the suggestion raised while referral was down', async () =>
    (await pendingAtCounty())?.find((s) => s.pregnancyId === pregnancyId),
  );
  expect(suggestion).toMatchObject({ colour: 'red', status: 'pending' });
  const after = (await pendingAtCounty()) ?? [];
  expect(after.filter((s) => s.pregnancyId === pregnancyId)).toHaveLength(1);
  for (const earlier of before) expect(after.filter((s) => s.pregnancyId === earlier.pregnancyId)).toHaveLength(1);
});
