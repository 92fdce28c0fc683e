// CloudNativePG as the HA engine: the Cluster's status through the Kubernetes API (current primary, instances and
// their readiness, the zone of each instance), the synchronous state and lag from the primary's pg_stat_replication,
// and planned switchovers asked for the way `kubectl cnpg promote` asks: a JSON merge patch of the Cluster's
// `status` subresource setting targetPrimary and the "Switchover in progress" phase, under the object's
// resourceVersion (optimistic lock). The operator then does the switchover; this service never promotes anything.
import { KubeApi, MERGE_PATCH } from '../../common/src/kube-api';
import { FailedPreconditionError, UnavailableError } from '../../common/src/errors';
import type { EngineMember } from './domain/status';
import type { HaEngine } from './engine';

const ZONE_LABEL = 'topology.kubernetes.io/zone';
/** CloudNativePG's phase for a requested switchover (api/v1 PhaseSwitchover). */
export const PHASE_SWITCHOVER = 'Switchover in progress';
export { MERGE_PATCH };
/** The design's durability setting (MCH_DURABILITY) as CloudNativePG's spec.postgresql.synchronous.dataDurability. */
export const DATA_DURABILITY: Readonly<Record<string, 'preferred' | 'required'>> = {
  available: 'preferred',
  strict: 'required',
};

/** The parts of a `postgresql.cnpg.io/v1` Cluster this engine reads. */
export interface CnpgCluster {
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  status?: {
    currentPrimary?: string;
    targetPrimary?: string;
    phase?: string;
    timelineID?: number;
    instanceNames?: string[];
    instancesStatus?: Record<string, string[]>;
    topology?: { instances?: Record<string, Record<string, string>>; successfullyExtracted?: boolean };
  };
}

/** One row of the primary's pg_stat_replication. */
export interface StandbyRow {
  readonly application_name: string;
  readonly state: string | null;
  readonly sync_state: string | null;
  readonly lag_bytes: string | number | null;
}

export interface CnpgOptions {
  readonly cluster: string;
  readonly namespace: string;
  /** Zone id (az-a) -> the `topology.kubernetes.io/zone` label of its nodes. */
  readonly zones: ReadonlyMap<string, string>;
  /** Base URL of the API server; the pod's service account token and CA are used when `token` is not given. */
  readonly apiUrl: string;
  readonly token?: () => string;
  readonly ca?: string;
  /** pg_stat_replication of the primary (the service's read-write pool points at it). */
  readonly standbys: () => Promise<StandbyRow[]>;
  readonly now?: () => Date;
}

export const STANDBYS_SQL = `SELECT application_name, state, sync_state, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint AS lag_bytes FROM pg_stat_replication`;

export { inClusterApiUrl } from '../../common/src/kube-api';

export class CloudNativePgEngine implements HaEngine {
  readonly description = 'CloudNativePG Cluster';

  private readonly api: KubeApi;

  constructor(private readonly options: CnpgOptions) {
    this.api = new KubeApi({ url: options.apiUrl, token: options.token, ca: options.ca });
  }

  private get clusterPath(): string {
    return `/apis/postgresql.cnpg.io/v1/namespaces/${encodeURIComponent(this.options.namespace)}/clusters/${encodeURIComponent(this.options.cluster)}`;
  }

  private request(
    method: string,
    path: string,
    body?: { contentType: string; text: string },
  ): ReturnType<KubeApi['request']> {
    return this.api.request(method, path, body);
  }

  async readCluster(): Promise<CnpgCluster> {
    const answer = await this.request('GET', this.clusterPath);
    if (answer.status !== 200)
      throw new UnavailableError(
        `the Kubernetes API answered ${answer.status} for Cluster ${this.options.cluster}: ${answer.body.slice(0, 200)}`,
        'ENGINE_UNAVAILABLE',
      );
    return JSON.parse(answer.body) as CnpgCluster;
  }

  /**
   * The zone id of an instance, from the zone label CloudNativePG records for it (status.topology, filled when the
   * Cluster's syncReplicaElectionConstraint names the zone label). Where nothing is recorded (a development cluster
   * whose nodes carry no zones) the instances take the zone ids in order of their names.
   */
  private zoneOf(cluster: CnpgCluster, instance: string): string | undefined {
    const label = cluster.status?.topology?.instances?.[instance]?.[ZONE_LABEL];
    for (const [zone, value] of this.options.zones) if (value === label) return zone;
    if (label !== undefined) return undefined;
    const unlabelled = (cluster.status?.instanceNames ?? []).filter(
      (name) => cluster.status?.topology?.instances?.[name]?.[ZONE_LABEL] === undefined,
    );
    const labelled = new Set(
      Object.values(cluster.status?.topology?.instances ?? {}).map((labels) => labels[ZONE_LABEL]),
    );
    const free = [...this.options.zones]
      .filter(([, value]) => !labelled.has(value))
      .map(([zone]) => zone)
      .sort();
    return free[unlabelled.indexOf(instance)];
  }

  private instanceIn(cluster: CnpgCluster, zone: string): string | undefined {
    return (cluster.status?.instanceNames ?? []).find((instance) => this.zoneOf(cluster, instance) === zone);
  }

  async cluster(): Promise<EngineMember[] | undefined> {
    let cluster: CnpgCluster;
    try {
      cluster = await this.readCluster();
    } catch {
      return undefined;
    }
    const standbys = await this.options.standbys().catch((): StandbyRow[] => []);
    const healthy = new Set(cluster.status?.instancesStatus?.['healthy'] ?? []);
    const members: EngineMember[] = [];
    for (const instance of cluster.status?.instanceNames ?? []) {
      const zone = this.zoneOf(cluster, instance);
      if (!zone) continue;
      const ready = healthy.has(instance);
      const row = standbys.find((candidate) => candidate.application_name === instance);
      const isPrimary = cluster.status?.currentPrimary === instance;
      const synchronous = row?.state === 'streaming' && (row.sync_state === 'sync' || row.sync_state === 'quorum');
      members.push({
        name: zone,
        role: isPrimary ? 'primary' : synchronous ? 'sync_standby' : 'replica',
        state: isPrimary ? (ready ? 'running' : 'stopped') : (row?.state ?? (ready ? 'running' : 'stopped')),
        timeline: cluster.status?.timelineID,
        lag: row?.lag_bytes === null || row?.lag_bytes === undefined ? 0 : Number(row.lag_bytes),
        reachable: ready,
      });
    }
    return members;
  }

  async switchover(leader: string, candidate: string): Promise<string> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const cluster = await this.readCluster();
      const current = cluster.status?.currentPrimary;
      const target = this.instanceIn(cluster, candidate);
      if (!target)
        throw new FailedPreconditionError(
          `no instance of Cluster ${this.options.cluster} is in ${candidate}`,
          'SWITCHOVER_REFUSED',
        );
      if (current !== this.instanceIn(cluster, leader))
        throw new FailedPreconditionError(`the primary is no longer in ${leader}`, 'SWITCHOVER_REFUSED');
      if (cluster.status?.targetPrimary && cluster.status.targetPrimary !== current) {
        throw new FailedPreconditionError(
          `CloudNativePG is already moving the primary to ${cluster.status.targetPrimary}`,
          'SWITCHOVER_REFUSED',
        );
      }
      const patch = {
        metadata: { resourceVersion: cluster.metadata.resourceVersion },
        status: {
          targetPrimary: target,
          targetPrimaryTimestamp: (this.options.now?.() ?? new Date()).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z'),
          phase: PHASE_SWITCHOVER,
          phaseReason: `Switching over to ${target}`,
        },
      };
      const answer = await this.request('PATCH', `${this.clusterPath}/status`, {
        contentType: MERGE_PATCH,
        text: JSON.stringify(patch),
      });
      if (answer.status === 200) return `CloudNativePG will promote ${target}`;
      if (answer.status === 409) continue; // someone else changed the Cluster: read it again
      if (answer.status === 403 || answer.status === 422)
        throw new FailedPreconditionError(
          `the Kubernetes API refused the switchover (${answer.status}): ${answer.body.slice(0, 200)}`,
          'SWITCHOVER_REFUSED',
        );
      throw new UnavailableError(
        `switchover could not be requested: ${answer.status} ${answer.body.slice(0, 200)}`,
        'ENGINE_UNAVAILABLE',
      );
    }
    throw new UnavailableError(
      'switchover could not be requested: the Cluster kept changing (409 three times)',
      'ENGINE_UNAVAILABLE',
    );
  }
}
