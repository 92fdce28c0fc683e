// What the HA engine's view of the cluster means for operators: roles, whether every acknowledged write is
// on both zones, and which leader changes were failovers and which were asked-for switchovers.
import {
  LeaderChange,
  MemberRole,
  ReplicationStatus,
  ZoneMember,
} from '../../../common/src/gen/mch/replication/v1/replication';

/** One member as Patroni's `GET /cluster` reports it. */
export interface EngineMember {
  readonly name: string;
  readonly role: string;
  readonly state: string;
  readonly timeline?: number;
  readonly lag?: number | string;
  /** False when the member's own API did not answer (killed, or its zone cut off). */
  readonly reachable?: boolean;
}

/** Replay delay per standby (application_name) from pg_stat_replication, seconds. */
export type ReplayLag = ReadonlyMap<string, number>;

export interface ObserverMemory {
  readonly primaryZone: string | undefined;
  readonly exposedSince: Date | undefined;
  readonly lastFailover: LeaderChange | undefined;
  readonly lastSwitchover: LeaderChange | undefined;
  /** A switchover asked for and not yet seen happen: the next leader change to this zone is planned. */
  readonly pendingSwitchoverTo: string | undefined;
}

export const EMPTY_MEMORY: ObserverMemory = {
  primaryZone: undefined,
  exposedSince: undefined,
  lastFailover: undefined,
  lastSwitchover: undefined,
  pendingSwitchoverTo: undefined,
};

export type ObservedEvent =
  | { readonly kind: 'failover' | 'switchover'; readonly change: LeaderChange }
  | { readonly kind: 'exposed'; readonly at: Date }
  | { readonly kind: 'in-sync'; readonly at: Date; readonly exposedForMs: number };

const ZONES = ['az-a', 'az-b'] as const;

function roleOf(member: EngineMember | undefined): MemberRole {
  if (!member || member.reachable === false || !['running', 'streaming'].includes(member.state))
    return MemberRole.MEMBER_ROLE_DOWN;
  if (member.role === 'leader' || member.role === 'master' || member.role === 'primary')
    return MemberRole.MEMBER_ROLE_PRIMARY;
  if (member.role === 'sync_standby') return MemberRole.MEMBER_ROLE_SYNC_STANDBY;
  return MemberRole.MEMBER_ROLE_ASYNC_STANDBY;
}

/**
 * Folds one observation into the status and the observer's memory, returning what happened since the last one.
 * `engineMembers` undefined means the engine could not be asked (both REST APIs down).
 */
export function observe(
  engineMembers: readonly EngineMember[] | undefined,
  replayLag: ReplayLag,
  durability: string,
  memory: ObserverMemory,
  now: Date,
  engineName = 'Patroni REST API',
): { status: ReplicationStatus; memory: ObserverMemory; events: ObservedEvent[] } {
  const warnings: string[] = [];
  if (!engineMembers) warnings.push(`the HA engine (${engineName}) did not answer`);
  const byName = new Map((engineMembers ?? []).map((member) => [member.name, member]));
  const members: ZoneMember[] = ZONES.map((zone) => {
    const member = byName.get(zone);
    const role = roleOf(member);
    const lag = typeof member?.lag === 'number' ? member.lag : 0;
    return {
      zone,
      role,
      state: member === undefined || member.reachable === false ? 'unreachable' : member.state,
      timeline: member?.timeline ?? 0,
      lagBytes: String(role === MemberRole.MEMBER_ROLE_PRIMARY ? 0 : lag),
      lagSeconds: replayLag.get(zone) ?? 0,
    };
  });
  const primary = members.find((member) => member.role === MemberRole.MEMBER_ROLE_PRIMARY);
  const inSync = primary !== undefined && members.some((member) => member.role === MemberRole.MEMBER_ROLE_SYNC_STANDBY);
  // With a primary and no synchronous standby, acknowledged writes live in one zone: that is exposure.
  // Without a primary nothing is acknowledged, so nothing is exposed, but nothing is written either.
  const exposed = primary !== undefined && !inSync;
  const events: ObservedEvent[] = [];
  let next: ObserverMemory = memory;

  if (primary && memory.primaryZone !== undefined && primary.zone !== memory.primaryZone) {
    const planned = memory.pendingSwitchoverTo === primary.zone;
    const change: LeaderChange = {
      at: now,
      fromZone: memory.primaryZone,
      toZone: primary.zone,
      timeline: primary.timeline,
      kind: planned ? 'switchover' : 'failover',
    };
    events.push({ kind: planned ? 'switchover' : 'failover', change });
    next = planned
      ? { ...next, lastSwitchover: change, pendingSwitchoverTo: undefined }
      : { ...next, lastFailover: change, pendingSwitchoverTo: undefined };
  }
  if (primary) next = { ...next, primaryZone: primary.zone };
  if (exposed && !memory.exposedSince) {
    events.push({ kind: 'exposed', at: now });
    next = { ...next, exposedSince: now };
  } else if (!exposed && memory.exposedSince && inSync) {
    events.push({ kind: 'in-sync', at: now, exposedForMs: now.getTime() - memory.exposedSince.getTime() });
    next = { ...next, exposedSince: undefined };
  }
  if (!primary && engineMembers)
    warnings.push('no zone is primary: writes are unavailable until the engine elects one');

  return {
    status: {
      members,
      primaryZone: primary?.zone ?? '',
      inSync,
      durability,
      exposed,
      exposedSince: next.exposedSince,
      lastFailover: next.lastFailover,
      lastSwitchover: next.lastSwitchover,
      observedAt: now,
      warnings,
    },
    memory: next,
    events,
  };
}

/** Whether two statuses differ in anything but the observation time (and sub-second lag noise). */
export function statusChanged(a: ReplicationStatus | undefined, b: ReplicationStatus): boolean {
  if (!a) return true;
  const strip = (status: ReplicationStatus): string =>
    JSON.stringify({
      ...status,
      observedAt: undefined,
      members: status.members.map((member) => ({ ...member, lagSeconds: Math.round(member.lagSeconds) })),
    });
  return strip(a) !== strip(b);
}
