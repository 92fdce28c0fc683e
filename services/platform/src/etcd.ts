// The etcd witness: the third place that holds the quorum Patroni's leader lock lives in.
import { join } from 'node:path';
import type { OsAccount } from './account';
import { httpOk, httpRequest } from './probes';
import type { ComponentSpec } from './supervisor';

export const ETCD_COMPONENT = 'etcd';

export interface EtcdWitnessOptions {
  readonly dataDir: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly account: OsAccount;
}

export function etcdUrl(clientPort: number): string {
  return `http://127.0.0.1:${clientPort}`;
}

export function etcdWitnessSpec(options: EtcdWitnessOptions): ComponentSpec {
  const clientUrl = etcdUrl(options.clientPort);
  const peerUrl = `http://127.0.0.1:${options.peerPort}`;
  return {
    name: ETCD_COMPONENT,
    command: '/usr/bin/etcd',
    args: [
      '--name',
      'witness',
      '--data-dir',
      join(options.dataDir, 'etcd'),
      '--listen-client-urls',
      clientUrl,
      '--advertise-client-urls',
      clientUrl,
      '--listen-peer-urls',
      peerUrl,
      '--initial-advertise-peer-urls',
      peerUrl,
      '--initial-cluster',
      `witness=${peerUrl}`,
      '--initial-cluster-token',
      'mch-platform',
      '--initial-cluster-state',
      'new',
      // A lone member has no peer to miss: a short election timeout only shortens its start on existing data.
      '--heartbeat-interval',
      '50',
      '--election-timeout',
      '250',
      '--auto-compaction-retention',
      '1',
      '--quota-backend-bytes',
      String(256 * 1024 * 1024),
      '--log-level',
      'warn',
      '--logger',
      'zap',
    ],
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: options.dataDir },
    account: options.account,
    restart: 'on-crash',
    readiness: () => etcdHealthy(options.clientPort),
    stopTimeoutMs: 15_000,
  };
}

export function etcdHealthy(clientPort: number): Promise<boolean> {
  return httpOk(`${etcdUrl(clientPort)}/health`);
}

/** The value of one key through etcd's v3 HTTP gateway, or undefined when it does not exist. */
export async function etcdGet(clientPort: number, key: string): Promise<string | undefined> {
  const answer = await httpRequest('POST', `${etcdUrl(clientPort)}/v3/kv/range`, {
    key: Buffer.from(key, 'utf8').toString('base64'),
  });
  if (answer.status !== 200) throw new Error(`etcd range ${key}: HTTP ${answer.status}`);
  const parsed = JSON.parse(answer.body) as { kvs?: Array<{ value?: string }> };
  const value = parsed.kvs?.[0]?.value;
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}
