// Identity's configuration: the kit's keys plus its own.
import { bool, ConfigOf, loadConfig, optionalStr, serviceConfigSpec } from '../../common/src/config';

export const identityConfigSpec = {
  ...serviceConfigSpec,
  SEED_ON_START: bool({ default: true }),
  /** Demo accounts for every role (README); off in production. */
  SEED_DEMO_ACCOUNTS: bool({ default: true }),
  /** Local text-message sender: append messages to this file (else the log, number masked). */
  SMS_OUTBOX_FILE: optionalStr(),
  /** The platform's service secret: each service's credential is derived from it (common/src/auth/service-identity.ts). */
  MCH_SERVICE_SECRET: optionalStr(),
};

export type IdentityConfig = ConfigOf<typeof identityConfigSpec>;

export function loadIdentityConfig(env: NodeJS.ProcessEnv = process.env): IdentityConfig {
  return loadConfig(identityConfigSpec, env);
}
