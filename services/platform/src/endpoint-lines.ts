// What `status` prints first: every listener of a running platform, one "<name> <URL or host:port>" per line,
// so scripts find an endpoint with `awk '$1 == "gateway" { print $2 }'` instead of parsing logs.
import type { PlatformEndpoints } from './platform';

export interface EndpointLine {
  readonly name: string;
  readonly address: string;
}

/** A database URL without its password (the passwords stay in secrets.json). */
export function withoutPassword(url: string): string {
  return url.replace(/^(\w+:\/\/[^:@/]+):[^@/]*@/, '$1@');
}

export function endpointLines(endpoints: PlatformEndpoints): EndpointLine[] {
  const { ports } = endpoints;
  const lines: EndpointLine[] = [{ name: 'gateway', address: endpoints.gatewayUrl }];
  for (const [name, url] of Object.entries(endpoints.metricsUrls))
    lines.push({ name: `${name}-metrics`, address: url });
  for (const [name, address] of Object.entries(endpoints.serviceAddresses)) {
    if (name !== 'gateway') lines.push({ name, address });
  }
  for (const [zone, store] of Object.entries(endpoints.objectStores)) {
    if (store !== undefined) lines.push({ name: `objects-${zone}`, address: store.address });
  }
  lines.push(
    { name: 'postgres-rw', address: withoutPassword(endpoints.rwUrl) },
    { name: 'postgres-ro', address: withoutPassword(endpoints.roUrl) },
    { name: 'postgres-az-a', address: `127.0.0.1:${ports.postgresAzA}` },
    { name: 'postgres-az-b', address: `127.0.0.1:${ports.postgresAzB}` },
    { name: 'patroni-az-a', address: endpoints.patroniUrls['az-a'] },
    { name: 'patroni-az-b', address: endpoints.patroniUrls['az-b'] },
    { name: 'etcd', address: endpoints.etcdUrl },
    { name: 'etcd-peer', address: `http://127.0.0.1:${ports.etcdPeer}` },
    { name: 'haproxy-stats', address: endpoints.haproxyStatsUrl },
    { name: 'redis', address: endpoints.redisUrl },
  );
  return lines;
}

export function formatEndpointLines(endpoints: PlatformEndpoints): string[] {
  // Exactly one space: the format scripts rely on.
  return endpointLines(endpoints).map((line) => `${line.name} ${line.address}`);
}
