import { MemberRole } from '../../../common/src/gen/mch/replication/v1/replication';
import { EMPTY_MEMORY, EngineMember, observe, statusChanged } from './status';

const t0 = new Date('2026-11-25T10:00:00Z');
const at = (seconds: number): Date => new Date(t0.getTime() + seconds * 1000);
const healthy: EngineMember[] = [
  { name: 'az-a', role: 'leader', state: 'running', timeline: 1 },
  { name: 'az-b', role: 'sync_standby', state: 'streaming', timeline: 1, lag: 0 },
];
const noLag = new Map<string, number>();

describe('observe', () => {
  it('reports a healthy pair as in sync and not exposed', () => {
    const { status, events } = observe(healthy, noLag, 'available', EMPTY_MEMORY, t0);
    expect(status.primaryZone).toBe('az-a');
    expect(status.inSync).toBe(true);
    expect(status.exposed).toBe(false);
    expect(status.members.map((m) => m.role)).toEqual([
      MemberRole.MEMBER_ROLE_PRIMARY,
      MemberRole.MEMBER_ROLE_SYNC_STANDBY,
    ]);
    expect(events).toEqual([]);
  });

  it('raises exposure when the standby is lost, and clears it with its duration when it is back in sync', () => {
    const first = observe(healthy, noLag, 'available', EMPTY_MEMORY, t0);
    const lost = observe(
      [{ name: 'az-a', role: 'leader', state: 'running', timeline: 1 }],
      noLag,
      'available',
      first.memory,
      at(2),
    );
    expect(lost.status.exposed).toBe(true);
    expect(lost.status.exposedSince).toEqual(at(2));
    expect(lost.status.members[1]?.role).toBe(MemberRole.MEMBER_ROLE_DOWN);
    expect(lost.events).toEqual([{ kind: 'exposed', at: at(2) }]);
    const catchingUp = observe(
      [healthy[0] as EngineMember, { name: 'az-b', role: 'replica', state: 'streaming', timeline: 1, lag: 4096 }],
      noLag,
      'available',
      lost.memory,
      at(8),
    );
    expect(catchingUp.status.exposed).toBe(true);
    expect(catchingUp.status.members[1]).toMatchObject({
      role: MemberRole.MEMBER_ROLE_ASYNC_STANDBY,
      lagBytes: '4096',
    });
    const back = observe(healthy, noLag, 'available', catchingUp.memory, at(12));
    expect(back.status.exposed).toBe(false);
    expect(back.events).toEqual([{ kind: 'in-sync', at: at(12), exposedForMs: 10_000 }]);
  });

  it('counts a listed member that no longer answers as down', () => {
    const { status } = observe(
      [healthy[0] as EngineMember, { name: 'az-b', role: 'replica', state: 'running', reachable: false }],
      noLag,
      'available',
      EMPTY_MEMORY,
      t0,
    );
    expect(status.members[1]).toMatchObject({ role: MemberRole.MEMBER_ROLE_DOWN, state: 'unreachable' });
    expect(status.exposed).toBe(true);
  });

  it('calls an unasked-for leader change a failover', () => {
    const first = observe(healthy, noLag, 'available', EMPTY_MEMORY, t0);
    const after = observe(
      [{ name: 'az-b', role: 'leader', state: 'running', timeline: 2 }],
      noLag,
      'available',
      first.memory,
      at(6),
    );
    expect(after.events[0]).toMatchObject({
      kind: 'failover',
      change: { fromZone: 'az-a', toZone: 'az-b', timeline: 2, kind: 'failover' },
    });
    expect(after.status.lastFailover?.toZone).toBe('az-b');
    expect(after.status.exposed).toBe(true);
  });

  it('calls a leader change to the zone a switchover was asked for a switchover', () => {
    const first = observe(healthy, noLag, 'available', EMPTY_MEMORY, t0);
    const asked = { ...first.memory, pendingSwitchoverTo: 'az-b' };
    const after = observe(
      [
        { name: 'az-b', role: 'leader', state: 'running', timeline: 2 },
        { name: 'az-a', role: 'sync_standby', state: 'streaming', timeline: 2 },
      ],
      noLag,
      'available',
      asked,
      at(3),
    );
    expect(after.events.map((e) => e.kind)).toEqual(['switchover']);
    expect(after.status.lastSwitchover?.fromZone).toBe('az-a');
    expect(after.memory.pendingSwitchoverTo).toBeUndefined();
    expect(after.status.lastFailover).toBeUndefined();
  });

  it('warns when the engine cannot be asked and when no zone is primary', () => {
    expect(observe(undefined, noLag, 'strict', EMPTY_MEMORY, t0).status.warnings[0]).toMatch(/did not answer/);
    const none = observe([{ name: 'az-b', role: 'replica', state: 'running' }], noLag, 'strict', EMPTY_MEMORY, t0);
    expect(none.status.exposed).toBe(false);
    expect(none.status.warnings[0]).toMatch(/no zone is primary/);
  });
});

describe('statusChanged', () => {
  it('ignores the observation time but not a role', () => {
    const a = observe(healthy, noLag, 'available', EMPTY_MEMORY, t0).status;
    const b = observe(healthy, noLag, 'available', EMPTY_MEMORY, at(1)).status;
    expect(statusChanged(a, b)).toBe(false);
    const c = observe([healthy[0] as EngineMember], noLag, 'available', EMPTY_MEMORY, at(1)).status;
    expect(statusChanged(a, c)).toBe(true);
  });
});
