// The SQL side of the CloudNativePG engine against the real local pair: the service's own role (no superuser, a member
// of pg_monitor, as the chart's Cluster grants it) reads the primary's pg_stat_replication with STANDBYS_SQL and sees
// the synchronous standby streaming; the engine, given that and a Cluster naming the pair's members, reports the
// primary and the synchronous standby as Patroni's view does.
import { Client } from 'pg';
import { readTestPlatform } from '../../platform/test/platform-env';
import { CloudNativePgEngine, STANDBYS_SQL, StandbyRow } from '../src/cloudnative-pg';
import { FakeKubeApi, healthyCluster, TOKEN } from './kube-api-stand-in';

const platform = readTestPlatform();
let client: Client;

beforeAll(async () => {
  const own = platform.serviceDatabaseUrls['replication'];
  if (own === undefined) throw new Error('the platform gave the replication service no role of its own');
  client = new Client({ connectionString: own.rw });
  await client.connect();
});

afterAll(() => client.end());

test('the service role reads sync state and lag through pg_monitor, not as a superuser', async () => {
  const role = await client.query<{ superuser: boolean; monitor: boolean }>(
    `SELECT rolsuper AS superuser, pg_has_role(current_user, 'pg_monitor', 'MEMBER') AS monitor FROM pg_roles WHERE rolname = current_user`,
  );
  expect(role.rows[0]).toEqual({ superuser: false, monitor: true });
  const standbys = (await client.query<StandbyRow>(STANDBYS_SQL)).rows;
  const standby = standbys.find((row) => row.application_name !== platform.initialLeader);
  expect(standby).toMatchObject({ state: 'streaming' });
  expect(['sync', 'quorum']).toContain(standby?.sync_state);
  expect(Number(standby?.lag_bytes)).toBeGreaterThanOrEqual(0);
});

test('the engine reports the real pair: the primary and its synchronous standby', async () => {
  const leader = platform.initialLeader;
  const other = leader === 'az-a' ? 'az-b' : 'az-a';
  const api = new FakeKubeApi();
  // A Cluster whose instances carry the local members' names (CloudNativePG's application_name is the pod's name).
  const cluster = healthyCluster(['zone-a', 'zone-b']);
  api.cluster = {
    ...cluster,
    status: {
      ...cluster.status,
      currentPrimary: leader,
      targetPrimary: leader,
      instanceNames: ['az-a', 'az-b'],
      instancesStatus: { healthy: ['az-a', 'az-b'] },
      topology: {
        instances: {
          'az-a': { 'topology.kubernetes.io/zone': 'zone-a' },
          'az-b': { 'topology.kubernetes.io/zone': 'zone-b' },
        },
      },
    },
  };
  const apiUrl = await api.start();
  try {
    const engine = new CloudNativePgEngine({
      cluster: 'mch-pg',
      namespace: 'mch',
      zones: new Map([
        ['az-a', 'zone-a'],
        ['az-b', 'zone-b'],
      ]),
      apiUrl,
      token: () => TOKEN,
      standbys: async () => (await client.query<StandbyRow>(STANDBYS_SQL)).rows,
    });
    const members = await engine.cluster();
    expect(members?.find((member) => member.name === leader)).toMatchObject({
      role: 'primary',
      state: 'running',
      reachable: true,
    });
    expect(members?.find((member) => member.name === other)).toMatchObject({
      role: 'sync_standby',
      state: 'streaming',
      reachable: true,
    });
  } finally {
    await api.stop();
  }
});
