// The application services the platform runs: which exist, their ports, addresses, environment and readiness.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { deriveServiceCredential, isServicePrincipalName } from '../../common/src/auth/service-identity';
import type { PlatformPorts } from './ports';
import { grpcServing, httpOk } from './probes';
import type { ComponentSpec } from './supervisor';

export const GRPC_SERVICES = ['identity', 'records', 'scheduling', 'referral', 'consultation', 'replication'] as const;
export type GrpcServiceName = (typeof GRPC_SERVICES)[number];
export type PlatformServiceName = GrpcServiceName | 'gateway';
/** Start order: the gateway last, once the services behind it answer. */
export const PLATFORM_SERVICES: readonly PlatformServiceName[] = [...GRPC_SERVICES, 'gateway'];

export type ServiceProtocol = 'grpc' | 'http';

/** A service outside the platform's list (a test fixture): an entry script run through the same supervisor. */
export interface CustomService {
  readonly name: string;
  readonly entry: string;
  readonly protocol: ServiceProtocol;
  readonly port: number;
}

export type ServiceRequest = PlatformServiceName | CustomService;

export interface ResolvedService {
  readonly name: string;
  readonly entry: string;
  readonly protocol: ServiceProtocol;
  readonly port: number;
}

/** Everything a service needs to find its dependencies. */
export interface ServiceContext {
  readonly repoRoot: string;
  readonly ports: PlatformPorts;
  /** The owner role's endpoints: its migrations and sweeps, and a service without a role of its own (a fixture). */
  readonly databaseUrl: string;
  readonly databaseReadOnlyUrl: string;
  /** Each service's own role (database.ts): a service listed here connects as it and migrates apart, as the owner. */
  readonly serviceDatabaseUrls?: Readonly<Record<string, ServiceDatabaseUrls>>;
  readonly redisUrl: string;
  readonly patroniUrls: readonly string[];
  readonly etcdUrl: string;
  readonly durability: string;
  /** The zones' store agents for the replication service, `az-a=host:port,az-b=host:port` ('' when none run). */
  readonly objectStoreAgents: string;
  /** The platform's service secret: identity holds it, every other service its derived credential. */
  readonly serviceSecret: string;
  /** pgBackRest's configuration, for the replication service's backup status. */
  readonly backupConfigPath?: string;
}

/** A service's own role on the read-write and read-only endpoints, and that role's name. */
export interface ServiceDatabaseUrls {
  readonly role: string;
  readonly rw: string;
  readonly ro: string;
}

/** The directory holding the root package.json, found from this module's location (source or dist). */
export function findRepoRoot(start: string = __dirname): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'services'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no repository root above ${start}`);
  }
}

export function compiledEntry(repoRoot: string, name: PlatformServiceName): string {
  return join(repoRoot, 'dist', 'services', name, 'src', 'main.js');
}

export function serviceAddressEnvName(name: string): string {
  return `${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_SERVICE_ADDR`;
}

/** Services whose entry exists, in start order; a missing one is reported through `log` and skipped. */
export function resolveServices(
  requests: readonly ServiceRequest[],
  repoRoot: string,
  ports: PlatformPorts,
  log: (line: string) => void,
): ResolvedService[] {
  const resolved: ResolvedService[] = [];
  for (const request of requests) {
    const service: ResolvedService =
      typeof request === 'string'
        ? {
            name: request,
            entry: compiledEntry(repoRoot, request),
            protocol: request === 'gateway' ? 'http' : 'grpc',
            port: ports[request],
          }
        : request;
    if (!existsSync(service.entry)) {
      log(`${service.name}: skipped, ${service.entry} is not built`);
      continue;
    }
    resolved.push(service);
  }
  const gateways = resolved.filter((service) => service.protocol === 'http');
  return [...resolved.filter((service) => service.protocol === 'grpc'), ...gateways];
}

export function serviceAddress(port: number): string {
  return `127.0.0.1:${port}`;
}

function isGrpcServiceName(name: string): name is GrpcServiceName {
  return (GRPC_SERVICES as readonly string[]).includes(name);
}

/** The port of a gRPC service's Prometheus metrics (the gateway serves /metrics on its own HTTP port). */
export function metricsPortOf(name: GrpcServiceName, ports: PlatformPorts): number {
  return ports[`${name}Metrics`];
}

/** The Prometheus endpoint of a process serving metrics on `port` of this machine. */
export function metricsUrl(port: number): string {
  return `http://127.0.0.1:${port}/metrics`;
}

/** Where a service serves Prometheus metrics: every gRPC service on a port of its own, the gateway on its HTTP port. */
export function serviceMetricsUrl(name: string, ports: PlatformPorts): string | undefined {
  if (name === 'gateway') return metricsUrl(ports.gateway);
  return isGrpcServiceName(name) ? metricsUrl(metricsPortOf(name, ports)) : undefined;
}

export function serviceEnvironment(service: ResolvedService, context: ServiceContext): NodeJS.ProcessEnv {
  const addresses: Record<string, string> = {};
  for (const name of GRPC_SERVICES) addresses[serviceAddressEnvName(name)] = serviceAddress(context.ports[name]);
  const own = context.serviceDatabaseUrls?.[service.name];
  return {
    ...process.env,
    ...addresses,
    SERVICE_NAME: service.name,
    ...(service.protocol === 'grpc' ? { GRPC_PORT: String(service.port) } : { HTTP_PORT: String(service.port) }),
    DATABASE_URL: own?.rw ?? context.databaseUrl,
    DATABASE_RO_URL: own?.ro ?? context.databaseReadOnlyUrl,
    // A service with a role of its own cannot migrate: the platform ran `migrate` as the owner before (ownerCommand).
    ...(own === undefined ? {} : { MIGRATE_ON_START: 'false' }),
    REDIS_URL: context.redisUrl,
    LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'info',
    // For the replication service, which observes Patroni and asks it for switchovers.
    PATRONI_API_URLS: context.patroniUrls.join(','),
    ...(context.backupConfigPath === undefined ? {} : { PGBACKREST_CONFIG: context.backupConfigPath }),
    ETCD_URL: context.etcdUrl,
    MCH_DURABILITY: context.durability,
    OBJECT_STORE_AGENTS: context.objectStoreAgents,
    ...(isGrpcServiceName(service.name)
      ? { METRICS_PORT: String(metricsPortOf(service.name, context.ports)), METRICS_HOST: '127.0.0.1' }
      : {}),
    // The local platform serves one machine's tests and benchmarks from 127.0.0.1 with a handful of tokens:
    // the gateway's rate limits are off unless asked for (the chart keeps them on).
    GATEWAY_RATE_LIMIT_PER_ADDRESS: process.env['GATEWAY_RATE_LIMIT_PER_ADDRESS'] ?? '0',
    GATEWAY_RATE_LIMIT_PER_TOKEN: process.env['GATEWAY_RATE_LIMIT_PER_TOKEN'] ?? '0',
    ...(service.name === 'identity'
      ? { MCH_SERVICE_SECRET: context.serviceSecret }
      : isServicePrincipalName(service.name)
        ? { MCH_SERVICE_CREDENTIAL: deriveServiceCredential(context.serviceSecret, service.name) }
        : {}),
  };
}

/** The work a service's own role may not do, as the owner role: `migrate` (and seed) or `sweep` (expired keys). */
export type OwnerCommand = 'migrate' | 'sweep';

/**
 * Runs `node <entry> <command>` with the owner role's DATABASE_URL and the service's role to confine (migrate), its
 * output appended to `logFile`; resolves when it exits 0.
 */
export async function runOwnerCommand(
  service: ResolvedService,
  context: ServiceContext,
  command: OwnerCommand,
  logFile: string,
): Promise<void> {
  const own = context.serviceDatabaseUrls?.[service.name];
  if (own === undefined) throw new Error(`${service.name} has no database role of its own`);
  const env: NodeJS.ProcessEnv = {
    ...serviceEnvironment(service, context),
    DATABASE_URL: context.databaseUrl,
    DATABASE_RO_URL: context.databaseUrl,
    DATABASE_SERVICE_ROLE: own.role,
    METRICS_PORT: '0',
  };
  const fd = openSync(logFile, 'a');
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [service.entry, command], {
        cwd: context.repoRoot,
        env,
        stdio: ['ignore', fd, fd],
      });
      child.once('error', reject);
      child.once('exit', (exitCode) => resolve(exitCode));
    });
    if (code !== 0) throw new Error(`${service.name} ${command} exited with ${String(code)} (see ${logFile})`);
  } finally {
    closeSync(fd);
  }
}

export function serviceReadiness(service: ResolvedService): () => Promise<boolean> {
  return service.protocol === 'grpc'
    ? () => grpcServing(serviceAddress(service.port))
    : () => httpOk(`http://127.0.0.1:${service.port}/readyz`);
}

export function serviceSpec(service: ResolvedService, context: ServiceContext): ComponentSpec {
  return {
    name: service.name,
    command: process.execPath,
    args: [service.entry],
    env: serviceEnvironment(service, context),
    cwd: context.repoRoot,
    restart: 'on-crash',
    readiness: serviceReadiness(service),
    stopTimeoutMs: 15_000,
  };
}

/** One zone's object store agent: a process of the replication service's code, on its own directory and port. */
export interface StoreAgent {
  readonly zone: string;
  readonly component: string;
  readonly port: number;
  /** Its Prometheus metrics (HTTP GET /metrics). */
  readonly metricsPort: number;
  readonly dir: string;
}

export function storeAgentEntry(repoRoot: string): string {
  return join(repoRoot, 'dist', 'services', 'replication', 'src', 'store-agent', 'main.js');
}

export function storeAgentComponent(zone: string): string {
  return `objects-${zone}`;
}

/** The store agents as `zone=address` pairs, the replication service's OBJECT_STORE_AGENTS. */
export function storeAgentAddresses(agents: readonly StoreAgent[]): string {
  return agents.map((agent) => `${agent.zone}=${serviceAddress(agent.port)}`).join(',');
}

/** A zone's store agent; it verifies the replication service's tokens with identity's keys (`identityPort`). */
export function storeAgentSpec(agent: StoreAgent, repoRoot: string, identityPort: number): ComponentSpec {
  return {
    name: agent.component,
    command: process.execPath,
    args: [storeAgentEntry(repoRoot)],
    env: {
      ...process.env,
      SERVICE_NAME: agent.component,
      AGENT_ZONE: agent.zone,
      AGENT_DATA_DIR: agent.dir,
      GRPC_PORT: String(agent.port),
      METRICS_PORT: String(agent.metricsPort),
      METRICS_HOST: '127.0.0.1',
      IDENTITY_SERVICE_ADDR: serviceAddress(identityPort),
      LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'info',
    },
    cwd: repoRoot,
    restart: 'on-crash',
    readiness: () => grpcServing(serviceAddress(agent.port)),
    stopTimeoutMs: 15_000,
  };
}
