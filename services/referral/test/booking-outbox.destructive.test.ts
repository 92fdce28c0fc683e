// With scheduling stopped, a receiver's acceptance with a booking still commits (the booking left pending in the
// outbox); once scheduling is back, the worker books it as the referral service under the referral's key, and the
// appointment exists in scheduling. On a platform of its own.
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
    world.call('lufeng.midwife', 'POST', '/v1/referrals', { patientId, toInstitutionId: prefecture, direction: 'REFERRAL_DIRECTION_UP', urgency: 'REFERRAL_URGENCY_EMERGENCY', reason: 'severe pre-eclampsia' }),
  );
  const referralId = created.referral.id as string;

  await platform.stopService('scheduling');
  const accepted = await ok(
    world.call('pref.clinician', 'POST', `/v1/referrals/${referralId}/accept`, {
      booking: { service: 'SERVICE_TYPE_DELIVERY_ASSESSMENT', slotStart: new Date(Date.now() + DAY).toISOString(), earliestAtOrAfter: true },
    }),
  );
  expect(accepted.referral.status).toBe('REFERRAL_STATUS_ACCEPTED');
  expect(accepted.referral.booking.status).toBe('BOOKING_STATUS_PENDING');
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
  const appointment = await ok(world.call('pref.clinician', 'GET', `/v1/appointments/${booked.appointmentId}`, undefined, { 'x-mch-purpose': 'treatment' }));
  expect(appointment.appointment).toMatchObject({ patientId, institutionId: prefecture, referralId, status: 'APPOINTMENT_STATUS_BOOKED' });
  const list = await ok(world.call('pref.clinician', 'GET', `/v1/patients/${patientId}/appointments`, undefined, { 'x-mch-purpose': 'treatment' }));
  expect((list.appointments ?? []).filter((a: { referralId: string }) => a.referralId === referralId)).toHaveLength(1);
});
