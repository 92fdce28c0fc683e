// Records' configuration: the kit's keys; identity's address is required (patients, institutions, newborns).
import { ConfigOf, int, loadConfig, optionalStr, serviceConfigSpec, str } from '../../common/src/config';

export const recordsConfigSpec = {
  ...serviceConfigSpec,
  IDENTITY_SERVICE_ADDR: str(),
  /** Referral's indicators join the statistics when it is set. */
  REFERRAL_SERVICE_ADDR: optionalStr(),
  // The object store, which an imaging study's object id must name (an object stored for the same patient).
  REPLICATION_SERVICE_ADDR: optionalStr(),
  /** How often changed months of the statistics facts are folded into the rollups the statistics read. */
  STATISTICS_ROLLUP_INTERVAL_MS: int({ default: 2_000, min: 100 }),
  /** How often a live high-risk stream (WatchHighRiskCases) looks for new outbox events. */
  RISK_WATCH_POLL_MS: int({ default: 1_000, min: 50 }),
};

export type RecordsConfig = ConfigOf<typeof recordsConfigSpec>;

export function loadRecordsConfig(env: NodeJS.ProcessEnv = process.env): RecordsConfig {
  return loadConfig(recordsConfigSpec, env);
}
