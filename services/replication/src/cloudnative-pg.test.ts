// The CloudNativePG engine against a local HTTP server that plays the Kubernetes API for one Cluster: it serves the
// Cluster object (validated against the model generated from CloudNativePG's CRD when that file is present, see
// charts/tests/crds, else against @kubernetes-models/cloudnative-pg, CloudNativePG's API types), needs the bearer token, and changes the status only on the real subresource path
// `/apis/postgresql.cnpg.io/v1/namespaces/{ns}/clusters/{name}/status` with `application/merge-patch+json`, under the
// object's resourceVersion, as the API server does for `kubectl cnpg promote`. A patch of the main resource leaves the
// status alone (the status subresource is enabled in the CRD), another patch type is 415, a stale version 409.
import { crdFiles, crdModels, validateObjects } from '../../../charts/tests/lib/kube-schemas';
import type { KubeObject } from '../../../charts/tests/lib/helm';
import { FailedPreconditionError } from '../../common/src/errors';
import { CloudNativePgEngine, PHASE_SWITCHOVER, StandbyRow } from './cloudnative-pg';
import { observe, EMPTY_MEMORY } from './domain/status';
import { MemberRole } from '../../common/src/gen/mch/replication/v1/replication';
import { CLUSTER_PATH, FakeKubeApi, healthyCluster, NAME, NAMESPACE, TOKEN } from '../test/kube-api-stand-in';

const ZONES = new Map([
  ['az-a', 'zone-a'],
  ['az-b', 'zone-b'],
]);

describe('CloudNativePG engine', () => {
  const api = new FakeKubeApi();
  let standbys: StandbyRow[] = [];
  let engine: CloudNativePgEngine;

  beforeAll(async () => {
    const apiUrl = await api.start();
    engine = new CloudNativePgEngine({
      cluster: NAME,
      namespace: NAMESPACE,
      zones: ZONES,
      apiUrl,
      token: () => TOKEN,
      standbys: async () => standbys,
      now: () => new Date('2026-12-07T12:00:00.123Z'),
    });
  });

  afterAll(() => api.stop());

  beforeEach(() => {
    api.cluster = healthyCluster();
    api.requests.length = 0;
    standbys = [{ application_name: 'mch-pg-2', state: 'streaming', sync_state: 'quorum', lag_bytes: '128' }];
  });

  /** The stand-in's Cluster judged by CloudNativePG's CRD model, or without the CRD file by its API types package. */
  async function validCluster(): Promise<void> {
    const file = crdFiles().get('postgresql.cnpg.io_clusters.yaml');
    const [result] = await validateObjects([api.cluster], file ? [await crdModels(file)] : []);
    expect({ source: result?.source, errors: result?.errors }).toEqual({
      source: file ? 'crd' : 'crd-package',
      errors: [],
    });
  }

  it("serves a Cluster that CloudNativePG's schema accepts (its CRD model, or without the CRD file its API types)", async () => {
    await validCluster();
  });

  it('reports the primary, the synchronous standby of the other zone and its lag', async () => {
    const members = await engine.cluster();
    expect(members).toEqual([
      { name: 'az-a', role: 'primary', state: 'running', timeline: 3, lag: 0, reachable: true },
      { name: 'az-b', role: 'sync_standby', state: 'streaming', timeline: 3, lag: 128, reachable: true },
    ]);
    const { status } = observe(members, new Map(), 'available', EMPTY_MEMORY, new Date(), engine.description);
    expect(status).toMatchObject({ primaryZone: 'az-a', inSync: true, exposed: false });
  });

  it('a standby that is not synchronous, or not ready, leaves the primary exposed (the RPO alarm)', async () => {
    standbys = [{ application_name: 'mch-pg-2', state: 'streaming', sync_state: 'async', lag_bytes: 0 }];
    let { status } = observe(
      await engine.cluster(),
      new Map(),
      'available',
      EMPTY_MEMORY,
      new Date(),
      engine.description,
    );
    expect(status).toMatchObject({ exposed: true, inSync: false });
    standbys = [];
    api.cluster = {
      ...api.cluster,
      status: { ...api.cluster.status, instancesStatus: { healthy: ['mch-pg-1'], failed: ['mch-pg-2'] } },
    };
    ({ status } = observe(
      await engine.cluster(),
      new Map(),
      'available',
      EMPTY_MEMORY,
      new Date(),
      engine.description,
    ));
    expect(status.members.find((member) => member.zone === 'az-b')?.role).toBe(MemberRole.MEMBER_ROLE_DOWN);
    expect(status.exposed).toBe(true);
  });

  it('an unreachable API is "the engine did not answer", not an error', async () => {
    const unreachable = new CloudNativePgEngine({
      cluster: NAME,
      namespace: NAMESPACE,
      zones: ZONES,
      apiUrl: 'http://127.0.0.1:1',
      token: () => TOKEN,
      standbys: async () => [],
    });
    expect(await unreachable.cluster()).toBeUndefined();
    const { status } = observe(undefined, new Map(), 'available', EMPTY_MEMORY, new Date(), unreachable.description);
    expect(status.warnings).toContain('the HA engine (CloudNativePG Cluster) did not answer');
  });

  it('asks for a switchover as kubectl cnpg promote does: merge patch of clusters/status, under the resourceVersion', async () => {
    const message = await engine.switchover('az-a', 'az-b');
    expect(message).toBe('CloudNativePG will promote mch-pg-2');
    expect(api.requests.filter((request) => request.method === 'PATCH')).toEqual([
      { method: 'PATCH', path: `${CLUSTER_PATH}/status`, contentType: 'application/merge-patch+json' },
    ]);
    expect(api.cluster.status).toMatchObject({
      currentPrimary: 'mch-pg-1',
      targetPrimary: 'mch-pg-2',
      phase: PHASE_SWITCHOVER,
      phaseReason: 'Switching over to mch-pg-2',
      targetPrimaryTimestamp: '2026-12-07T12:00:00.123000Z',
    });
    expect(api.cluster.metadata.resourceVersion).toBe('1002');
    // The status the stand-in holds after the patch is one CloudNativePG's schema accepts too.
    await validCluster();
  });

  it('reads the Cluster again when it changed in between (409), and refuses while a switchover is under way', async () => {
    let bumped = false;
    const original = engine.readCluster.bind(engine);
    const racing = Object.assign(
      Object.create(Object.getPrototypeOf(engine) as object) as CloudNativePgEngine,
      engine,
      {
        readCluster: async () => {
          const cluster = await original();
          if (!bumped) {
            bumped = true;
            api.cluster = { ...api.cluster, metadata: { ...api.cluster.metadata, resourceVersion: '2000' } };
          }
          return cluster;
        },
      },
    );
    await expect(racing.switchover('az-a', 'az-b')).resolves.toBe('CloudNativePG will promote mch-pg-2');
    expect(api.requests.filter((request) => request.method === 'PATCH')).toHaveLength(2);
    await expect(engine.switchover('az-a', 'az-b')).rejects.toThrow(FailedPreconditionError);
  });

  it('without recorded zones (a development cluster) the instances take the zone ids in name order', async () => {
    api.cluster = { ...api.cluster, status: { ...api.cluster.status, topology: { successfullyExtracted: false } } };
    expect((await engine.cluster())?.map((member) => `${member.name}:${member.role}`)).toEqual([
      'az-a:primary',
      'az-b:sync_standby',
    ]);
  });

  it('an instance in a zone the service does not know is left out rather than guessed', async () => {
    api.cluster = {
      ...api.cluster,
      status: {
        ...api.cluster.status,
        topology: {
          instances: {
            'mch-pg-1': { 'topology.kubernetes.io/zone': 'zone-a' },
            'mch-pg-2': { 'topology.kubernetes.io/zone': 'zone-c' },
          },
        },
      },
    };
    expect((await engine.cluster())?.map((member) => member.name)).toEqual(['az-a']);
  });

  it('refuses a switchover to a zone without an instance', async () => {
    await expect(engine.switchover('az-a', 'az-c')).rejects.toThrow(/no instance/);
  });
});
