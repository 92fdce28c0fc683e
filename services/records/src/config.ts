// Records' configuration: the kit's keys; identity's address is required (patients, institutions, newborns).
import { ConfigOf, int, loadConfig, optionalStr, port, serviceConfigSpec, str } from '../../common/src/config';
import { lisSenders } from './lis/senders';

export const recordsConfigSpec = {
  ...serviceConfigSpec,
  IDENTITY_SERVICE_ADDR: str(),
  /** Referral's indicators join the statistics when it is set. */
  REFERRAL_SERVICE_ADDR: optionalStr(),
  // The object store, which an imaging study's object id must name (an object stored for the same patient).
  REPLICATION_SERVICE_ADDR: optionalStr(),
  /** How often changed months of the statistics facts are folded into the rollups the statistics read. */
  STATISTICS_ROLLUP_INTERVAL_MS: int({ default: 2_000, min: 100 }),
  /** FHIR bulk export limits (bulk-export.ts): open exports per client, resources per NDJSON file, file lifetime. */
  FHIR_EXPORT_MAX_CONCURRENT: int({ default: 2, min: 1 }),
  FHIR_EXPORT_MAX_RESOURCES_PER_FILE: int({ default: 10_000, min: 1 }),
  FHIR_EXPORT_RETENTION_HOURS: int({ default: 24, min: 1 }),
  FHIR_EXPORT_BATCH_PATIENTS: int({ default: 100, min: 1 }),
  /** How long a worker holds an export without renewing; a restarted service resumes the job after it. */
  FHIR_EXPORT_LEASE_MS: int({ default: 30_000, min: 100 }),
  /** How often a live high-risk stream (WatchHighRiskCases) looks for new outbox events. */
  RISK_WATCH_POLL_MS: int({ default: 1_000, min: 50 }),
  // The MLLP listener for LIS results (HL7 v2 ORU^R01); port 0 leaves it off. Not started by main.ts yet: the
  // Postgres/MPI sink is still to come (issue #32 §1).
  MLLP_HOST: str({ default: '127.0.0.1' }),
  MLLP_PORT: port({ default: 0 }),
  MLLP_SENDERS: lisSenders(),
};

export type RecordsConfig = ConfigOf<typeof recordsConfigSpec>;

export function loadRecordsConfig(env: NodeJS.ProcessEnv = process.env): RecordsConfig {
  return loadConfig(recordsConfigSpec, env);
}
