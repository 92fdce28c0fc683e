// The platform CLI: `up` (foreground, or --detach; or a restored pair), `status`, `down`, `backup` and `measure`.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CONTROL_ACTIONS, sendControl, serveControl, type ControlAction } from './control';
import { MissingPackagesError, installPrerequisites } from './install';
import { formatMeasurements, measurePlatform } from './measure';
import { clusterStatus, type ClusterStatus, type Durability } from './patroni';
import {
  assertNotRunning,
  defaultDataDir,
  platformPidFile,
  readPlatformState,
  runningPlatformPid,
  startPlatform,
  type Platform,
  type PlatformEndpoints,
} from './platform';
import { deriveServiceCredential, SERVICE_PRINCIPALS } from '../../common/src/auth/service-identity';
import { backupInfo, STANZA, takeBackup, type BackupType, type RestoreSource } from './backup';
import { platformAccount } from './account';
import { booleanFlag, runCommand, stringFlag, UsageError, type CommandLine, type CommandShape } from './cli';
import { main as drillMain } from './drills/main';
import { formatEndpointLines } from './endpoint-lines';
import { loadOrCreateCredentials } from './secrets';
import { isAlive, sleep } from './proc';
import { PLATFORM_SERVICES, type PlatformServiceName, type ServiceRequest } from './services';

const CLI = 'npm run platform --';

const ENVIRONMENT = `environment: MCH_DATA_DIR (default .data/platform in the checkout), MCH_PORT_* (e.g. MCH_PORT_ETCD=2479),
  MCH_DURABILITY (available | strict), MCH_BACKUP_INTERVAL_HOURS, LOG_LEVEL`;

const UP_USAGE = `usage: ${CLI} up [--detach] [--strict] [--services a,b|none] [--free-ports]
       ${CLI} up --restore-from <data dir> --restore-to <time> [--free-ports]
  start the platform in the foreground (Ctrl-C stops it); data survives a restart
  --detach              start in the background and return once it is up
  --strict              strict durability: writes wait for the other zone
  --services a,b|none   which services to run (default: all that are built: ${PLATFORM_SERVICES.join(', ')})
  --free-ports          unused ports instead of the defaults (a second platform beside the first)
  --restore-from DIR    with --restore-to: a fresh pair (MCH_DATA_DIR must be new) restored from that platform's
  --restore-to TIME     backups to the time (ISO 8601); az-a is restored by pgBackRest, az-b clones it
  backups: a full one at first start and every MCH_BACKUP_INTERVAL_HOURS (24; 0 = off); retention
  MCH_BACKUP_RETENTION_FULL (2); archive timeout MCH_BACKUP_ARCHIVE_TIMEOUT s (30)
${ENVIRONMENT}`;

const STATUS_USAGE = `usage: ${CLI} status
  one line per endpoint of the running platform, "<name> <URL or host:port>" (gateway, each service, each
  metrics endpoint, etcd, Patroni, PostgreSQL, HAProxy, Redis, object stores), then the cluster state as
  lines starting with '#'; exit 3 when no platform runs on MCH_DATA_DIR`;

const DOWN_USAGE = `usage: ${CLI} down
  stop the platform running on MCH_DATA_DIR (started in the background or in another terminal)`;

const DRILL_TARGET_USAGE = {
  zone: `usage: ${CLI} zone kill|stop|start az-a|az-b
  on a running platform: kill = SIGKILL of the zone's Patroni, postmaster and children (stays down until
  'zone start'); stop = graceful`,
  objects: `usage: ${CLI} objects kill|stop|start az-a|az-b
  on a running platform: the zone's object store agent only (kill = SIGKILL, stays down until 'objects start')`,
  service: `usage: ${CLI} service kill|stop|start <name>
  on a running platform: kill = SIGKILL as in a crash (the supervisor restarts it); stop/start = graceful`,
} as const;

const MEASURE_USAGE = `usage: ${CLI} measure [--no-failover] [--services a,b] [--verbose]
  cold start, warm restart, memory, failover and rejoin on a throwaway platform (temp dir, free ports)`;

const BACKUP_USAGE = `usage: ${CLI} backup [full|diff|incr|info]
  a base backup of the running platform with pgBackRest (default full; WAL is archived continuously), or
  the list of backups (info)`;

const CREDENTIALS_USAGE = `usage: ${CLI} service-credentials
  print each service's MCH_SERVICE_CREDENTIAL_<NAME> derived from MCH_SERVICE_SECRET (for a Kubernetes
  Secret; identity gets MCH_SERVICE_SECRET itself)`;

const USAGE = `usage: ${CLI} <command> [options]      (each command: --help)
  up                   start the platform (foreground; --detach for background; --restore-from for PITR)
  status               every endpoint of the running platform, one "<name> <URL>" per line; cluster state
  down                 stop a running platform
  backup               take a backup or list them
  drill <name>         run a drill (zone loss, switchover, PITR…) on a throwaway platform; 'drill --help'
  zone | objects | service kill|stop|start <name>
                       fault injection on a running platform
  measure              start-up, memory and failover figures on a throwaway platform
  service-credentials  service credentials for a Kubernetes Secret
${ENVIRONMENT}`;

function progress(line: string): void {
  console.log(`[${new Date().toISOString().slice(11, 23)}] ${line}`);
}

function servicesFrom(value: string | undefined, usage: string): ServiceRequest[] | undefined {
  if (value === undefined) return undefined;
  if (value === 'none') return [];
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const unknown = names.filter((name) => !(PLATFORM_SERVICES as readonly string[]).includes(name));
  if (unknown.length > 0)
    throw new UsageError(
      `--services: unknown services ${unknown.join(', ')} (known: ${PLATFORM_SERVICES.join(', ')})`,
      usage,
    );
  return names as PlatformServiceName[];
}

function durabilityFrom(strict: boolean): Durability {
  if (strict) return 'strict';
  const fromEnv = process.env['MCH_DURABILITY'];
  if (fromEnv === undefined || fromEnv === '' || fromEnv === 'available') return 'available';
  if (fromEnv === 'strict') return 'strict';
  throw new Error(`MCH_DURABILITY=${fromEnv}: expected available or strict`);
}

function clusterLines(status: ClusterStatus): string[] {
  const primary =
    status.leader === undefined ? 'NONE (no leader)' : `${status.leader} (timeline ${status.timeline ?? '?'})`;
  const others = status.members.filter((member) => member.name !== status.leader);
  const standby =
    others.length === 0
      ? 'NONE — the other zone is down'
      : others
          .map((member) => {
            const sync = member.role === 'sync_standby' && (member.state === 'running' || member.state === 'streaming');
            return `${member.name} ${sync ? 'is the synchronous standby' : 'is NOT a synchronous standby'} (role ${member.role}, state ${member.state}, lag ${member.lagBytes ?? '?'} bytes)`;
          })
          .join('; ');
  return [`  primary      ${primary}`, `  standby      ${standby}`];
}

function summaryLines(endpoints: PlatformEndpoints, status: ClusterStatus): string[] {
  return [
    ...formatEndpointLines(endpoints).map((line) => `  ${line}`),
    ...clusterLines(status),
    `  durability   ${endpoints.durability}`,
    `  data dir     ${endpoints.dataDir} (passwords in secrets.json, logs in logs/)`,
  ];
}

const UP_SHAPE = {
  usage: UP_USAGE,
  options: {
    detach: { type: 'boolean' },
    strict: { type: 'boolean' },
    services: { type: 'string' },
    'free-ports': { type: 'boolean' },
    'restore-from': { type: 'string' },
    'restore-to': { type: 'string' },
  },
} as const;

async function up(args: readonly string[]): Promise<number> {
  return runCommand(args, UP_SHAPE, (line) => upParsed(line, args));
}

async function upParsed(line: CommandLine, args: readonly string[]): Promise<number> {
  const services = servicesFrom(stringFlag(line, 'services'), UP_USAGE);
  const restoreFrom = restoreSourceFrom(stringFlag(line, 'restore-from'), stringFlag(line, 'restore-to'));
  const durability = durabilityFrom(booleanFlag(line, 'strict'));
  // Before anything else: a second start on the same data dir changes nothing.
  assertNotRunning(defaultDataDir());
  try {
    installPrerequisites(progress);
  } catch (error) {
    if (error instanceof MissingPackagesError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
  if (booleanFlag(line, 'detach')) return upDetached(args);
  // A signal during start-up must not kill this process before it has stopped what it started.
  let stopRequested: NodeJS.Signals | undefined;
  const onEarlySignal = (signal: NodeJS.Signals): void => {
    stopRequested = signal;
    progress(`${signal}: will stop as soon as the current start-up step ends`);
  };
  process.on('SIGINT', onEarlySignal);
  process.on('SIGTERM', onEarlySignal);
  const platform = await startPlatform({
    durability,
    ...(services === undefined ? {} : { services }),
    ...(restoreFrom === undefined ? {} : { restoreFrom }),
    ...(booleanFlag(line, 'free-ports') ? { ports: 'free' as const } : {}),
    log: progress,
  });
  process.off('SIGINT', onEarlySignal);
  process.off('SIGTERM', onEarlySignal);
  const control = await serveControl(platform);
  const backups = scheduleBackups(platform, backupIntervalHours());
  if (stopRequested === undefined) {
    console.log(
      ['MCH Alliance platform is up', ...summaryLines(platform.endpoints, await platform.status())].join('\n'),
    );
    console.log('Ctrl-C stops it.');
  }
  // Keeps the event loop alive while the platform runs.
  const keepAlive = setInterval(() => undefined, 60_000);
  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      signals += 1;
      if (signals > 1) {
        progress(`${signal}: still stopping, please wait`);
        return;
      }
      progress(`${signal}: stopping the platform`);
      clearInterval(backups);
      control.close();
      platform.stop().then(
        () => {
          clearInterval(keepAlive);
          resolve(0);
        },
        (error: unknown) => {
          console.error(error);
          clearInterval(keepAlive);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    if (stopRequested !== undefined) onSignal(stopRequested);
  });
}

/** Starts `up` as a detached process logging to logs/platform.log and waits until it reports its endpoints. */
async function upDetached(args: readonly string[]): Promise<number> {
  const dataDir = defaultDataDir();
  const logPath = join(dataDir, 'logs', 'platform.log');
  mkdirSync(join(dataDir, 'logs'), { recursive: true });
  const out = openSync(logPath, 'a');
  const child = spawn(process.execPath, [__filename, 'up', ...args.filter((arg) => arg !== '--detach')], {
    detached: true,
    stdio: ['ignore', out, out],
    env: process.env,
  });
  closeSync(out);
  child.unref();
  const pid = child.pid ?? 0;
  progress(`platform starting in the background (pid ${pid}); log: ${logPath}`);
  const deadline = Date.now() + 600_000;
  for (;;) {
    const endpoints = readPlatformState(dataDir);
    if (endpoints !== undefined && endpoints.pid === pid && isAlive(pid)) {
      const status = await clusterStatus(Object.values(endpoints.patroniUrls));
      console.log(['MCH Alliance platform is up (background)', ...summaryLines(endpoints, status)].join('\n'));
      console.log(`stop it with: ${CLI} down`);
      return 0;
    }
    if (!isAlive(pid) || Date.now() > deadline) {
      const tail = existsSync(logPath) ? readFileSync(logPath, 'utf8').split('\n').slice(-30).join('\n') : '';
      console.error(`platform did not come up; last lines of ${logPath}:\n${tail}`);
      return 1;
    }
    await sleep(500);
  }
}

async function status(): Promise<number> {
  const dataDir = defaultDataDir();
  const endpoints = readPlatformState(dataDir);
  const pid = runningPlatformPid(dataDir);
  if (endpoints === undefined || pid === undefined || endpoints.pid !== pid) {
    console.error(`no platform is running on ${dataDir}`);
    return 3;
  }
  const cluster = await clusterStatus(Object.values(endpoints.patroniUrls));
  console.log(formatEndpointLines(endpoints).join('\n'));
  console.log(`# platform pid ${pid}, durability ${endpoints.durability}, data dir ${dataDir}`);
  for (const line of clusterLines(cluster)) console.log(`#${line}`);
  for (const member of cluster.members) {
    console.log(
      `#   ${member.name.padEnd(6)} ${member.role.padEnd(13)} ${member.state.padEnd(10)} timeline ${member.timeline ?? '-'}  lag ${member.lagBytes ?? '-'}`,
    );
  }
  return 0;
}

async function down(): Promise<number> {
  const dataDir = defaultDataDir();
  const pid = runningPlatformPid(dataDir);
  if (pid === undefined) {
    console.log(`no platform is running on ${dataDir} (${platformPidFile(dataDir)})`);
    return 0;
  }
  progress(`stopping platform pid ${pid}`);
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 300_000;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      console.error(`platform pid ${pid} still running after 300 s`);
      return 1;
    }
    await sleep(200);
  }
  progress('platform stopped');
  return 0;
}

async function fault(target: 'zone' | 'service' | 'objects', line: CommandLine): Promise<number> {
  const [action, name] = line.positionals as [string, string];
  if (!(CONTROL_ACTIONS as readonly string[]).includes(action)) {
    throw new UsageError(
      `${target} ${action}: expected one of ${CONTROL_ACTIONS.join(', ')}`,
      DRILL_TARGET_USAGE[target],
    );
  }
  const dataDir = defaultDataDir();
  if (runningPlatformPid(dataDir) === undefined) {
    console.error(`no platform is running on ${dataDir}`);
    return 3;
  }
  const answer = await sendControl(dataDir, { target, action: action as ControlAction, name });
  (answer.ok ? console.log : console.error)(answer.message);
  return answer.ok ? 0 : 1;
}

async function measure(line: CommandLine): Promise<number> {
  const services = servicesFrom(stringFlag(line, 'services'), MEASURE_USAGE);
  progress('measuring on a throwaway platform (fresh temp dir, free ports)');
  const figures = await measurePlatform({
    withFailover: !booleanFlag(line, 'no-failover'),
    ...(services === undefined ? {} : { services }),
    log: booleanFlag(line, 'verbose') ? progress : () => undefined,
  });
  console.log(formatMeasurements(figures));
  return 0;
}

function restoreSourceFrom(from: string | undefined, to: string | undefined): RestoreSource | undefined {
  if (from === undefined && to === undefined) return undefined;
  if (from === undefined || to === undefined)
    throw new UsageError('--restore-from <data dir> and --restore-to <time> go together', UP_USAGE);
  const target = new Date(to);
  if (Number.isNaN(target.getTime()))
    throw new UsageError(`--restore-to ${to}: not a time (use ISO 8601, e.g. 2026-11-25T20:15:40Z)`, UP_USAGE);
  return { dataDir: resolve(from), target };
}

function backupIntervalHours(): number {
  const raw = process.env['MCH_BACKUP_INTERVAL_HOURS'] ?? '24';
  const hours = Number(raw);
  if (!Number.isFinite(hours) || hours < 0)
    throw new Error(`MCH_BACKUP_INTERVAL_HOURS must be a number of hours >= 0, not ${raw}`);
  return hours;
}

/** A full backup now when the repository holds none, then one every `hours` (0: only on demand). */
function scheduleBackups(platform: Platform, hours: number): NodeJS.Timeout | undefined {
  if (hours === 0) return undefined;
  const run = (reason: string): void => {
    platform.backup('full').then(
      (backup) => progress(`backup ${backup.label ?? ''} (${reason}) done in ${(backup.ms / 1000).toFixed(1)} s`),
      (error: unknown) =>
        progress(`backup (${reason}) failed: ${error instanceof Error ? error.message : String(error)}`),
    );
  };
  platform.backupInfo().then(
    (info) => {
      if (info.backups.length === 0) run('first');
    },
    (error: unknown) => progress(`backup info failed: ${error instanceof Error ? error.message : String(error)}`),
  );
  const timer = setInterval(() => run('scheduled'), hours * 3_600_000);
  timer.unref();
  return timer;
}

async function backupCommand(line: CommandLine): Promise<number> {
  const kind = line.positionals[0] ?? 'full';
  if (!['full', 'diff', 'incr', 'info'].includes(kind))
    throw new UsageError(`backup ${kind}: expected full, diff, incr or info`, BACKUP_USAGE);
  const dataDir = defaultDataDir();
  const account = platformAccount(() => undefined);
  const credentials = loadOrCreateCredentials(dataDir);
  if (kind === 'info') {
    const info = await backupInfo(dataDir, account, credentials);
    console.log(`stanza ${STANZA}: ${info.status}; WAL archive ${info.archiveMin ?? '-'} .. ${info.archiveMax ?? '-'}`);
    for (const backup of info.backups) {
      console.log(
        `${backup.label}  ${backup.type.padEnd(5)} ${backup.startedAt.toISOString()} .. ${backup.stoppedAt.toISOString()}  database ${(backup.databaseBytes / 1e6).toFixed(1)} MB, repository ${(backup.repositoryBytes / 1e6).toFixed(1)} MB`,
      );
    }
    return 0;
  }
  const type = kind as BackupType;
  const run = await takeBackup(dataDir, account, credentials, type);
  console.log(`backup ${run.label ?? '?'} (${type}) in ${(run.ms / 1000).toFixed(1)} s`);
  return 0;
}

function serviceCredentials(): number {
  const secret = process.env['MCH_SERVICE_SECRET'];
  if (!secret) {
    console.error('MCH_SERVICE_SECRET is not set (generate one: openssl rand -base64 32)');
    return 2;
  }
  for (const name of SERVICE_PRINCIPALS) {
    if (name !== 'identity')
      console.log(`MCH_SERVICE_CREDENTIAL_${name.toUpperCase()}=${deriveServiceCredential(secret, name)}`);
  }
  return 0;
}

/** The command line: `npm run platform -- <command> [options]`; every command takes --help. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...args] = argv;
  const faultShape = (target: keyof typeof DRILL_TARGET_USAGE): CommandShape => ({
    usage: DRILL_TARGET_USAGE[target],
    positionals: { min: 2, max: 2 },
  });
  switch (command) {
    case 'up':
      return up(args);
    case 'status':
      return runCommand(args, { usage: STATUS_USAGE }, status);
    case 'down':
      return runCommand(args, { usage: DOWN_USAGE }, down);
    case 'zone':
    case 'service':
    case 'objects':
      return runCommand(args, faultShape(command), (line) => fault(command, line));
    case 'measure':
      return runCommand(
        args,
        {
          usage: MEASURE_USAGE,
          options: { 'no-failover': { type: 'boolean' }, services: { type: 'string' }, verbose: { type: 'boolean' } },
        },
        measure,
      );
    case 'backup':
      return runCommand(args, { usage: BACKUP_USAGE, positionals: { min: 0, max: 1 } }, backupCommand);
    case 'drill':
      return drillMain(args);
    case 'service-credentials':
      return runCommand(args, { usage: CREDENTIALS_USAGE }, serviceCredentials);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    default:
      console.error(`unknown command ${JSON.stringify(command)}\n${USAGE}`);
      return 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      // A second start on a running data dir, a missing package, a bad setting: the message, not a stack.
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
