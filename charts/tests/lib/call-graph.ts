// The service-to-service calls the code makes, read from the services' own configuration: every `<NAME>_SERVICE_ADDR`
// key a service's config loader declares (required or optional), the addresses read by name at run time (identity's
// audit fan-out, the gateway's backends from the protos' routes), and the replication service's store agents.
// Nothing here is a second hand-kept list: a new address key in a config spec is a new call.
import path from 'node:path';
import { consultationConfigSpec } from '../../../services/consultation/src/config';
import { gatewayConfigSpec } from '../../../services/gateway/src/config';
import { backendOf, collectRoutes } from '../../../services/gateway/src/http-rules';
import { findServiceProtos, loadProtoRoot } from '../../../services/gateway/src/proto-registry';
import { AUDITED_SERVICES } from '../../../services/identity/src/audit-fanout';
import { identityConfigSpec } from '../../../services/identity/src/config';
import { recordsConfigSpec } from '../../../services/records/src/config';
import { referralConfigSpec } from '../../../services/referral/src/config';
import { replicationConfigSpec } from '../../../services/replication/src/config';
import { storeAgentConfigSpec } from '../../../services/replication/src/store-agent/config';
import { schedulingConfigSpec } from '../../../services/scheduling/src/config';
import { protoDir } from '../../../services/common/src/paths';

export const GRPC_SERVICES = ['identity', 'records', 'scheduling', 'referral', 'consultation', 'replication'] as const;
export type Caller = (typeof GRPC_SERVICES)[number] | 'gateway' | 'objects';

/** The config spec of each process the chart runs (`objects` is a zone's store agent). */
export const CONFIG_SPECS: Record<Caller, Record<string, unknown>> = {
  identity: identityConfigSpec,
  records: recordsConfigSpec,
  scheduling: schedulingConfigSpec,
  referral: referralConfigSpec,
  consultation: consultationConfigSpec,
  replication: replicationConfigSpec,
  gateway: gatewayConfigSpec,
  objects: storeAgentConfigSpec,
};

export interface Call {
  readonly from: Caller;
  /** A gRPC service, or `objects` for the store agents. */
  readonly to: string;
  /** The configuration key that names the callee's address. */
  readonly key: string;
}

const ADDRESS_KEY = /^([A-Z]+)_SERVICE_ADDR$/;

/** Backends the gateway serves routes for: every service with a google.api.http route, plus the hand-written routes'. */
function gatewayBackends(): string[] {
  const root = loadProtoRoot({
    includeDirs: [protoDir(), path.join(protoDir(), 'third_party')],
    files: findServiceProtos(protoDir()),
    generatedDirs: [],
  });
  const backends = new Set(collectRoutes(root).map((route) => backendOf(route.service)));
  // Objects and the status page (replication), live events (consultation): gateway/src/objects.ts, status-page.ts,
  // consultation-events.ts name these backends.
  backends.add('REPLICATION');
  backends.add('CONSULTATION');
  return [...backends];
}

/** Every call, deduplicated, in a stable order. */
export function callGraph(): Call[] {
  const calls = new Map<string, Call>();
  const add = (from: Caller, to: string, key: string): void => {
    if (to === from) return;
    calls.set(`${from}->${to}`, { from, to, key });
  };
  for (const [from, spec] of Object.entries(CONFIG_SPECS) as [Caller, Record<string, unknown>][]) {
    for (const key of Object.keys(spec)) {
      const match = ADDRESS_KEY.exec(key);
      if (match) add(from, (match[1] as string).toLowerCase(), key);
    }
  }
  for (const service of AUDITED_SERVICES) add('identity', service, `${service.toUpperCase()}_SERVICE_ADDR`);
  for (const backend of gatewayBackends()) add('gateway', backend.toLowerCase(), `${backend}_SERVICE_ADDR`);
  if ('OBJECT_STORE_AGENTS' in replicationConfigSpec) add('replication', 'objects', 'OBJECT_STORE_AGENTS');
  return [...calls.values()].sort((a, b) => `${a.from}->${a.to}`.localeCompare(`${b.from}->${b.to}`));
}
