// The local two-zone platform: starts etcd, both Patroni zones, HAProxy, Redis and the services in order, and drives them.
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureOwnedDirectory, giveToAccount, platformAccount, type OsAccount } from './account';
import { appDatabaseUrl, postgresUrl, provisionAppDatabase, serviceDatabaseUrl } from './database';
import { ETCD_COMPONENT, etcdGet, etcdUrl, etcdWitnessSpec } from './etcd';
import { HAPROXY_COMPONENT, haproxySpec, statsUrl } from './haproxy';
import {
  CLUSTER_SCOPE,
  DCS_NAMESPACE,
  ZONES,
  applyDynamicConfiguration,
  clusterStatus,
  otherZone,
  patroniUrl,
  pgDataDir,
  postmasterPid,
  removeStalePostmasterPid,
  stopOrphanPostmaster,
  waitForCluster,
  writePatroniConfiguration,
  zoneDir,
  zoneSpec,
  type ClusterStatus,
  type Durability,
  type Zone,
} from './patroni';
import { assertPortsFree, pickFreePlatformPorts, platformPortClaims, resolvePorts, type PlatformPorts } from './ports';
import { isAlive, memoryOf, processTree, signalAll, sleep, type MemoryUse } from './proc';
import { httpRequest } from './probes';
import { REDIS_COMPONENT, redisSpec, redisUrl } from './redis';
import {
  APP_USER,
  DATABASE_SERVICES,
  SUPERUSER,
  loadOrCreateCredentials,
  serviceRoleName,
  type DatabaseCredentials,
} from './secrets';
import {
  archiveParameters,
  backupConfigPath,
  backupInfo,
  backupRepoPath,
  backupSettingsFrom,
  checkArchive,
  ensureStanza,
  restoreBootstrap,
  STANZA,
  takeBackup,
  writeBackupConfiguration,
  writeRestoreScript,
  type BackupInfo,
  type BackupRun,
  type BackupSettings,
  type BackupType,
  type RestoreSource,
} from './backup';
import {
  PLATFORM_SERVICES,
  findRepoRoot,
  resolveServices,
  runOwnerCommand,
  serviceAddress,
  serviceSpec,
  storeAgentAddresses,
  storeAgentComponent,
  metricsUrl,
  serviceMetricsUrl,
  storeAgentEntry,
  storeAgentSpec,
  type ResolvedService,
  type ServiceDatabaseUrls,
  type StoreAgent,
  type ServiceContext,
  type ServiceRequest,
} from './services';
import { Supervisor, stopLeftoverComponents, type Component } from './supervisor';

export interface PlatformOptions {
  /** Default: $MCH_DATA_DIR, else `.data/platform` in the repository. */
  readonly dataDir?: string;
  /** Explicit ports (over defaults and MCH_PORT_*), or 'free' to pick unused ports (tests, measurements). */
  readonly ports?: Partial<PlatformPorts> | 'free';
  /** 'available' (default): a lone zone keeps taking writes. 'strict': writes wait for the standby. */
  readonly durability?: Durability;
  /** Default: every platform service; those not built yet are skipped with a log line. */
  readonly services?: readonly ServiceRequest[];
  readonly log?: (line: string) => void;
  /** Backup retention and archive timeout (default: MCH_BACKUP_* or backup.ts defaults). */
  readonly backups?: BackupSettings;
  /**
   * Start a fresh pair restored from another platform's backups to a point in time (the data dir must be
   * new): az-a is bootstrapped by pgBackRest, az-b clones it; the passwords are the source's.
   */
  readonly restoreFrom?: RestoreSource;
}

export interface PlatformEndpoints {
  readonly dataDir: string;
  readonly durability: Durability;
  readonly ports: PlatformPorts;
  /** The owner role `mch` (migrations, sweeps, tests' own fixtures). */
  readonly rwUrl: string;
  readonly roUrl: string;
  /** Each gRPC service's own role `mch_<service>`, confined to its schema: what the service connects as. */
  readonly serviceDatabaseUrls: Readonly<Record<string, ServiceDatabaseUrls>>;
  readonly redisUrl: string;
  readonly gatewayUrl: string;
  readonly etcdUrl: string;
  readonly haproxyStatsUrl: string;
  readonly patroniUrls: Readonly<Record<Zone, string>>;
  /** host:port of every started service, by name. */
  readonly serviceAddresses: Readonly<Record<string, string>>;
  /** Each started service's Prometheus endpoint (`http://host:port/metrics`), by service name. */
  readonly metricsUrls: Readonly<Record<string, string>>;
  /** Each zone's object store agent (when the replication service runs): its address and its directory. */
  readonly objectStores: Readonly<Partial<Record<Zone, { readonly address: string; readonly dir: string }>>>;
  /** The pid file each supervised component keeps current across restarts. */
  readonly runDir: string;
  readonly logDir: string;
}

/** What a planned switchover through Patroni's REST API did. */
export interface SwitchoverResult {
  readonly from: Zone;
  readonly to: Zone;
  /** How long Patroni took to answer POST /switchover (it answers once the candidate leads). */
  readonly apiMs: number;
  readonly httpStatus: number;
  readonly message: string;
}

export interface ComponentProcesses {
  readonly component: string;
  readonly pids: readonly number[];
  readonly memory: MemoryUse;
}

export interface Platform extends PlatformEndpoints {
  readonly endpoints: PlatformEndpoints;
  /** Which zone leads and which is the synchronous standby, from Patroni's /cluster. */
  status(): Promise<ClusterStatus>;
  waitForSync(timeoutMs?: number): Promise<ClusterStatus>;
  /** Graceful stop of a zone's Patroni (which stops its PostgreSQL). */
  stopZone(zone: Zone): Promise<void>;
  /** SIGKILL of every process of a zone at once — Patroni, postmaster and its children — as in losing the zone. */
  killZone(zone: Zone): Promise<number[]>;
  startZone(zone: Zone): Promise<void>;
  /** Graceful stop of a zone's object store agent (no restart follows until `startObjectStore`). */
  stopObjectStore(zone: Zone): Promise<void>;
  /** SIGKILL of a zone's object store agent, as in losing the zone's storage node. No restart follows. */
  killObjectStore(zone: Zone): Promise<number[]>;
  startObjectStore(zone: Zone): Promise<void>;
  /**
   * Planned switchover to `target` through Patroni's REST API (POST /switchover with leader and candidate).
   * Fails when `target` already leads or Patroni refuses.
   */
  switchover(target: Zone): Promise<SwitchoverResult>;
  /**
   * SIGSTOP of a zone's PostgreSQL (postmaster and every child) while its Patroni keeps running: a hung
   * zone or a partition. Returns the frozen pids; `thawDatabase` sends them SIGCONT.
   */
  freezeDatabase(zone: Zone): number[];
  thawDatabase(zone: Zone): number[];
  /** SIGKILL of Redis (no restart follows, as with a lost cache node); `startRedis` brings it back empty. */
  killRedis(): Promise<number[]>;
  startRedis(): Promise<void>;
  /** A connection string straight to a zone's PostgreSQL, bypassing HAProxy; superuser when asked. */
  zoneDatabaseUrl(zone: Zone, role?: 'app' | 'superuser'): string;
  stopService(name: string): Promise<void>;
  /** SIGKILL of a service process, as in a crash: the supervisor restarts it. Returns the killed pid. */
  killService(name: string): number | undefined;
  startService(name: string): Promise<void>;
  /** The current pid of a service's process (it changes when the supervisor restarts it). */
  servicePid(name: string): number | undefined;
  processes(): ComponentProcesses[];
  /** A base backup with pgBackRest into the platform's backup repository. */
  backup(type?: BackupType): Promise<BackupRun>;
  backupInfo(): Promise<BackupInfo>;
  /** Returns once every commit made so far is in the backup repository's WAL archive (`pgbackrest check`). */
  checkArchive(): Promise<void>;
  stop(): Promise<void>;
}

const ETCD_READY_MS = 15_000;
const LEADER_MS = 90_000;
const SERVICE_READY_MS = 120_000;
/** How often each service's expired idempotency keys are deleted (they are kept at least 24 hours). */
const SWEEP_EVERY_MS = 60 * 60_000;
const SYNC_MS = 120_000;

interface ClusterMemory {
  lastLeader?: Zone;
}

function readClusterMemory(dataDir: string): ClusterMemory {
  try {
    return JSON.parse(readFileSync(join(dataDir, 'cluster-state.json'), 'utf8')) as ClusterMemory;
  } catch {
    return {};
  }
}

function writeClusterMemory(dataDir: string, memory: ClusterMemory): void {
  writeFileSync(join(dataDir, 'cluster-state.json'), `${JSON.stringify(memory)}\n`);
}

export function defaultDataDir(): string {
  const given = process.env['MCH_DATA_DIR'];
  if (given === undefined || given === '') return join(findRepoRoot(), '.data', 'platform');
  // Relative to where the command was typed: npm runs scripts in the package root and keeps that in INIT_CWD.
  return resolve(process.env['INIT_CWD'] ?? process.cwd(), given);
}

export function platformStateFile(dataDir: string): string {
  return join(dataDir, 'platform.json');
}

export function platformPidFile(dataDir: string): string {
  return join(dataDir, 'platform.pid');
}

function readPid(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function removeOwnPidFile(dataDir: string): void {
  if (readPid(platformPidFile(dataDir)) === process.pid) rmSync(platformPidFile(dataDir), { force: true });
}

/** Refuses a second platform on a data dir one already runs on. */
export function assertNotRunning(dataDir: string): void {
  const other = runningPlatformPid(dataDir);
  if (other !== undefined) {
    throw new PlatformRunningError(
      `a platform is already running on ${dataDir} (pid ${other}); stop it with: npm run platform -- down`,
    );
  }
}

export class PlatformRunningError extends Error {
  override readonly name = 'PlatformRunningError';
}

/** The pid of a platform process already running on this data dir, if any. */
export function runningPlatformPid(dataDir: string): number | undefined {
  const pid = readPid(platformPidFile(dataDir));
  return pid !== undefined && pid !== process.pid && isAlive(pid) ? pid : undefined;
}

/** What a running platform publishes in its data dir once it is up (for `status`, `down`, `up --detach`). */
export interface PlatformState extends PlatformEndpoints {
  readonly pid: number;
}

export function readPlatformState(dataDir: string): PlatformState | undefined {
  try {
    return JSON.parse(readFileSync(platformStateFile(dataDir), 'utf8')) as PlatformState;
  } catch {
    return undefined;
  }
}

function hasData(dataDir: string, zone: Zone): boolean {
  return existsSync(join(pgDataDir(dataDir, zone), 'PG_VERSION'));
}

function describeCluster(status: ClusterStatus, durability: Durability): string {
  if (status.leader === undefined) return 'no leader';
  const standby = status.syncStandby === undefined ? 'no synchronous standby' : `sync standby ${status.syncStandby}`;
  const exposure = status.inSync
    ? ''
    : durability === 'strict'
      ? ' — writes wait for the other zone (strict durability)'
      : ' — RPO EXPOSURE: writes are on one zone only until the other is back in sync';
  return `leader ${status.leader} (timeline ${status.timeline ?? '?'}), ${standby}${exposure}`;
}

class LocalPlatform implements Platform {
  private watcher: NodeJS.Timeout | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;
  private lastDescription = '';
  private rememberedLeader: Zone | undefined;
  /** Zones whose PostgreSQL is stopped with SIGSTOP, and the pids to wake. */
  private readonly frozen = new Map<Zone, number[]>();

  constructor(
    readonly endpoints: PlatformEndpoints,
    private readonly supervisor: Supervisor,
    private readonly services: readonly ResolvedService[],
    private readonly log: (line: string) => void,
    private readonly credentials: DatabaseCredentials,
    private readonly account: OsAccount,
  ) {}

  get dataDir(): string {
    return this.endpoints.dataDir;
  }
  get durability(): Durability {
    return this.endpoints.durability;
  }
  get ports(): PlatformPorts {
    return this.endpoints.ports;
  }
  get rwUrl(): string {
    return this.endpoints.rwUrl;
  }
  get roUrl(): string {
    return this.endpoints.roUrl;
  }
  get serviceDatabaseUrls(): PlatformEndpoints['serviceDatabaseUrls'] {
    return this.endpoints.serviceDatabaseUrls;
  }
  get redisUrl(): string {
    return this.endpoints.redisUrl;
  }
  get gatewayUrl(): string {
    return this.endpoints.gatewayUrl;
  }
  get etcdUrl(): string {
    return this.endpoints.etcdUrl;
  }
  get haproxyStatsUrl(): string {
    return this.endpoints.haproxyStatsUrl;
  }
  get patroniUrls(): Readonly<Record<Zone, string>> {
    return this.endpoints.patroniUrls;
  }
  get serviceAddresses(): Readonly<Record<string, string>> {
    return this.endpoints.serviceAddresses;
  }
  get metricsUrls(): Readonly<Record<string, string>> {
    return this.endpoints.metricsUrls;
  }
  get objectStores(): PlatformEndpoints['objectStores'] {
    return this.endpoints.objectStores;
  }
  get runDir(): string {
    return this.endpoints.runDir;
  }
  get logDir(): string {
    return this.endpoints.logDir;
  }

  backup(type: BackupType = 'full'): Promise<BackupRun> {
    return takeBackup(this.dataDir, this.account, this.credentials, type);
  }

  backupInfo(): Promise<BackupInfo> {
    return backupInfo(this.dataDir, this.account, this.credentials);
  }

  checkArchive(): Promise<void> {
    return checkArchive(this.dataDir, this.account, this.credentials);
  }

  status(): Promise<ClusterStatus> {
    return clusterStatus(Object.values(this.endpoints.patroniUrls));
  }

  waitForSync(timeoutMs = SYNC_MS): Promise<ClusterStatus> {
    return waitForCluster(
      Object.values(this.endpoints.patroniUrls),
      (status) => status.inSync,
      timeoutMs,
      'a synchronous pair',
    );
  }

  async stopZone(zone: Zone): Promise<void> {
    this.log(`${zone}: stopping`);
    await this.component(zone).stop();
  }

  async killZone(zone: Zone): Promise<number[]> {
    const victims = await this.component(zone).kill();
    this.log(`${zone}: killed (SIGKILL to ${victims.length} processes: ${victims.join(' ')})`);
    return victims;
  }

  async startZone(zone: Zone): Promise<void> {
    if (removeStalePostmasterPid(this.dataDir, zone)) this.log(`${zone}: removed stale postmaster.pid`);
    this.log(`${zone}: starting`);
    await this.supervisor.start(zone, 30_000);
  }

  async stopObjectStore(zone: Zone): Promise<void> {
    await this.component(storeAgentComponent(zone)).stop();
    this.log(`${storeAgentComponent(zone)}: stopped`);
  }

  async killObjectStore(zone: Zone): Promise<number[]> {
    const victims = await this.component(storeAgentComponent(zone)).kill();
    this.log(`${storeAgentComponent(zone)}: killed (SIGKILL to ${victims.join(' ')})`);
    return victims;
  }

  async startObjectStore(zone: Zone): Promise<void> {
    this.log(`${storeAgentComponent(zone)}: starting`);
    await this.supervisor.start(storeAgentComponent(zone), 30_000);
  }

  async switchover(target: Zone): Promise<SwitchoverResult> {
    const before = await this.status();
    const from = before.leader;
    if (from === undefined) throw new Error('switchover: no leader');
    if (from === target) throw new Error(`switchover: ${target} already leads`);
    this.log(`switchover: ${from} -> ${target} requested`);
    const began = Date.now();
    // Patroni answers once the candidate has taken the leader key (or the attempt failed); give it room.
    const answer = await httpRequest(
      'POST',
      `${this.patroniUrls[from]}/switchover`,
      { leader: from, candidate: target },
      60_000,
    );
    const apiMs = Date.now() - began;
    const message = answer.body.trim();
    if (answer.status !== 200) throw new Error(`switchover ${from} -> ${target}: HTTP ${answer.status} ${message}`);
    this.log(`switchover: ${message} (${apiMs} ms)`);
    return { from, to: target, apiMs, httpStatus: answer.status, message };
  }

  freezeDatabase(zone: Zone): number[] {
    const postmaster = postmasterPid(this.dataDir, zone);
    if (postmaster === undefined) throw new Error(`${zone}: no PostgreSQL running`);
    const pids = processTree([postmaster]);
    // The postmaster first, so that it does not notice its children stopping.
    signalAll(pids, 'SIGSTOP');
    this.frozen.set(zone, pids);
    this.log(`${zone}: PostgreSQL frozen (SIGSTOP to ${pids.length} processes)`);
    return pids;
  }

  thawDatabase(zone: Zone): number[] {
    const pids = this.frozen.get(zone) ?? [];
    signalAll([...pids].reverse(), 'SIGCONT');
    this.frozen.delete(zone);
    this.log(`${zone}: PostgreSQL thawed (SIGCONT to ${pids.length} processes)`);
    return pids;
  }

  async killRedis(): Promise<number[]> {
    const victims = await this.component(REDIS_COMPONENT).kill();
    this.log(`redis: killed (SIGKILL to ${victims.join(' ')})`);
    return victims;
  }

  async startRedis(): Promise<void> {
    this.log('redis: starting');
    await this.supervisor.start(REDIS_COMPONENT, 15_000);
  }

  zoneDatabaseUrl(zone: Zone, role: 'app' | 'superuser' = 'app'): string {
    const port = zone === 'az-a' ? this.ports.postgresAzA : this.ports.postgresAzB;
    return role === 'app'
      ? appDatabaseUrl(this.credentials, port)
      : postgresUrl(SUPERUSER, this.credentials.superuserPassword, port, 'mch');
  }

  async stopService(name: string): Promise<void> {
    await this.serviceComponent(name).stop();
    this.log(`${name}: stopped`);
  }

  killService(name: string): number | undefined {
    const pid = this.serviceComponent(name).crash();
    this.log(`${name}: SIGKILL to pid ${String(pid)}`);
    return pid;
  }

  async startService(name: string): Promise<void> {
    await this.supervisor.start(this.serviceComponent(name).name, SERVICE_READY_MS);
  }

  servicePid(name: string): number | undefined {
    return this.serviceComponent(name).pid;
  }

  processes(): ComponentProcesses[] {
    return this.supervisor.all().map((component) => {
      const pids = component.pids();
      return { component: component.name, pids, memory: memoryOf(pids) };
    });
  }

  /** Logs every change of leader, sync standby or timeline, and remembers the leader for the next start. */
  watchCluster(): void {
    let busy = false;
    this.watcher = setInterval(() => {
      if (busy) return;
      busy = true;
      this.status()
        .then((status) => {
          const description = describeCluster(status, this.durability);
          if (description !== this.lastDescription) {
            this.lastDescription = description;
            this.log(`cluster: ${description}`);
          }
          if (status.leader !== undefined && status.leader !== this.rememberedLeader) {
            this.rememberedLeader = status.leader;
            writeClusterMemory(this.dataDir, { lastLeader: status.leader });
          }
        })
        .catch(() => {
          if (this.lastDescription !== 'unreachable') this.log('cluster: no Patroni answers');
          this.lastDescription = 'unreachable';
        })
        .finally(() => (busy = false));
    }, 1000);
    this.watcher.unref();
  }

  /** Every `everyMs`, each service's `sweep` as the owner role (its own role may not delete expired keys). */
  scheduleSweeps(services: readonly ResolvedService[], context: ServiceContext, everyMs: number): void {
    let busy = false;
    this.sweeper = setInterval(() => {
      if (busy) return;
      busy = true;
      Promise.all(
        services.map((service) =>
          runOwnerCommand(service, context, 'sweep', join(this.logDir, `${service.name}-sweep.log`)).catch(
            (error: unknown) =>
              this.log(`${service.name}: sweep failed: ${error instanceof Error ? error.message : String(error)}`),
          ),
        ),
      ).finally(() => (busy = false));
    }, everyMs);
    this.sweeper.unref();
  }

  stop(): Promise<void> {
    this.stopping ??= this.stopInOrder();
    return this.stopping;
  }

  private async stopInOrder(): Promise<void> {
    if (this.watcher !== undefined) clearInterval(this.watcher);
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    // A frozen PostgreSQL cannot shut down.
    for (const zone of [...this.frozen.keys()]) this.thawDatabase(zone);
    let leader: Zone | undefined;
    try {
      leader = (await this.status()).leader;
    } catch {
      leader = readClusterMemory(this.dataDir).lastLeader;
    }
    if (leader !== undefined) writeClusterMemory(this.dataDir, { lastLeader: leader });
    const lastZone = leader ?? 'az-a';
    this.log('stopping services, object stores, haproxy, redis, zones, etcd');
    await this.supervisor.stopAll([
      this.services.filter((service) => service.protocol === 'http').map((service) => service.name),
      this.services.filter((service) => service.protocol === 'grpc').map((service) => service.name),
      ZONES.map(storeAgentComponent).filter((name) => this.supervisor.get(name) !== undefined),
      [HAPROXY_COMPONENT],
      [REDIS_COMPONENT],
      // The standby first, so the leader's last WAL is its own and no failover happens on the way down.
      [otherZone(lastZone)],
      [lastZone],
      [ETCD_COMPONENT],
    ]);
    rmSync(platformStateFile(this.dataDir), { force: true });
    removeOwnPidFile(this.dataDir);
    this.log('platform stopped');
  }

  private component(name: string): Component {
    const component = this.supervisor.get(name);
    if (component === undefined) throw new Error(`no component ${name}`);
    return component;
  }

  private serviceComponent(name: string): Component {
    if (!this.services.some((service) => service.name === name)) {
      throw new Error(
        `service ${name} is not running in this platform (running: ${this.services.map((s) => s.name).join(', ') || 'none'})`,
      );
    }
    return this.component(name);
  }
}

/** A restored pair starts in a new data dir with the source's passwords (its roles come back from the backup). */
function prepareRestoreTarget(dataDir: string, source: RestoreSource, account: OsAccount): void {
  if (resolve(source.dataDir) === dataDir)
    throw new Error("a restore goes into a fresh data dir, not the source platform's");
  if (hasData(dataDir, 'az-a') || hasData(dataDir, 'az-b')) return; // restored before: start on its data
  if (!existsSync(join(dataDir, 'secrets.json')))
    copyFileSync(join(source.dataDir, 'secrets.json'), join(dataDir, 'secrets.json'));
  for (const zone of ZONES) ensureOwnedDirectory(zoneDir(dataDir, zone), account, 0o700);
}

interface StartContext {
  readonly dataDir: string;
  readonly ports: PlatformPorts;
  readonly durability: Durability;
  readonly account: OsAccount;
  readonly credentials: DatabaseCredentials;
  readonly supervisor: Supervisor;
  readonly log: (line: string) => void;
}

async function startZones(context: StartContext): Promise<ClusterStatus> {
  const { dataDir, supervisor, log, ports } = context;
  const restUrls = [patroniUrl(ports.patroniAzA), patroniUrl(ports.patroniAzB)];
  for (const zone of ZONES) {
    if (removeStalePostmasterPid(dataDir, zone)) log(`${zone}: removed stale postmaster.pid`);
  }
  const fresh = !hasData(dataDir, 'az-a') && !hasData(dataDir, 'az-b');
  if (fresh) {
    // az-a initialises the cluster; az-b starts as soon as the initialize key is taken, and clones from it.
    log('az-a: bootstrapping a new cluster');
    supervisor.launch('az-a');
    const initializeKey = `${DCS_NAMESPACE}${CLUSTER_SCOPE}/initialize`;
    const deadline = Date.now() + LEADER_MS;
    while ((await etcdGet(ports.etcd, initializeKey).catch(() => undefined)) === undefined) {
      if (Date.now() > deadline) throw new Error('az-a did not take the initialize key');
      await sleep(100);
    }
    log('az-b: starting (will clone az-a)');
    supervisor.launch('az-b');
  } else {
    // The zone that led last goes first so that it resumes as leader: the standby stopped before it and
    // may lack its final WAL.
    const remembered = readClusterMemory(dataDir).lastLeader;
    const first = remembered ?? (hasData(dataDir, 'az-a') ? 'az-a' : 'az-b');
    log(`${first}: starting on existing data (last leader)`);
    supervisor.launch(first);
    try {
      await waitForCluster(restUrls, (status) => status.leader === first, 20_000, `${first} to lead`);
    } catch {
      log(`${first}: not leading after 20 s; starting ${otherZone(first)} anyway`);
    }
    log(`${otherZone(first)}: starting on existing data`);
    supervisor.launch(otherZone(first));
  }
  const status = await waitForCluster(restUrls, (s) => s.leader !== undefined, LEADER_MS, 'a leader');
  if (
    status.leader !== undefined &&
    (await applyDynamicConfiguration(
      patroniUrl(status.leader === 'az-a' ? ports.patroniAzA : ports.patroniAzB),
      context.durability,
    ))
  ) {
    log('patroni: dynamic configuration updated (timings / durability)');
  }
  return status;
}

/** One store agent per zone, when the replication service (which uses them) runs and the agent is built. */
function storeAgentsFor(
  services: readonly ResolvedService[],
  repoRoot: string,
  dataDir: string,
  ports: PlatformPorts,
): StoreAgent[] {
  if (!services.some((service) => service.name === 'replication') || !existsSync(storeAgentEntry(repoRoot))) return [];
  return ZONES.map((zone) => ({
    zone,
    component: storeAgentComponent(zone),
    port: zone === 'az-a' ? ports.storeAzA : ports.storeAzB,
    metricsPort: zone === 'az-a' ? ports.storeAzAMetrics : ports.storeAzBMetrics,
    dir: join(dataDir, 'objects', zone),
  }));
}

function endpointsOf(
  dataDir: string,
  ports: PlatformPorts,
  durability: Durability,
  credentials: DatabaseCredentials,
  services: readonly ResolvedService[],
  agents: readonly StoreAgent[],
): PlatformEndpoints {
  return {
    dataDir,
    durability,
    ports,
    rwUrl: appDatabaseUrl(credentials, ports.readWrite),
    roUrl: appDatabaseUrl(credentials, ports.readOnly),
    serviceDatabaseUrls: Object.fromEntries(
      DATABASE_SERVICES.map((service) => [
        service,
        {
          role: serviceRoleName(service),
          rw: serviceDatabaseUrl(credentials, service, ports.readWrite),
          ro: serviceDatabaseUrl(credentials, service, ports.readOnly),
        },
      ]),
    ),
    redisUrl: redisUrl(ports.redis),
    gatewayUrl: `http://127.0.0.1:${ports.gateway}`,
    etcdUrl: etcdUrl(ports.etcd),
    haproxyStatsUrl: statsUrl(ports.haproxyStats),
    patroniUrls: { 'az-a': patroniUrl(ports.patroniAzA), 'az-b': patroniUrl(ports.patroniAzB) },
    serviceAddresses: Object.fromEntries(services.map((service) => [service.name, serviceAddress(service.port)])),
    metricsUrls: Object.fromEntries([
      ...services.flatMap((service) => {
        const url = serviceMetricsUrl(service.name, ports);
        return url === undefined ? [] : [[service.name, url]];
      }),
      ...agents.map((agent) => [agent.component, metricsUrl(agent.metricsPort)]),
    ]),
    objectStores: Object.fromEntries(
      agents.map((agent) => [agent.zone, { address: serviceAddress(agent.port), dir: agent.dir }]),
    ),
    runDir: join(dataDir, 'run'),
    logDir: join(dataDir, 'logs'),
  };
}

/**
 * Brings the platform up: etcd witness → zones (leader, then its synchronous standby) → HAProxy and
 * Redis → application role and database → services (gateway last) → waits for the pair to be in sync.
 * On failure everything already started is stopped again.
 */
export async function startPlatform(options: PlatformOptions = {}): Promise<Platform> {
  const log = options.log ?? ((line: string) => console.log(line));
  const began = Date.now();
  const dataDir = resolve(options.dataDir ?? defaultDataDir());
  const durability = options.durability ?? 'available';
  const ports =
    options.ports === 'free' ? await pickFreePlatformPorts() : resolvePorts(process.env, options.ports ?? {});
  assertNotRunning(dataDir);
  // Files this process writes for the database tier's account (configuration it reads) must not depend on
  // the caller's umask; secrets and data directories get explicit modes.
  process.umask(0o022);
  const account = platformAccount(log);

  ensureOwnedDirectory(dataDir, account, 0o750, log);
  rmSync(platformPidFile(dataDir), { force: true }); // a stale one: assertNotRunning saw no live owner
  try {
    // Exclusive: of two platforms started at once on one data dir, one gets the pid file.
    writeFileSync(platformPidFile(dataDir), `${process.pid}\n`, { flag: 'wx' });
  } catch {
    assertNotRunning(dataDir);
    throw new Error(`another platform is starting on ${dataDir} (${platformPidFile(dataDir)})`);
  }
  const logDir = join(dataDir, 'logs');
  const runDir = join(dataDir, 'run');
  const repoRoot = findRepoRoot();
  let services: ResolvedService[];
  let credentials: DatabaseCredentials;
  try {
    rmSync(platformStateFile(dataDir), { force: true });
    const lastLeader = readClusterMemory(dataDir).lastLeader ?? 'az-a';
    const leftoverRank = (component: string): number =>
      [HAPROXY_COMPONENT, REDIS_COMPONENT, otherZone(lastLeader), lastLeader, ETCD_COMPONENT].indexOf(component) + 1;
    await stopLeftoverComponents(runDir, leftoverRank, log);
    for (const zone of ZONES) await stopOrphanPostmaster(dataDir, zone, log);

    services = resolveServices(options.services ?? PLATFORM_SERVICES, repoRoot, ports, log);
    // Only ports something will listen on: a service that is not built does not hold its port.
    const serviceNames = new Set<string>(PLATFORM_SERVICES);
    await assertPortsFree([
      ...platformPortClaims(ports).filter((claim) => !serviceNames.has(claim.name)),
      ...services.map((service) => ({ name: service.name, port: service.port })),
    ]);

    if (options.restoreFrom !== undefined) prepareRestoreTarget(dataDir, options.restoreFrom, account);
    credentials = loadOrCreateCredentials(dataDir);
    for (const zone of ZONES) ensureOwnedDirectory(zoneDir(dataDir, zone), account, 0o700, log);
    ensureOwnedDirectory(join(dataDir, 'redis'), account, 0o700, log);
  } catch (error) {
    removeOwnPidFile(dataDir);
    throw error;
  }

  const supervisor = new Supervisor({ logDir, runDir, log });
  const agents = storeAgentsFor(services, repoRoot, dataDir, ports);
  const endpoints = endpointsOf(dataDir, ports, durability, credentials, services, agents);
  const platform = new LocalPlatform(endpoints, supervisor, services, log, credentials, account);
  try {
    supervisor.add(etcdWitnessSpec({ dataDir, clientPort: ports.etcd, peerPort: ports.etcdPeer, account }));
    const backupSettings = options.backups ?? backupSettingsFrom(process.env);
    writeBackupConfiguration(
      { dataDir, postgresPorts: { 'az-a': ports.postgresAzA, 'az-b': ports.postgresAzB }, settings: backupSettings },
      account,
    );
    const restoring = options.restoreFrom !== undefined && !hasData(dataDir, 'az-a') && !hasData(dataDir, 'az-b');
    for (const zone of ZONES) {
      const zoneOptions = {
        archive: archiveParameters(dataDir, backupSettings, zone),
        ...(restoring && zone === 'az-a' && options.restoreFrom !== undefined
          ? { bootstrapMethod: restoreBootstrap(writeRestoreScript(options.restoreFrom, dataDir, account)) }
          : {}),
        zone,
        dataDir,
        ports:
          zone === 'az-a'
            ? { postgres: ports.postgresAzA, rest: ports.patroniAzA }
            : { postgres: ports.postgresAzB, rest: ports.patroniAzB },
        etcdPort: ports.etcd,
        durability,
        credentials,
        account,
      };
      const configPath = writePatroniConfiguration(zoneOptions);
      giveToAccount(configPath, account);
      supervisor.add(zoneSpec(zoneOptions, configPath));
    }
    const haproxyMembers = [
      { name: 'az-a', postgresPort: ports.postgresAzA, patroniPort: ports.patroniAzA },
      { name: 'az-b', postgresPort: ports.postgresAzB, patroniPort: ports.patroniAzB },
    ];
    supervisor.add(
      haproxySpec({
        dataDir,
        readWritePort: ports.readWrite,
        readOnlyPort: ports.readOnly,
        statsPort: ports.haproxyStats,
        members: haproxyMembers,
        account,
      }),
    );
    supervisor.add(redisSpec({ dataDir, port: ports.redis, account }));

    log(`etcd witness: starting on ${endpoints.etcdUrl}`);
    await supervisor.start(ETCD_COMPONENT, ETCD_READY_MS);
    supervisor.launch(HAPROXY_COMPONENT);
    supervisor.launch(REDIS_COMPONENT);
    const context: StartContext = { dataDir, ports, durability, account, credentials, supervisor, log };
    const leading = await startZones(context);
    log(`${leading.leader ?? '?'}: leader after ${((Date.now() - began) / 1000).toFixed(1)} s`);
    await supervisor.get(HAPROXY_COMPONENT)?.waitReady(15_000);
    await supervisor.get(REDIS_COMPONENT)?.waitReady(15_000);

    await provisionAppDatabase(credentials, ports.readWrite, LEADER_MS);
    await ensureStanza(dataDir, account, credentials);
    log(`backups: pgBackRest stanza ${STANZA} ready, WAL archived to ${backupRepoPath(dataDir)}`);
    log(`database mch ready on ${endpoints.rwUrl.replace(/:[^:@/]+@/, ':***@')}`);

    const serviceContext: ServiceContext = {
      repoRoot,
      ports,
      databaseUrl: endpoints.rwUrl,
      databaseReadOnlyUrl: endpoints.roUrl,
      serviceDatabaseUrls: endpoints.serviceDatabaseUrls,
      redisUrl: endpoints.redisUrl,
      patroniUrls: Object.values(endpoints.patroniUrls),
      etcdUrl: endpoints.etcdUrl,
      durability,
      objectStoreAgents: storeAgentAddresses(agents),
      serviceSecret: credentials.serviceSecret,
      backupConfigPath: backupConfigPath(dataDir),
    };
    for (const agent of agents) {
      // The agents run as the platform's own user, like the services.
      mkdirSync(agent.dir, { recursive: true, mode: 0o700 });
      supervisor.add(storeAgentSpec(agent, repoRoot, ports.identity));
    }
    await Promise.all(
      agents.map(async (agent) => {
        await supervisor.start(agent.component, SERVICE_READY_MS);
        log(`${agent.component}: ready on ${serviceAddress(agent.port)} (${agent.dir})`);
      }),
    );
    for (const service of services) supervisor.add(serviceSpec(service, serviceContext));
    const grpcServices = services.filter((service) => service.protocol === 'grpc');
    const ownRole = (service: ResolvedService): boolean => endpoints.serviceDatabaseUrls[service.name] !== undefined;
    await Promise.all(
      grpcServices.map(async (service) => {
        if (ownRole(service)) {
          await runOwnerCommand(service, serviceContext, 'migrate', join(logDir, `${service.name}-migrate.log`));
          log(
            `${service.name}: migrated as ${APP_USER}, confined ${serviceRoleName(service.name)} to schema ${service.name}`,
          );
        }
        await supervisor.start(service.name, SERVICE_READY_MS);
        log(`${service.name}: ready on ${serviceAddress(service.port)}`);
      }),
    );
    for (const service of services.filter((s) => s.protocol === 'http')) {
      await supervisor.start(service.name, SERVICE_READY_MS);
      log(`${service.name}: ready on http://127.0.0.1:${service.port}`);
    }

    const synced = await platform.waitForSync();
    if (synced.leader !== undefined) writeClusterMemory(dataDir, { lastLeader: synced.leader });
    log(`cluster: ${describeCluster(synced, durability)}; up in ${((Date.now() - began) / 1000).toFixed(1)} s`);
    const state: PlatformState = { ...endpoints, pid: process.pid };
    writeFileSync(platformStateFile(dataDir), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    platform.watchCluster();
    platform.scheduleSweeps(grpcServices.filter(ownRole), serviceContext, SWEEP_EVERY_MS);
    return platform;
  } catch (error) {
    log(`start failed: ${error instanceof Error ? error.message : String(error)}`);
    await platform.stop();
    throw error;
  }
}
