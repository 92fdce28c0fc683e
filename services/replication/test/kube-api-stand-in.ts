// A local HTTP server that plays the Kubernetes API for one CloudNativePG Cluster (see cloudnative-pg.test.ts for what it
// accepts and why), and a healthy two-zone Cluster as the operator reports it.
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeObject } from '../../../charts/tests/lib/helm';
import { CnpgCluster, MERGE_PATCH } from '../src/cloudnative-pg';

export const NAMESPACE = 'mch';
export const NAME = 'mch-pg';
export const TOKEN = 'test-service-account-token';
export const CLUSTER_PATH = `/apis/postgresql.cnpg.io/v1/namespaces/${NAMESPACE}/clusters/${NAME}`;

/** A healthy two-instance Cluster, one instance per zone, as the operator reports it (status of CloudNativePG 1.30). */
export function healthyCluster(zoneLabels: readonly [string, string] = ['zone-a', 'zone-b']): CnpgCluster & KubeObject {
  return {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: { name: NAME, namespace: NAMESPACE, resourceVersion: '1001' },
    spec: {
      instances: 2,
      storage: { size: '20Gi' },
      postgresql: {
        synchronous: { method: 'any', number: 1, dataDurability: 'preferred' },
        syncReplicaElectionConstraint: { enabled: true, nodeLabelsAntiAffinity: ['topology.kubernetes.io/zone'] },
      },
    },
    status: {
      instances: 2,
      readyInstances: 2,
      currentPrimary: 'mch-pg-1',
      targetPrimary: 'mch-pg-1',
      phase: 'Cluster in healthy state',
      timelineID: 3,
      instanceNames: ['mch-pg-1', 'mch-pg-2'],
      instancesStatus: { healthy: ['mch-pg-1', 'mch-pg-2'] },
      topology: {
        instances: {
          'mch-pg-1': { 'topology.kubernetes.io/zone': zoneLabels[0] },
          'mch-pg-2': { 'topology.kubernetes.io/zone': zoneLabels[1] },
        },
        nodesUsed: 2,
        successfullyExtracted: true,
      },
    },
  } as unknown as CnpgCluster & KubeObject;
}

/** RFC 7386: objects merge key by key, null deletes, anything else replaces. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const result: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

export class FakeKubeApi {
  cluster = healthyCluster();
  readonly requests: { method: string; path: string; contentType?: string }[] = [];
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private send(response: ServerResponse, status: number, body: unknown): void {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    const contentType = request.headers['content-type'];
    this.requests.push({ method: request.method ?? '', path, contentType });
    if (request.headers.authorization !== `Bearer ${TOKEN}`)
      return this.send(response, 401, { kind: 'Status', reason: 'Unauthorized' });
    if (path !== CLUSTER_PATH && path !== `${CLUSTER_PATH}/status`)
      return this.send(response, 404, { kind: 'Status', reason: 'NotFound' });
    if (request.method === 'GET') return this.send(response, 200, this.cluster);
    if (request.method !== 'PATCH') return this.send(response, 405, { kind: 'Status', reason: 'MethodNotAllowed' });
    if (contentType !== MERGE_PATCH)
      return this.send(response, 415, { kind: 'Status', reason: 'UnsupportedMediaType' });
    const patch = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      metadata?: { resourceVersion?: string };
      status?: unknown;
      spec?: unknown;
    };
    if (patch.metadata?.resourceVersion && patch.metadata.resourceVersion !== this.cluster.metadata.resourceVersion)
      return this.send(response, 409, { kind: 'Status', reason: 'Conflict' });
    // The status subresource: a patch of it changes only status; a patch of the main resource never changes status.
    const before = this.cluster;
    const patched = mergePatch(
      before,
      path.endsWith('/status') ? { status: patch.status } : { spec: patch.spec },
    ) as typeof before;
    this.cluster = {
      ...patched,
      metadata: { ...before.metadata, resourceVersion: String(Number(before.metadata.resourceVersion) + 1) },
    };
    return this.send(response, 200, this.cluster);
  }
}
