// The platform CLI: `up` (foreground, or --detach; or a restored pair), `status`, `down`, `backup` and `measure`.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CONTROL_ACTIONS, sendControl, serveControl, type ControlAction } from './control';
import { MissingPackagesError, installPrerequisites } from './install';
import { formatMeasurements, measurePlatform } from './measure';
import { clusterStatus, type ClusterStatus, type Durability } from './patroni';
import {
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
import { loadOrCreateCredentials } from './secrets';
import { isAlive, sleep } from './proc';
import { PLATFORM_SERVICES, type PlatformServiceName, type ServiceRequest } from './services';

const USAGE = `usage: node dist/services/platform/src/main.js <command> [options]
  up        start the platform in the foreground (Ctrl-C stops it)
            --detach            start in the background and return once it is up
            --strict            strict durability: writes wait for the other zone
            --services a,b|none which services to run (default: all that are built)
            --free-ports        unused ports instead of the defaults (a second platform beside the first)
  status    print the cluster state of a running platform
  down      stop a platform started in the background
  zone kill|stop|start az-a|az-b
            drill on a running platform: kill = SIGKILL of the zone's Patroni, postmaster and children
            (stays down until 'zone start'); stop = graceful
  service kill|stop|start <name>
            kill = SIGKILL as in a crash (the supervisor restarts it); stop/start = graceful
  measure   cold start, warm restart, memory, failover and rejoin on a throwaway platform
            --no-failover       skip the zone-loss drill
  backup [full|diff|incr|info]
            a base backup of the running platform with pgBackRest (WAL is archived continuously), or the
            list of backups; 'up' takes one at first start and every MCH_BACKUP_INTERVAL_HOURS (24; 0 = off)
            retention: MCH_BACKUP_RETENTION_FULL full backups (2); archive timeout MCH_BACKUP_ARCHIVE_TIMEOUT s (30)
  up --restore-from <data dir> --restore-to <time>
            start a fresh pair (MCH_DATA_DIR must be new) restored from that platform's backups to the time
            (ISO 8601); az-a is restored and promoted by Patroni's pgBackRest bootstrap, az-b clones it
  service-credentials
            print each service's MCH_SERVICE_CREDENTIAL_<NAME> derived from MCH_SERVICE_SECRET (for a
            Kubernetes Secret; identity gets MCH_SERVICE_SECRET itself)
environment: MCH_DATA_DIR (default .data/platform), MCH_PORT_* (e.g. MCH_PORT_ETCD=2479), MCH_DURABILITY, LOG_LEVEL`;

function progress(line: string): void {
  console.log(`[${new Date().toISOString().slice(11, 23)}] ${line}`);
}

function hasFlag(args: readonly string[], flag: string): boolean {
  return args.includes(flag);
}

function flagValue(args: readonly string[], flag: string): string | undefined {
  const index = args.indexOf(flag);
  return index >= 0 ? args[index + 1] : undefined;
}

function servicesFrom(args: readonly string[]): ServiceRequest[] | undefined {
  const value = flagValue(args, '--services');
  if (value === undefined) return undefined;
  if (value === 'none') return [];
  const names = value.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = names.filter((name) => !(PLATFORM_SERVICES as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`unknown services: ${unknown.join(', ')} (known: ${PLATFORM_SERVICES.join(', ')})`);
  return names as PlatformServiceName[];
}

function durabilityFrom(args: readonly string[]): Durability {
  if (hasFlag(args, '--strict')) return 'strict';
  const fromEnv = process.env['MCH_DURABILITY'];
  if (fromEnv === undefined || fromEnv === '' || fromEnv === 'available') return 'available';
  if (fromEnv === 'strict') return 'strict';
  throw new Error(`MCH_DURABILITY=${fromEnv}: expected available or strict`);
}

const mask = (url: string): string => url.replace(/:[^:@/]+@/, ':***@');

function clusterLines(status: ClusterStatus): string[] {
  const primary = status.leader === undefined ? 'NONE (no leader)' : `${status.leader} (timeline ${status.timeline ?? '?'})`;
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
  const services = Object.entries(endpoints.serviceAddresses);
  const gatewayRunning = 'gateway' in endpoints.serviceAddresses;
  return [
    `  gateway      ${endpoints.gatewayUrl}${gatewayRunning ? '' : ' (not running)'}`,
    ...clusterLines(status),
    `  read-write   ${mask(endpoints.rwUrl)}`,
    `  read-only    ${mask(endpoints.roUrl)}`,
    `  redis        ${endpoints.redisUrl}`,
    `  etcd         ${endpoints.etcdUrl}`,
    `  patroni      az-a ${endpoints.patroniUrls['az-a']}, az-b ${endpoints.patroniUrls['az-b']}`,
    `  haproxy      ${endpoints.haproxyStatsUrl} (stats)`,
    `  services     ${services.length === 0 ? 'none' : services.map(([name, address]) => `${name} ${address}`).join(', ')}`,
    `  durability   ${endpoints.durability}`,
    `  data dir     ${endpoints.dataDir} (full URLs in platform.json, passwords in secrets.json, logs in logs/)`,
  ];
}

async function up(args: readonly string[]): Promise<number> {
  try {
    installPrerequisites(progress);
  } catch (error) {
    if (error instanceof MissingPackagesError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
  if (hasFlag(args, '--detach')) return upDetached(args);
  const services = servicesFrom(args);
  // A signal during start-up must not kill this process before it has stopped what it started.
  let stopRequested: NodeJS.Signals | undefined;
  const onEarlySignal = (signal: NodeJS.Signals): void => {
    stopRequested = signal;
    progress(`${signal}: will stop as soon as the current start-up step ends`);
  };
  process.on('SIGINT', onEarlySignal);
  process.on('SIGTERM', onEarlySignal);
  const restoreFrom = restoreSourceFrom(args);
  const platform = await startPlatform({
    durability: durabilityFrom(args),
    ...(services === undefined ? {} : { services }),
    ...(restoreFrom === undefined ? {} : { restoreFrom }),
    ...(hasFlag(args, '--free-ports') ? { ports: 'free' as const } : {}),
    log: progress,
  });
  process.off('SIGINT', onEarlySignal);
  process.off('SIGTERM', onEarlySignal);
  const control = await serveControl(platform);
  const backups = scheduleBackups(platform, backupIntervalHours());
  if (stopRequested === undefined) {
    console.log(['MCH Alliance platform is up', ...summaryLines(platform.endpoints, await platform.status())].join('\n'));
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
  const already = runningPlatformPid(dataDir);
  if (already !== undefined) {
    console.error(`a platform is already running on ${dataDir} (pid ${already})`);
    return 1;
  }
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
      console.log('stop it with: node dist/services/platform/src/main.js down');
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
    console.log(`no platform is running on ${dataDir}`);
    return 3;
  }
  const cluster = await clusterStatus(Object.values(endpoints.patroniUrls));
  console.log([`MCH Alliance platform (pid ${pid})`, ...summaryLines(endpoints, cluster)].join('\n'));
  console.log('  members');
  for (const member of cluster.members) {
    console.log(`    ${member.name.padEnd(6)} ${member.role.padEnd(13)} ${member.state.padEnd(10)} timeline ${member.timeline ?? '-'}  lag ${member.lagBytes ?? '-'}`);
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

async function drill(target: 'zone' | 'service', args: readonly string[]): Promise<number> {
  const [action, name] = args;
  if (action === undefined || name === undefined || !(CONTROL_ACTIONS as readonly string[]).includes(action)) {
    console.error(USAGE);
    return 2;
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

async function measure(args: readonly string[]): Promise<number> {
  const services = servicesFrom(args);
  progress('measuring on a throwaway platform (fresh temp dir, free ports)');
  const figures = await measurePlatform({
    withFailover: !hasFlag(args, '--no-failover'),
    ...(services === undefined ? {} : { services }),
    log: hasFlag(args, '--verbose') ? progress : () => undefined,
  });
  console.log(formatMeasurements(figures));
  return 0;
}

function restoreSourceFrom(args: readonly string[]): RestoreSource | undefined {
  const from = flagValue(args, '--restore-from');
  const to = flagValue(args, '--restore-to');
  if (from === undefined && to === undefined) return undefined;
  if (from === undefined || to === undefined) throw new Error('--restore-from <data dir> and --restore-to <time> go together');
  const target = new Date(to);
  if (Number.isNaN(target.getTime())) throw new Error(`--restore-to ${to}: not a time (use ISO 8601, e.g. 2026-11-25T20:15:40Z)`);
  return { dataDir: resolve(from), target };
}

function backupIntervalHours(): number {
  const raw = process.env['MCH_BACKUP_INTERVAL_HOURS'] ?? '24';
  const hours = Number(raw);
  if (!Number.isFinite(hours) || hours < 0) throw new Error(`MCH_BACKUP_INTERVAL_HOURS must be a number of hours >= 0, not ${raw}`);
  return hours;
}

/** A full backup now when the repository holds none, then one every `hours` (0: only on demand). */
function scheduleBackups(platform: Platform, hours: number): NodeJS.Timeout | undefined {
  if (hours === 0) return undefined;
  const run = (reason: string): void => {
    platform.backup('full').then(
      (backup) => progress(`backup ${backup.label ?? ''} (${reason}) done in ${(backup.ms / 1000).toFixed(1)} s`),
      (error: unknown) => progress(`backup (${reason}) failed: ${error instanceof Error ? error.message : String(error)}`),
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

async function backupCommand(args: readonly string[]): Promise<number> {
  const dataDir = defaultDataDir();
  const account = platformAccount(() => undefined);
  const credentials = loadOrCreateCredentials(dataDir);
  if (args[0] === 'info') {
    const info = await backupInfo(dataDir, account, credentials);
    console.log(`stanza ${STANZA}: ${info.status}; WAL archive ${info.archiveMin ?? '-'} .. ${info.archiveMax ?? '-'}`);
    for (const backup of info.backups) {
      console.log(
        `${backup.label}  ${backup.type.padEnd(5)} ${backup.startedAt.toISOString()} .. ${backup.stoppedAt.toISOString()}  database ${(backup.databaseBytes / 1e6).toFixed(1)} MB, repository ${(backup.repositoryBytes / 1e6).toFixed(1)} MB`,
      );
    }
    return 0;
  }
  const type = (args[0] ?? 'full') as BackupType;
  if (!['full', 'diff', 'incr'].includes(type)) {
    console.error(`backup ${type}: expected full, diff, incr or info`);
    return 2;
  }
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
    if (name !== 'identity') console.log(`MCH_SERVICE_CREDENTIAL_${name.toUpperCase()}=${deriveServiceCredential(secret, name)}`);
  }
  return 0;
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'up':
      return up(args);
    case 'status':
      return status();
    case 'down':
      return down();
    case 'zone':
      return drill('zone', args);
    case 'service':
      return drill('service', args);
    case 'measure':
      return measure(args);
    case 'backup':
      return backupCommand(args);
    case 'service-credentials':
      return serviceCredentials();
    default:
      console.error(USAGE);
      return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
