// Referral's configuration: the kit's keys, the services it asks (identity, records; scheduling optional),
// acceptance windows by urgency, and how often its workers look for work.
import { ConfigOf, int, loadConfig, optionalStr, serviceConfigSpec, str } from '../../common/src/config';

export const referralConfigSpec = {
  ...serviceConfigSpec,
  IDENTITY_SERVICE_ADDR: str(),
  RECORDS_SERVICE_ADDR: str(),
  /** Without it acceptances still commit; their bookings wait until scheduling is configured. */
  SCHEDULING_SERVICE_ADDR: optionalStr(),
  /** Without it up-referrals open no consultation thread. */
  CONSULTATION_SERVICE_ADDR: optionalStr(),
  REFERRAL_ACCEPT_ROUTINE_MINUTES: int({ default: 72 * 60, min: 1 }),
  REFERRAL_ACCEPT_URGENT_MINUTES: int({ default: 24 * 60, min: 1 }),
  REFERRAL_ACCEPT_EMERGENCY_MINUTES: int({ default: 30, min: 1 }),
  /** How often the risk outbox of records is read. */
  REFERRAL_RISK_POLL_MS: int({ default: 2_000, min: 100 }),
  /** How often pending bookings are looked for, and the first retry delay (doubling up to a minute). */
  REFERRAL_BOOKING_RETRY_MS: int({ default: 2_000, min: 100 }),
};

export type ReferralConfig = ConfigOf<typeof referralConfigSpec>;

export function loadReferralConfig(env: NodeJS.ProcessEnv = process.env): ReferralConfig {
  return loadConfig(referralConfigSpec, env);
}
