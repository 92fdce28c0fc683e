// Records' configuration: the kit's keys; identity's address is required (patients, institutions, newborns).
import { ConfigOf, loadConfig, serviceConfigSpec, str } from '../../common/src/config';

export const recordsConfigSpec = {
  ...serviceConfigSpec,
  IDENTITY_SERVICE_ADDR: str(),
};

export type RecordsConfig = ConfigOf<typeof recordsConfigSpec>;

export function loadRecordsConfig(env: NodeJS.ProcessEnv = process.env): RecordsConfig {
  return loadConfig(recordsConfigSpec, env);
}
