// The two database zones: Patroni-managed PostgreSQL 15 members az-a and az-b, their configuration and REST API.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OsAccount } from './account';
import { commandLine, isAlive, processStartTime, processTree, signalAll, sleep, waitForExit } from './proc';
import { httpOk, httpRequest } from './probes';
import { REPLICATION_USER, REWIND_USER, SUPERUSER, type DatabaseCredentials } from './secrets';
import type { ComponentSpec } from './supervisor';

export const ZONES = ['az-a', 'az-b'] as const;
export type Zone = (typeof ZONES)[number];
export type Durability = 'available' | 'strict';

export const CLUSTER_SCOPE = 'mch';
export const DCS_NAMESPACE = '/service/';
const POSTGRES_BIN_DIR = '/usr/lib/postgresql/15/bin';

/**
 * HA timings for Patroni 3.0.2 on a single etcd 3.4 witness, from its source and the drills (DRILLS.md):
 *
 * - Where a zone loss spends its time: the leader refreshes its etcd lease once per loop (loop_wait), so the key
 *   outlives the kill by ttl − U(0, loop_wait); etcd 3.4 sweeps expired leases every 500 ms (+U(0, 0.5 s)); the
 *   standby is woken by its watch, takes the key and promotes (~0.4 s under load, up to 1.3 s), HAProxy sees it,
 *   the services' retries land (~0.25 s). With random kill times ttl 5 gave a client write gap of ~5.4 s median,
 *   ttl 4 gives 4.6 s (20 kills).
 * - All three are whole seconds: Patroni int()s them when it reads them from the DCS (1.5 runs as 1).
 * - retry_timeout must be 2 or more with etcd3: attempt_to_acquire_leader (dcs/etcd3.py) refreshes the lease
 *   under a retry deadline of retry_timeout, then raises "attempt_to_acquire_leader timeout" when less than 1 s
 *   is left — with 1 it always is, and the standby logs only "Error communicating with DCS" and never takes over.
 * - ttl 4 breaks Patroni's documented rule ttl >= loop_wait + 2 * retry_timeout (5) by one second. What the rule
 *   guards: a leader cut off from etcd demotes once a lease refresh has failed for retry_timeout, i.e. within
 *   loop_wait + retry_timeout (3 s) of its last refresh — before its key can expire (4 s + the sweep); only when
 *   a cycle first waits retry_timeout for the DCS cache and then again for the refresh may it stay primary up to
 *   ~1 s after the key expired. In synchronous mode nothing it commits then is acknowledged (its commits wait for
 *   the standby that was just promoted, and only the lock holder may release them through the DCS), so no
 *   acknowledged write can be lost; a read through it could be ~1 s stale. Hence the check in haTimingsFrom.
 * - Slack against spurious failovers: a normal loop refreshes the lease every 1.0 s (3 s spare); the loop that
 *   makes a returning zone synchronous sleeps 2 s after its refresh (ha.py process_sync_replication), so that
 *   refresh comes ~2.3 s after the previous one under load (1.7 s spare). 20 kills at load average 14–21 made
 *   exactly one leader change each and none between them. Later Patroni releases refuse such short timings.
 */
export const HA_TIMINGS = { ttl: 4, loop_wait: 1, retry_timeout: 2 } as const;

export type HaTimings = { readonly ttl: number; readonly loop_wait: number; readonly retry_timeout: number };

/**
 * HA_TIMINGS, or MCH_PATRONI_TTL / _LOOP_WAIT / _RETRY_TIMEOUT for experiments: whole seconds, retry_timeout >= 2
 * and ttl >= loop_wait + retry_timeout + 1 (why: HA_TIMINGS).
 */
export function haTimingsFrom(env: NodeJS.ProcessEnv): HaTimings {
  const read = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    // Patroni 3.0.2 truncates the three to int when it reads them from the DCS (config.py): 1.5 would run as 1.
    if (!Number.isInteger(value) || value <= 0)
      throw new Error(`${name} must be a positive whole number of seconds, not ${raw}`);
    return value;
  };
  const timings = {
    ttl: read('MCH_PATRONI_TTL', HA_TIMINGS.ttl),
    loop_wait: read('MCH_PATRONI_LOOP_WAIT', HA_TIMINGS.loop_wait),
    retry_timeout: read('MCH_PATRONI_RETRY_TIMEOUT', HA_TIMINGS.retry_timeout),
  };
  if (timings.retry_timeout < 2) {
    throw new Error(
      `with etcd3, Patroni 3.0.2 can never take the leader key with retry_timeout ${timings.retry_timeout}: it needs at least 2`,
    );
  }
  if (timings.ttl < timings.loop_wait + timings.retry_timeout + 1) {
    throw new Error(
      `ttl must leave the leader 1 s to demote before its key expires: ttl >= loop_wait + retry_timeout + 1 (${timings.ttl} < ${timings.loop_wait} + ${timings.retry_timeout} + 1)`,
    );
  }
  return timings;
}

export function isZone(value: string): value is Zone {
  return (ZONES as readonly string[]).includes(value);
}

export function otherZone(zone: Zone): Zone {
  return zone === 'az-a' ? 'az-b' : 'az-a';
}

export interface ZonePorts {
  readonly postgres: number;
  readonly rest: number;
}

export interface ZoneOptions {
  readonly zone: Zone;
  readonly dataDir: string;
  readonly ports: ZonePorts;
  readonly etcdPort: number;
  readonly durability: Durability;
  readonly credentials: DatabaseCredentials;
  readonly account: OsAccount;
  /** This member's WAL archiving settings (backup.ts). */
  readonly archive?: Record<string, string>;
  /** A bootstrap method other than initdb (a restored pair's az-a: backup.ts restoreBootstrap). */
  readonly bootstrapMethod?: Record<string, unknown>;
}

export function zoneDir(dataDir: string, zone: Zone): string {
  return join(dataDir, zone);
}

export function pgDataDir(dataDir: string, zone: Zone): string {
  return join(zoneDir(dataDir, zone), 'pgdata');
}

export function patroniUrl(restPort: number): string {
  return `http://127.0.0.1:${restPort}`;
}

/** The cluster-wide settings Patroni keeps in the DCS; applied at bootstrap and re-applied on every start. */
export function dynamicConfiguration(durability: Durability): Record<string, unknown> {
  return {
    ...haTimingsFrom(process.env),
    maximum_lag_on_failover: 1048576,
    synchronous_mode: true,
    synchronous_mode_strict: durability === 'strict',
    synchronous_node_count: 1,
    postgresql: {
      use_pg_rewind: true,
      use_slots: true,
      parameters: {
        wal_level: 'replica',
        hot_standby: 'on',
        wal_log_hints: 'on',
        wal_keep_size: '256MB',
        // Without it a returning standby waits 5 s between attempts to reach the primary (HA-NOTES).
        wal_retrieve_retry_interval: '1s',
        // Statistics queries run on the standby; feedback keeps them from being cancelled by replay conflicts.
        hot_standby_feedback: 'on',
        max_connections: 200,
        max_wal_senders: 10,
        max_replication_slots: 10,
        password_encryption: 'scram-sha-256',
      },
    },
  };
}

function pgHba(): string[] {
  return [
    'local   all          all                        scram-sha-256',
    `host    replication  ${REPLICATION_USER}  127.0.0.1/32  scram-sha-256`,
    'host    all          all          127.0.0.1/32  scram-sha-256',
  ];
}

/** Patroni reads YAML; JSON is YAML, so the configuration is written with JSON.stringify. */
export function patroniConfiguration(options: ZoneOptions): Record<string, unknown> {
  const dir = zoneDir(options.dataDir, options.zone);
  const { credentials, ports } = options;
  return {
    scope: CLUSTER_SCOPE,
    namespace: DCS_NAMESPACE,
    name: options.zone,
    log: { level: 'INFO', format: '%(levelname)s: %(message)s' },
    restapi: { listen: `127.0.0.1:${ports.rest}`, connect_address: `127.0.0.1:${ports.rest}` },
    etcd3: { hosts: [`127.0.0.1:${options.etcdPort}`], protocol: 'http' },
    bootstrap: {
      dcs: dynamicConfiguration(options.durability),
      initdb: [{ encoding: 'UTF8' }, { locale: 'C.UTF-8' }, 'data-checksums'],
      ...(options.bootstrapMethod ?? {}),
    },
    postgresql: {
      listen: `127.0.0.1:${ports.postgres}`,
      connect_address: `127.0.0.1:${ports.postgres}`,
      data_dir: pgDataDir(options.dataDir, options.zone),
      bin_dir: POSTGRES_BIN_DIR,
      pgpass: join(dir, 'pgpass'),
      authentication: {
        superuser: { username: SUPERUSER, password: credentials.superuserPassword },
        replication: { username: REPLICATION_USER, password: credentials.replicationPassword },
        rewind: { username: REWIND_USER, password: credentials.rewindPassword },
      },
      parameters: {
        // The system PostgreSQL owns /var/run/postgresql; each zone keeps its socket in its own directory.
        // A list setting: a directory with spaces or commas must be double-quoted to stay one entry.
        unix_socket_directories: /[\s,"]/.test(dir) ? `"${dir.replace(/"/g, '""')}"` : dir,
        log_line_prefix: `%m ${options.zone} [%p] %q%u@%d `,
        ...(options.archive ?? {}),
      },
      pg_hba: pgHba(),
      basebackup: [{ checkpoint: 'fast' }],
      use_unix_socket: false,
      remove_data_directory_on_rewind_failure: true,
      remove_data_directory_on_diverged_timelines: true,
    },
    // No /dev/watchdog on this machine kind. A zero safety margin keeps Patroni 3.0 from warning on every
    // loop that a ttl of a few seconds leaves no room for the default 5 s margin; the watchdog itself stays off.
    watchdog: { mode: 'off', safety_margin: 0 },
    tags: { nofailover: false, noloadbalance: false, clonefrom: false, nosync: false },
  };
}

export function writePatroniConfiguration(options: ZoneOptions): string {
  const path = join(zoneDir(options.dataDir, options.zone), 'patroni.yml');
  writeFileSync(path, `${JSON.stringify(patroniConfiguration(options), null, 2)}\n`, { mode: 0o600 });
  return path;
}

/** The postmaster of a zone's data directory, if one runs (Patroni starts it detached from its own tree). */
export function postmasterPid(dataDir: string, zone: Zone): number | undefined {
  const pidFile = join(pgDataDir(dataDir, zone), 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  try {
    const lines = readFileSync(pidFile, 'utf8').split('\n');
    const pid = Number(lines[0]);
    if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
    if (!commandLine(pid).includes('postgres')) return undefined;
    // Line 3 is the postmaster's start time (epoch seconds). After a kill -9 the file stays behind, and its pid
    // may since belong to another PostgreSQL process (the other zone's backend): the start time tells them
    // apart, as Patroni itself checks.
    const startedAt = Number(lines[2]) * 1000;
    const actual = processStartTime(pid);
    if (Number.isFinite(startedAt) && startedAt > 0 && actual !== undefined && Math.abs(actual - startedAt) > 3000)
      return undefined;
    return pid;
  } catch {
    return undefined;
  }
}

export function zoneSpec(options: ZoneOptions, configPath: string): ComponentSpec {
  const dir = zoneDir(options.dataDir, options.zone);
  return {
    name: options.zone,
    command: '/usr/bin/patroni',
    args: [configPath],
    env: { PATH: `${POSTGRES_BIN_DIR}:/usr/bin:/bin`, HOME: dir, LANG: 'C.UTF-8', PYTHONUNBUFFERED: '1' },
    cwd: dir,
    account: options.account,
    restart: 'on-crash',
    readiness: () => httpOk(`${patroniUrl(options.ports.rest)}/patroni`),
    // Patroni stops PostgreSQL (fast mode) before exiting.
    stopTimeoutMs: 60_000,
    detachedPids: () => {
      const pid = postmasterPid(options.dataDir, options.zone);
      return pid === undefined ? [] : [pid];
    },
  };
}

/**
 * A postmaster left running by a platform that was killed (its Patroni gone): stopped with a fast
 * shutdown so that Patroni starts from a clean state.
 */
export async function stopOrphanPostmaster(dataDir: string, zone: Zone, log: (line: string) => void): Promise<void> {
  const pid = postmasterPid(dataDir, zone);
  if (pid === undefined) return;
  log(`${zone}: stopping PostgreSQL (pid ${pid}) left running by an earlier run`);
  signalAll([pid], 'SIGINT');
  if (await waitForExit([pid], 30_000)) return;
  const tree = processTree([pid]);
  signalAll(tree, 'SIGKILL');
  await waitForExit(tree, 10_000);
}

/**
 * A postmaster.pid naming a dead process is removed: after a zone is SIGKILLed its orphaned postmaster can
 * stay a zombie until init reaps it, and PostgreSQL would take the zombie for a running server.
 */
export function removeStalePostmasterPid(dataDir: string, zone: Zone): boolean {
  const pidFile = join(pgDataDir(dataDir, zone), 'postmaster.pid');
  if (!existsSync(pidFile) || postmasterPid(dataDir, zone) !== undefined) return false;
  rmSync(pidFile);
  return true;
}

export type MemberRole = 'leader' | 'sync_standby' | 'replica' | 'standby_leader';

export interface ClusterMember {
  readonly name: string;
  readonly role: MemberRole;
  readonly state: string;
  readonly timeline?: number;
  /** Bytes behind the leader; undefined for the leader or when Patroni does not know. */
  readonly lagBytes?: number;
}

export interface ClusterStatus {
  readonly members: readonly ClusterMember[];
  readonly leader?: Zone;
  readonly syncStandby?: Zone;
  readonly timeline?: number;
  /** A leader runs and the other zone is a synchronous standby that is streaming. */
  readonly inSync: boolean;
}

interface RawMember {
  name?: unknown;
  role?: unknown;
  state?: unknown;
  timeline?: unknown;
  lag?: unknown;
}

export function parseCluster(body: string): ClusterStatus {
  const parsed = JSON.parse(body) as { members?: RawMember[] };
  const members: ClusterMember[] = (parsed.members ?? []).map((raw) => ({
    name: String(raw.name),
    role: String(raw.role) as MemberRole,
    state: String(raw.state),
    ...(typeof raw.timeline === 'number' ? { timeline: raw.timeline } : {}),
    ...(typeof raw.lag === 'number' ? { lagBytes: raw.lag } : {}),
  }));
  const leaderMember = members.find((member) => member.role === 'leader' && member.state === 'running');
  const syncMember = members.find((member) => member.role === 'sync_standby');
  const leader = leaderMember !== undefined && isZone(leaderMember.name) ? leaderMember.name : undefined;
  const syncStandby = syncMember !== undefined && isZone(syncMember.name) ? syncMember.name : undefined;
  const inSync =
    leader !== undefined &&
    syncMember !== undefined &&
    (syncMember.state === 'running' || syncMember.state === 'streaming');
  return {
    members,
    ...(leader === undefined ? {} : { leader }),
    ...(syncStandby === undefined ? {} : { syncStandby }),
    ...(leaderMember?.timeline === undefined ? {} : { timeline: leaderMember.timeline }),
    inSync,
  };
}

/** The cluster as the first answering Patroni sees it. */
export async function clusterStatus(restUrls: readonly string[]): Promise<ClusterStatus> {
  const failures: string[] = [];
  for (const url of restUrls) {
    try {
      const answer = await httpRequest('GET', `${url}/cluster`, undefined, 1500);
      if (answer.status === 200) return parseCluster(answer.body);
      failures.push(`${url}: HTTP ${answer.status}`);
    } catch (error) {
      failures.push(`${url}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new Error(`no Patroni answered /cluster (${failures.join('; ')})`);
}

export async function waitForCluster(
  restUrls: readonly string[],
  condition: (status: ClusterStatus) => boolean,
  timeoutMs: number,
  what: string,
): Promise<ClusterStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: ClusterStatus | undefined;
  let lastError = '';
  for (;;) {
    try {
      last = await clusterStatus(restUrls);
      if (condition(last)) return last;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) {
      const seen = last === undefined ? lastError : JSON.stringify(last.members);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; cluster: ${seen}`);
    }
    await sleep(200);
  }
}

function differs(desired: unknown, current: unknown): boolean {
  if (typeof desired === 'object' && desired !== null) {
    if (typeof current !== 'object' || current === null) return true;
    const currentRecord = current as Record<string, unknown>;
    return Object.entries(desired).some(([key, value]) => differs(value, currentRecord[key]));
  }
  return String(desired) !== String(current);
}

/**
 * Bootstrap settings only reach a new cluster; an existing one gets the current timings and durability
 * through PATCH /config. Returns true when something changed.
 */
export async function applyDynamicConfiguration(restUrl: string, durability: Durability): Promise<boolean> {
  const desired = dynamicConfiguration(durability);
  const current = await httpRequest('GET', `${restUrl}/config`);
  if (current.status !== 200) throw new Error(`GET ${restUrl}/config: HTTP ${current.status}`);
  if (!differs(desired, JSON.parse(current.body))) return false;
  const patched = await httpRequest('PATCH', `${restUrl}/config`, desired, 5000);
  if (patched.status !== 200) throw new Error(`PATCH ${restUrl}/config: HTTP ${patched.status} ${patched.body}`);
  return true;
}
