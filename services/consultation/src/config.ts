// Consultation's configuration: the kit's keys, identity's address (institutions, patients), the object store's
// (attachments), and how often the live feed polls Postgres (every second while Redis is away; a slower safety
// poll while it is up).
import { ConfigOf, int, loadConfig, optionalStr, serviceConfigSpec, str } from '../../common/src/config';

export const consultationConfigSpec = {
  ...serviceConfigSpec,
  IDENTITY_SERVICE_ADDR: str(),
  /** The object store (in the replication service): attachments are confirmed there; without it they are refused. */
  REPLICATION_SERVICE_ADDR: optionalStr(),
  CONSULTATION_FALLBACK_POLL_MS: int({ default: 1_000, min: 50, max: 60_000 }),
  CONSULTATION_SAFETY_POLL_MS: int({ default: 5_000, min: 100, max: 300_000 }),
};

export type ConsultationConfig = ConfigOf<typeof consultationConfigSpec>;

export function loadConsultationConfig(env: NodeJS.ProcessEnv = process.env): ConsultationConfig {
  return loadConfig(consultationConfigSpec, env);
}
