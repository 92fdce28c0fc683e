// Scheduling's configuration: the kit's keys; identity and records addresses are required (institutions, patients,
// due items); where local reminders go, how often the outbox is drained and due items swept, and whether demo
// schedules are seeded.
import { bool, ConfigOf, int, loadConfig, optionalStr, serviceConfigSpec, str } from '../../common/src/config';

export const schedulingConfigSpec = {
  ...serviceConfigSpec,
  IDENTITY_SERVICE_ADDR: str(),
  RECORDS_SERVICE_ADDR: str(),
  /** JSON-lines file the local reminder sender appends to; the log when unset. */
  REMINDER_OUTBOX_FILE: optionalStr(),
  REMINDER_POLL_MS: int({ default: 10_000, min: 100 }),
  /** How often known patients' due items are swept from records (as the scheduling service); 0 turns it off. */
  DUE_SWEEP_INTERVAL_MS: int({ default: 6 * 3_600_000, min: 0 }),
  /** Give every member institution without a schedule the demo schedule of its level and capabilities. */
  SEED_DEMO_SCHEDULES: bool({ default: true }),
};

export type SchedulingConfig = ConfigOf<typeof schedulingConfigSpec>;

export function loadSchedulingConfig(env: NodeJS.ProcessEnv = process.env): SchedulingConfig {
  return loadConfig(schedulingConfigSpec, env);
}
