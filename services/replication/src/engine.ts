// The HA engine the replication service observes and asks for switchovers: Patroni on the local platform and on
// plain hosts (patroni.ts), CloudNativePG on Kubernetes (cloudnative-pg.ts). Either decides failover itself; the
// service only reports what the engine and PostgreSQL say, and asks for planned switchovers.
import type { EngineMember } from './domain/status';

export interface HaEngine {
  /** Short name for messages: `Patroni REST API`, `CloudNativePG Cluster`. */
  readonly description: string;
  /** The members by zone (`name` is the zone id, az-a / az-b), or undefined when the engine could not be asked. */
  cluster(): Promise<EngineMember[] | undefined>;
  /**
   * Asks the engine to hand the primary role from the zone `leader` to the zone `candidate`; resolves with the
   * engine's answer once it accepted. FailedPreconditionError when it refused, UnavailableError when unreachable.
   */
  switchover(leader: string, candidate: string): Promise<string>;
}
