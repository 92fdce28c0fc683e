// Identity's configuration: the kit's keys plus its own.
import { bool, ConfigOf, loadConfig, serviceConfigSpec } from '../../common/src/config';

export const identityConfigSpec = {
  ...serviceConfigSpec,
  SEED_ON_START: bool({ default: true }),
};

export type IdentityConfig = ConfigOf<typeof identityConfigSpec>;

export function loadIdentityConfig(env: NodeJS.ProcessEnv = process.env): IdentityConfig {
  return loadConfig(identityConfigSpec, env);
}
