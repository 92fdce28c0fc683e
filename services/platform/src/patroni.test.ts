import { dynamicConfiguration, haTimingsFrom, parseCluster } from './patroni';

// Shapes of Patroni 3.0.2's GET /cluster, as observed on this platform.
const inSync = JSON.stringify({
  members: [
    {
      name: 'az-a',
      role: 'leader',
      state: 'running',
      api_url: 'http://127.0.0.1:8008/patroni',
      host: '127.0.0.1',
      port: 5433,
      timeline: 3,
    },
    {
      name: 'az-b',
      role: 'sync_standby',
      state: 'running',
      api_url: 'http://127.0.0.1:8009/patroni',
      host: '127.0.0.1',
      port: 5434,
      timeline: 3,
      lag: 0,
    },
  ],
});
const zoneLost = JSON.stringify({
  members: [{ name: 'az-b', role: 'leader', state: 'running', timeline: 4 }],
});
const rejoining = JSON.stringify({
  members: [
    { name: 'az-a', role: 'replica', state: 'starting', lag: 'unknown' },
    { name: 'az-b', role: 'leader', state: 'running', timeline: 4 },
  ],
});

describe('Patroni cluster view', () => {
  test('a leader with a running synchronous standby is in sync', () => {
    expect(parseCluster(inSync)).toMatchObject({ leader: 'az-a', syncStandby: 'az-b', timeline: 3, inSync: true });
  });

  test('a lone leader is not in sync', () => {
    const status = parseCluster(zoneLost);
    expect(status).toMatchObject({ leader: 'az-b', timeline: 4, inSync: false });
    expect(status.syncStandby).toBeUndefined();
  });

  test('a replica that is still starting is neither sync standby nor in sync; unknown lag stays unknown', () => {
    const status = parseCluster(rejoining);
    expect(status.inSync).toBe(false);
    expect(status.members.find((member) => member.name === 'az-a')?.lagBytes).toBeUndefined();
  });
});

describe('Patroni dynamic configuration', () => {
  test('carries the HA timings and the durability setting', () => {
    expect(dynamicConfiguration('available')).toMatchObject({
      ttl: 4,
      loop_wait: 1,
      retry_timeout: 2,
      synchronous_mode: true,
      synchronous_mode_strict: false,
    });
    expect(dynamicConfiguration('strict')).toMatchObject({ synchronous_mode_strict: true });
    expect(dynamicConfiguration('available')).toMatchObject({
      postgresql: {
        use_pg_rewind: true,
        use_slots: true,
        parameters: { wal_log_hints: 'on', hot_standby: 'on', wal_retrieve_retry_interval: '1s' },
      },
    });
  });

  test('timings from the environment are whole seconds Patroni 3.0.2 with etcd3 can run', () => {
    expect(haTimingsFrom({ MCH_PATRONI_TTL: '5' })).toEqual({ ttl: 5, loop_wait: 1, retry_timeout: 2 });
    // Patroni would run 1.5 as 1.
    expect(() => haTimingsFrom({ MCH_PATRONI_RETRY_TIMEOUT: '1.5' })).toThrow('whole number');
    // The standby could never take the leader key.
    expect(() => haTimingsFrom({ MCH_PATRONI_TTL: '4', MCH_PATRONI_RETRY_TIMEOUT: '1' })).toThrow('at least 2');
    // No second left for the leader to demote before its key expires.
    expect(() => haTimingsFrom({ MCH_PATRONI_TTL: '3' })).toThrow('ttl >= loop_wait + retry_timeout + 1');
  });
});
