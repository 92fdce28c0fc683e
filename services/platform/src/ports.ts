// The platform's TCP ports: defaults, MCH_PORT_* overrides, the check that none is taken, and free-port picking for tests.
import { createServer } from 'node:net';

export const DEFAULT_PORTS = {
  etcd: 2479,
  etcdPeer: 2480,
  postgresAzA: 5433,
  postgresAzB: 5434,
  patroniAzA: 8008,
  patroniAzB: 8009,
  readWrite: 5500,
  readOnly: 5501,
  haproxyStats: 7001,
  redis: 6380,
  gateway: 8080,
  identity: 50051,
  records: 50052,
  scheduling: 50053,
  referral: 50054,
  consultation: 50055,
  replication: 50056,
  // Prometheus metrics (HTTP GET /metrics) of each gRPC service and store agent; the gateway serves its own.
  identityMetrics: 9461,
  recordsMetrics: 9462,
  schedulingMetrics: 9463,
  referralMetrics: 9464,
  consultationMetrics: 9465,
  replicationMetrics: 9466,
  storeAzA: 50070,
  storeAzB: 50071,
  storeAzAMetrics: 9470,
  storeAzBMetrics: 9471,
} as const;

export type PortName = keyof typeof DEFAULT_PORTS;
export type PlatformPorts = Record<PortName, number>;

export const PORT_NAMES = Object.keys(DEFAULT_PORTS) as PortName[];

/** `postgresAzA` → `MCH_PORT_POSTGRES_AZ_A`. */
export function portEnvName(name: PortName): string {
  return `MCH_PORT_${name.replace(/([A-Z])/g, '_$1').toUpperCase()}`;
}

export class PortConfigError extends Error {
  constructor(
    readonly problems: readonly string[],
    heading = 'invalid port configuration',
  ) {
    super(`${heading}:\n  ${problems.join('\n  ')}`);
    this.name = 'PortConfigError';
  }
}

/** Defaults, then MCH_PORT_* from `env`, then explicit overrides; every invalid value is reported at once. */
export function resolvePorts(env: NodeJS.ProcessEnv, overrides: Partial<PlatformPorts> = {}): PlatformPorts {
  const problems: string[] = [];
  const ports = { ...DEFAULT_PORTS } as PlatformPorts;
  for (const name of PORT_NAMES) {
    const envName = portEnvName(name);
    const raw = env[envName];
    if (raw !== undefined && raw !== '') {
      const port = Number(raw);
      if (!Number.isInteger(port) || port < 1 || port > 65535) problems.push(`${envName}=${raw} is not a TCP port`);
      else ports[name] = port;
    }
    const override = overrides[name];
    if (override !== undefined) ports[name] = override;
  }
  const owners = new Map<number, PortName>();
  for (const name of PORT_NAMES) {
    const owner = owners.get(ports[name]);
    if (owner !== undefined) problems.push(`port ${ports[name]} is given to both ${owner} and ${name}`);
    owners.set(ports[name], name);
  }
  if (problems.length > 0) throw new PortConfigError(problems);
  return ports;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export interface PortClaim {
  readonly name: string;
  readonly port: number;
}

export function platformPortClaims(ports: PlatformPorts): PortClaim[] {
  return PORT_NAMES.map((name) => ({ name, port: ports[name] }));
}

/** Fails with every busy port named, so that the platform never takes a port from another program. */
export async function assertPortsFree(claims: readonly PortClaim[]): Promise<void> {
  const busy: string[] = [];
  for (const claim of claims) {
    if (await canListen(claim.port)) continue;
    const override = (PORT_NAMES as readonly string[]).includes(claim.name)
      ? ` (override with ${portEnvName(claim.name as PortName)})`
      : '';
    busy.push(`port already in use: ${claim.name} ${claim.port}${override}`);
  }
  if (busy.length > 0)
    throw new PortConfigError(busy, 'ports unavailable (the platform never takes a port another program holds)');
}

/**
 * Free ports below the kernel's ephemeral range (32768+), so that an outgoing connection of another process
 * cannot take one of them between the pick and the bind.
 */
export async function pickFreePorts(count: number): Promise<number[]> {
  const picked = new Set<number>();
  for (let attempt = 0; picked.size < count; attempt++) {
    if (attempt > count * 50) throw new Error(`could not find ${count} free ports`);
    const port = 15000 + Math.floor(Math.random() * 17000);
    if (!picked.has(port) && (await canListen(port))) picked.add(port);
  }
  return [...picked];
}

export async function pickFreePlatformPorts(): Promise<PlatformPorts> {
  const picked = await pickFreePorts(PORT_NAMES.length);
  const ports = {} as PlatformPorts;
  PORT_NAMES.forEach((name, index) => {
    const port = picked[index];
    if (port === undefined) throw new Error('not enough free ports');
    ports[name] = port;
  });
  return ports;
}
