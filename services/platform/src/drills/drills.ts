// The zone-loss drills of issue "Zone-loss safety": each runs on a throwaway platform of its own, under real
// writers through the gateway, and returns its figures, its ledger check and the expectations it broke.
import { randomInt, randomUUID } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { drillRejoin } from '../failover';
import { HA_TIMINGS, otherZone, waitForCluster, type ClusterStatus, type Durability, type Zone } from '../patroni';
import { startPlatform, type Platform } from '../platform';
import { sleep } from '../proc';
import type { ServiceRequest } from '../services';
import { describeOutcome, keepAliveAgent, send, type HttpOutcome } from './http';
import { longestWriteGapMs, median, percentile } from './ledger';
import {
  DEFAULT_CLIENT_POLICY,
  drillNamePrefix,
  InstitutionReads,
  newRegistration,
  RegistrationLoad,
  StaffSessions,
  type ClientPolicy,
} from './load';
import { ObjectLoad, type ObjectLedgerSummary } from './objects';
import { rejoinPhases, type RejoinPhases } from './rejoin-phases';
import { isExposed, isSynchronous, ReplicationWatch } from './replication-watch';
import { serviceEvents, type ServiceEvents } from './service-events';
import { rideThrough } from './ride-through';
import { settingsInForce, type SettingsInForce } from './settings';
import { checkOnPrimary, checkOnStandby, storedElements, waitForReplay, type LedgerSummary } from './verify';

export const DRILLS = [
  'zone-loss',
  'standby-loss',
  'switchover',
  'redis-loss',
  'repeated-zone-loss',
  'cancelled-commit',
  'ride-through',
] as const;
export type DrillName = (typeof DRILLS)[number];

export interface DrillOptions {
  readonly writers: number;
  /** Load kept after the fault before the repair step (restart, end of the run); per drill, see DRILLS.md. */
  readonly seconds?: number;
  /** Load before the fault. */
  readonly warmupSeconds: number;
  /** repeated-zone-loss: how many zone losses. */
  readonly kills: number;
  readonly readers: number;
  readonly services: readonly ServiceRequest[];
  readonly policy: ClientPolicy;
  /** Progress of the drill. */
  readonly log: (line: string) => void;
  /** The platform's own log lines (quiet unless asked for). */
  readonly platformLog: (line: string) => void;
  /** Keep the throwaway data dir (logs of every component) instead of removing it. */
  readonly keepData?: boolean;
  /** Availability versus durability while a zone is down (DESIGN.md): `available` (the default) or `strict`. */
  readonly durability?: Durability;
  /** ride-through: live SSE subscribers of one consultation thread. */
  readonly subscribers?: number;
}

export const DEFAULT_DRILL_OPTIONS: DrillOptions = {
  writers: 50,
  warmupSeconds: 5,
  kills: 20,
  readers: 20,
  services: ['identity', 'replication', 'gateway'],
  policy: DEFAULT_CLIENT_POLICY,
  log: () => undefined,
  platformLog: () => undefined,
};

/** What every drill reports besides its own figures. */
export interface DrillReport {
  readonly drill: DrillName;
  readonly settings: SettingsInForce;
  readonly startedAt: string;
  readonly durationMs: number;
  /** Expectations the run broke (a lost or duplicated write, a failed request, a heard success): none is a pass. */
  readonly problems: readonly string[];
  /** Crashes and outside shutdowns of the application services during the run, from their logs. */
  readonly services: readonly ServiceEvents[];
  /** What deserves attention without breaking the drill's expectations (a service crash, outside interference). */
  readonly warnings: readonly string[];
}

export interface ZoneLossCycle {
  readonly killedZone: Zone;
  readonly newLeader: Zone;
  readonly killedProcesses: number;
  /** Kill → Patroni's /cluster names the other zone running leader. */
  readonly leaderAfterMs: number;
  /** Kill → first acknowledgement of a write that started after the kill. */
  readonly firstAckAfterKillMs: number;
  /** The longest stretch without any acknowledged write, from 1 s before the kill to the restart. */
  readonly writeGapMs: number;
  /** Time the surviving primary took writes with no synchronous standby (from its pg_stat_replication). */
  readonly exposedMs: number;
  /** Restart of the lost zone → Patroni shows it as a streaming synchronous standby. */
  readonly rejoinMs: number;
  /** Restart → the primary's pg_stat_replication shows it streaming with sync_state 'sync'. */
  readonly syncStreamingAfterRestartMs: number;
  /** The longest write gap from the restart until 1 s after it was in sync (rejoin must not stall writes). */
  readonly rejoinWriteGapMs: number;
  /** Where the rejoin spent its time, from the zone's log. */
  readonly rejoinPhases: RejoinPhases;
}

export interface ZoneLossReport extends DrillReport {
  readonly finalCluster: FinalCluster;
  readonly cycle: ZoneLossCycle;
  readonly ledger: LedgerSummary;
  readonly standbyLedger: LedgerSummary;
  /** Objects uploaded and read through the lost zone's loss (its store agent dies with it); absent without the replication service. */
  readonly objects?: ObjectLedgerSummary;
}

export interface RepeatedZoneLossReport extends DrillReport {
  readonly finalCluster: FinalCluster;
  readonly cycles: readonly ZoneLossCycle[];
  readonly completedKills: number;
  readonly requestedKills: number;
  readonly writeGapMs: Distribution;
  readonly leaderAfterMs: Distribution;
  readonly rejoinMs: Distribution;
  readonly ledger: LedgerSummary;
  readonly standbyLedger: LedgerSummary;
}

export interface StandbyLossReport extends DrillReport {
  readonly finalCluster: FinalCluster;
  readonly primary: Zone;
  readonly killedZone: Zone;
  /** The longest stretch without an acknowledged write, from 1 s before the kill to the restart. */
  readonly writeGapMs: number;
  /** Kill → the primary's synchronous_standby_names empty (Patroni released the commits waiting for it). */
  readonly stallUntilExposedMs: number;
  /** Kill → Patroni's /cluster no longer names a synchronous standby. */
  readonly patroniNoSyncAfterMs?: number;
  /** The primary took writes with no synchronous standby: from its release to sync again after the restart. */
  readonly exposedMs: number;
  readonly exposedSampledMs: number;
  readonly rejoinMs: number;
  readonly syncStreamingAfterRestartMs: number;
  readonly rejoinPhases: RejoinPhases;
  readonly ledger: LedgerSummary;
  readonly standbyLedger: LedgerSummary;
}

export interface SwitchoverReport extends DrillReport {
  readonly finalCluster: FinalCluster;
  readonly from: Zone;
  readonly to: Zone;
  readonly apiMs: number;
  readonly patroniMessage: string;
  /** Request → Patroni's /cluster names the candidate running leader. */
  readonly leaderAfterMs: number;
  /** Request → the old primary is the streaming synchronous standby (Patroni). */
  readonly syncAgainAfterMs: number;
  readonly writeGapMs: number;
  readonly exposedMs: number;
  readonly ledger: LedgerSummary;
  readonly standbyLedger: LedgerSummary;
}

export interface LatencyFigures {
  readonly requests: number;
  readonly failed: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly failures: Readonly<Record<string, number>>;
}

export interface RedisLossReport extends DrillReport {
  readonly readers: number;
  readonly reads: { readonly before: LatencyFigures; readonly down: LatencyFigures; readonly after: LatencyFigures };
  readonly writes: { readonly before: LatencyFigures; readonly down: LatencyFigures; readonly after: LatencyFigures };
  readonly redisKilledProcesses: number;
  readonly downMs: number;
  readonly ledger: LedgerSummary;
}

/** What a client heard. */
export interface Heard {
  readonly outcome: string;
  readonly status?: number;
  readonly body: string;
  /** From sending the request. */
  readonly ms: number;
  /** From the freeze. */
  readonly afterFreezeMs: number;
  /** Heard while the primary still required the frozen standby (synchronous_standby_names named it). */
  readonly beforeStandbyDropped: boolean;
}

export interface CancelledCommitRound {
  readonly label: string;
  readonly withIdempotencyKey: boolean;
  /** Freeze → the registration's COMMIT seen waiting (wait_event SyncRep) → pg_cancel_backend. */
  readonly waitSeenAfterMs: number;
  readonly cancelledAfterMs: number;
  readonly cancelled: boolean;
  readonly heard: Heard;
  /** A retry with the same key while the standby is still frozen (what a client following the rules does next). */
  readonly retryWhileFrozen?: Heard;
  /** Freeze → Patroni dropped the frozen standby from synchronous_standby_names (exposed mode begins), if it did. */
  readonly standbyDroppedAfterMs?: number;
  /** The primary's synchronous_standby_names during the round: `+ms value` from the freeze. */
  readonly synchronousStandbyNames: readonly string[];
  readonly rowOnPrimary: boolean;
  /** After SIGCONT and catch-up. */
  readonly rowOnStandby: boolean;
  /** SIGCONT → streaming synchronous standby again (pg_stat_replication). */
  readonly syncAgainAfterThawMs: number;
}

export interface CancelledCommitReport extends DrillReport {
  readonly primary: Zone;
  readonly frozenZone: Zone;
  readonly rounds: readonly CancelledCommitRound[];
}

export interface Distribution {
  readonly count: number;
  readonly median: number;
  readonly p90: number;
  readonly max: number;
  readonly min: number;
}

export function distribution(values: readonly number[]): Distribution {
  return {
    count: values.length,
    median: median(values),
    p90: percentile(values, 90),
    max: values.length === 0 ? NaN : Math.max(...values),
    min: values.length === 0 ? NaN : Math.min(...values),
  };
}

export interface DrillContext {
  readonly platform: Platform;
  readonly options: DrillOptions;
  readonly settings: SettingsInForce;
  readonly startedAt: number;
  /** Always present even without --verbose, for a post-mortem with --keep-data. */
  readonly platformLogFile: string;
}

/** A fresh platform on free ports in a temporary directory, stopped and removed whatever happens. */
export async function onThrowawayPlatform<T>(
  options: DrillOptions,
  run: (context: DrillContext) => Promise<T>,
): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mch-drill-'));
  const startedAt = Date.now();
  const platformLogFile = join(dataDir, 'drill-platform.log');
  const platformLog = (line: string): void => {
    appendFileSync(platformLogFile, `${new Date().toISOString()} ${line}\n`);
    options.platformLog(line);
  };
  let platform: Platform | undefined;
  try {
    options.log(
      `starting a throwaway platform in ${dataDir} (services: ${options.services.map((s) => (typeof s === 'string' ? s : s.name)).join(', ')})`,
    );
    platform = await startPlatform({
      dataDir,
      ports: 'free',
      durability: options.durability ?? 'available',
      services: options.services,
      log: platformLog,
    });
    const status = await platform.waitForSync();
    options.log(
      `platform up in ${((Date.now() - startedAt) / 1000).toFixed(1)} s: leader ${status.leader ?? '?'}, sync standby ${status.syncStandby ?? 'none'}`,
    );
    const settings = await settingsInForce(platform, options.policy, options.writers);
    return await run({ platform, options, settings, startedAt: Date.now(), platformLogFile });
  } finally {
    if (platform !== undefined) {
      options.log('stopping the throwaway platform');
      await platform.stop().catch((error: unknown) => options.log(`stop failed: ${String(error)}`));
    }
    if (options.keepData === true) options.log(`data dir kept: ${dataDir} (logs in ${join(dataDir, 'logs')})`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
}

export function base(drill: DrillName, context: DrillContext, problems: string[]): DrillReport {
  const services = Object.keys(context.platform.serviceAddresses).map((name) =>
    serviceEvents(context.platform.logDir, name, context.startedAt, Date.now()),
  );
  const warnings: string[] = [];
  for (const events of services) {
    if (events.crashes > 0)
      warnings.push(
        `${events.service} crashed ${events.crashes} times during the drill (${events.unhandledErrorEvents} on an unhandled 'error' event); the supervisor restarted it`,
      );
    if (events.unhandledRejections > 0)
      warnings.push(`${events.service} logged ${events.unhandledRejections} unhandled rejections`);
    if (events.outsideShutdowns > 0) {
      warnings.push(
        `${events.service} was shut down ${events.outsideShutdowns} times by a SIGTERM/SIGINT the drill did not send: something else on this machine signals it — the run's timings are not representative`,
      );
    }
  }
  return {
    drill,
    settings: context.settings,
    startedAt: new Date(context.startedAt).toISOString(),
    durationMs: Date.now() - context.startedAt,
    problems,
    services,
    warnings,
  };
}

export function ledgerProblems(summary: LedgerSummary, problems: string[]): void {
  const where = summary.checkedOn;
  if (summary.lost > 0) problems.push(`${summary.lost} acknowledged writes lost on ${where}`);
  if (summary.duplicated > 0) problems.push(`${summary.duplicated} writes duplicated on ${where}`);
  if (summary.unexpected > 0) problems.push(`${summary.unexpected} rows nobody attempted on ${where}`);
  if (summary.failedButPresent > 0) problems.push(`${summary.failedButPresent} refused writes present on ${where}`);
}

/**
 * One zone loss under a running load: kill the primary zone, wait for writes, restart it, wait for sync.
 *
 * A zone fails at any moment, so the kill lands at a random point of Patroni's loop (loop_wait). Without the
 * random pause every kill fell at the same point: the previous cycle ends when the leader's HA loop has made the
 * restarted zone synchronous again, and the 1 s pause after it equals loop_wait, so the kill came right at the
 * leader's next lease refresh — mostly just after it (the slowest failover: ttl + etcd's 0.5 s expiry sweep),
 * otherwise just before — instead of a fair draw of ttl − U(0, loop_wait) + U(0, 0.5 s).
 */
async function loseLeaderZone(
  platform: Platform,
  load: RegistrationLoad,
  watch: ReplicationWatch,
  afterSeconds: number,
  loopWaitSeconds: number,
  log: (line: string) => void,
): Promise<ZoneLossCycle> {
  await sleep(randomInt(Math.max(1, Math.round(loopWaitSeconds * 1000))));
  const before = await platform.waitForSync();
  const victim = before.leader as Zone;
  const survivor = otherZone(victim);
  const killAt = Date.now();
  const killed = await platform.killZone(victim);
  log(`kill -9 of ${victim} (the primary, ${killed.length} processes)`);
  // The zone's object store goes with it.
  const hasObjectStore = platform.objectStores[victim] !== undefined;
  if (hasObjectStore)
    log(`kill -9 of ${victim}'s object store agent (${(await platform.killObjectStore(victim)).length} processes)`);
  let leading: ClusterStatus;
  let leaderAt: number;
  let firstAck: number;
  try {
    leading = await waitForCluster(
      Object.values(platform.patroniUrls),
      (s) => s.leader === survivor,
      60_000,
      `${survivor} to lead`,
    );
    leaderAt = Date.now();
    log(`${survivor} leads after ${leaderAt - killAt} ms`);
    firstAck = await load.waitForAcknowledgementAfter(killAt, 120_000);
  } catch (error) {
    // Bring the lost zone back anyway, so that the ledger can still be checked on both zones.
    log(`${error instanceof Error ? error.message : String(error)}; restarting ${victim} to check the ledger`);
    await platform.startZone(victim).catch(() => undefined);
    if (hasObjectStore) await platform.startObjectStore(victim).catch(() => undefined);
    throw error;
  }
  const leaderAfterMs = leaderAt - killAt;
  log(`first write started after the kill acknowledged at +${firstAck - killAt} ms`);
  await sleep(afterSeconds * 1000);
  const restartAt = Date.now();
  if (hasObjectStore) {
    await platform.startObjectStore(victim);
    log(`${victim}'s object store agent restarted: the repair loop copies what it missed`);
  }
  const rejoin = await drillRejoin(platform, victim, 180_000);
  const syncAt = await watch.waitFor(
    restartAt,
    isSynchronous,
    60_000,
    'a streaming synchronous standby in pg_stat_replication',
  );
  log(
    `${victim} restarted: synchronous standby again after ${rejoin.rejoinMs} ms (pg_stat_replication: ${syncAt - restartAt} ms)`,
  );
  await sleep(1000);
  return {
    killedZone: victim,
    newLeader: leading.leader as Zone,
    killedProcesses: killed.length,
    leaderAfterMs,
    firstAckAfterKillMs: firstAck - killAt,
    writeGapMs: longestWriteGapMs(load.entries, killAt - 1000, restartAt),
    exposedMs: watch.exposedMs(killAt, syncAt),
    rejoinMs: rejoin.rejoinMs,
    syncStreamingAfterRestartMs: syncAt - restartAt,
    rejoinWriteGapMs: longestWriteGapMs(load.entries, restartAt, Date.now()),
    rejoinPhases: rejoinPhases(platform.logDir, victim, restartAt),
  };
}

/** loop_wait as the running cluster has it (read back from Patroni), else the platform's default. */
function loopWaitOf(context: DrillContext): number {
  return context.settings.patroni.loopWait ?? HA_TIMINGS.loop_wait;
}

async function withLoad<T>(
  context: DrillContext,
  run: (load: RegistrationLoad, watch: ReplicationWatch, namePrefix: string) => Promise<T>,
): Promise<{ result: T; load: RegistrationLoad; namePrefix: string }> {
  const namePrefix = drillNamePrefix();
  const load = new RegistrationLoad({
    gatewayUrl: context.platform.gatewayUrl,
    writers: context.options.writers,
    namePrefix,
    policy: context.options.policy,
  });
  const watch = new ReplicationWatch(context.platform);
  watch.start();
  load.start();
  try {
    await sleep(context.options.warmupSeconds * 1000);
    context.options.log(
      `load: ${context.options.writers} writers, ${load.entries.length} writes finished in the ${context.options.warmupSeconds} s warm-up`,
    );
    const result = await run(load, watch, namePrefix);
    return { result, load, namePrefix };
  } finally {
    const stopping = Date.now();
    await load.stop();
    await watch.stop();
    context.options.log(
      `load stopped (in-flight writes drained in ${Date.now() - stopping} ms); ${load.entries.length} logical writes`,
    );
  }
}

/** The cluster when the drill ended: both zones back, one leading, the other its streaming synchronous standby. */
export interface FinalCluster {
  readonly leader?: Zone;
  readonly syncStandby?: Zone;
  readonly inSync: boolean;
  readonly timeline?: number;
}

export async function checkBothZones(
  context: DrillContext,
  load: RegistrationLoad,
  namePrefix: string,
): Promise<{ ledger: LedgerSummary; standbyLedger: LedgerSummary; finalCluster: FinalCluster }> {
  const status = await context.platform.waitForSync();
  const ledger = await checkOnPrimary(context.platform, load, namePrefix);
  const standbyLedger = await checkOnStandby(
    context.platform,
    load,
    namePrefix,
    status.leader as Zone,
    status.syncStandby as Zone,
  );
  const finalCluster: FinalCluster = {
    inSync: status.inSync,
    ...(status.leader === undefined ? {} : { leader: status.leader }),
    ...(status.syncStandby === undefined ? {} : { syncStandby: status.syncStandby }),
    ...(status.timeline === undefined ? {} : { timeline: status.timeline }),
  };
  return { ledger, standbyLedger, finalCluster };
}

/** Object writers beside the registration writers, when the platform runs an object store. */
const OBJECT_WRITERS = 4;

export function zoneLoss(options: DrillOptions): Promise<ZoneLossReport> {
  return onThrowawayPlatform(options, async (context) => {
    const { platform } = context;
    const objectLoad =
      Object.keys(platform.objectStores).length > 0
        ? new ObjectLoad(platform.gatewayUrl, OBJECT_WRITERS, options.policy)
        : undefined;
    try {
      if (objectLoad) {
        await objectLoad.prepare();
        objectLoad.start();
        options.log(
          `objects: ${OBJECT_WRITERS} writers uploading 32–256 KB images and reading back what was acknowledged`,
        );
      }
      const {
        result: cycle,
        load,
        namePrefix,
      } = await withLoad(context, (load, watch) =>
        loseLeaderZone(platform, load, watch, options.seconds ?? 10, loopWaitOf(context), options.log),
      );
      await objectLoad?.stop();
      const { ledger, standbyLedger, finalCluster } = await checkBothZones(context, load, namePrefix);
      const problems: string[] = [];
      ledgerProblems(ledger, problems);
      ledgerProblems(standbyLedger, problems);
      let objects: ObjectLedgerSummary | undefined;
      if (objectLoad) {
        const waitFrom = Date.now();
        const repaired = await objectLoad.waitUntilRepaired(120_000);
        objects = await objectLoad.check(platform, repaired ? Date.now() - waitFrom : undefined);
        options.log(`objects: ${objects.acknowledged} acknowledged, ${objects.lost} lost`);
        if (objects.lost > 0)
          problems.push(`${objects.lost} acknowledged objects lost or differing (${objects.lostExamples.join('; ')})`);
        if (objects.reads.mismatched > 0)
          problems.push(`${objects.reads.mismatched} object reads returned different bytes`);
        if (!repaired) problems.push('the object store still reported exposure 120 s after the zone was back');
      }
      return {
        ...base('zone-loss', context, problems),
        cycle,
        ledger,
        standbyLedger,
        finalCluster,
        ...(objects ? { objects } : {}),
      };
    } finally {
      await objectLoad?.stop();
      objectLoad?.close();
    }
  });
}

export function repeatedZoneLoss(options: DrillOptions): Promise<RepeatedZoneLossReport> {
  return onThrowawayPlatform(options, async (context) => {
    const cycles: ZoneLossCycle[] = [];
    const problems: string[] = [];
    const { load, namePrefix } = await withLoad(context, async (load, watch) => {
      for (let kill = 1; kill <= options.kills; kill++) {
        try {
          const cycle = await loseLeaderZone(
            context.platform,
            load,
            watch,
            options.seconds ?? 3,
            loopWaitOf(context),
            (line) => options.log(`[${kill}/${options.kills}] ${line}`),
          );
          cycles.push(cycle);
          options.log(
            `[${kill}/${options.kills}] write gap ${cycle.writeGapMs} ms, rejoin ${cycle.rejoinMs} ms, ${load.entries.length} writes so far`,
          );
        } catch (error) {
          problems.push(`kill ${kill}: ${error instanceof Error ? error.message : String(error)}`);
          options.log(`[${kill}/${options.kills}] FAILED: ${problems[problems.length - 1] ?? ''}`);
          break;
        }
      }
    });
    const { ledger, standbyLedger, finalCluster } = await checkBothZones(context, load, namePrefix);
    ledgerProblems(ledger, problems);
    ledgerProblems(standbyLedger, problems);
    return {
      ...base('repeated-zone-loss', context, problems),
      cycles,
      completedKills: cycles.length,
      requestedKills: options.kills,
      writeGapMs: distribution(cycles.map((c) => c.writeGapMs)),
      leaderAfterMs: distribution(cycles.map((c) => c.leaderAfterMs)),
      rejoinMs: distribution(cycles.map((c) => c.rejoinMs)),
      ledger,
      standbyLedger,
      finalCluster,
    };
  });
}

export function standbyLoss(options: DrillOptions): Promise<StandbyLossReport> {
  return onThrowawayPlatform(options, async (context) => {
    const { platform } = context;
    const { result, load, namePrefix } = await withLoad(context, async (load, watch) => {
      const before = await platform.waitForSync();
      const primary = before.leader as Zone;
      const victim = before.syncStandby as Zone;
      const killAt = Date.now();
      await platform.killZone(victim);
      options.log(`kill -9 of ${victim} (the synchronous standby)`);
      const exposedAt = await watch.waitFor(killAt, isExposed, 60_000, `${primary} to stop waiting for ${victim}`);
      options.log(`${primary} commits without a synchronous standby from +${exposedAt - killAt} ms (RPO exposure)`);
      await load.waitForAcknowledgementAfter(killAt, 60_000);
      await sleep((options.seconds ?? 10) * 1000);
      const restartAt = Date.now();
      const rejoin = await drillRejoin(platform, victim, 180_000);
      const syncAt = await watch.waitFor(
        restartAt,
        isSynchronous,
        60_000,
        'a streaming synchronous standby in pg_stat_replication',
      );
      options.log(`${victim} restarted: synchronous standby again after ${rejoin.rejoinMs} ms; exposure ended`);
      await sleep(1000);
      const patroniNoSync = watch.patroni.find((sample) => sample.at >= killAt && sample.syncStandby === undefined);
      return {
        primary,
        killedZone: victim,
        writeGapMs: longestWriteGapMs(load.entries, killAt - 1000, restartAt),
        stallUntilExposedMs: exposedAt - killAt,
        ...(patroniNoSync === undefined ? {} : { patroniNoSyncAfterMs: patroniNoSync.at - killAt }),
        exposedMs: syncAt - exposedAt,
        exposedSampledMs: watch.exposedMs(killAt, syncAt),
        rejoinMs: rejoin.rejoinMs,
        syncStreamingAfterRestartMs: syncAt - restartAt,
        rejoinPhases: rejoinPhases(platform.logDir, victim, restartAt),
      };
    });
    const { ledger, standbyLedger, finalCluster } = await checkBothZones(context, load, namePrefix);
    const problems: string[] = [];
    ledgerProblems(ledger, problems);
    ledgerProblems(standbyLedger, problems);
    return { ...base('standby-loss', context, problems), ...result, ledger, standbyLedger, finalCluster };
  });
}

export function switchover(options: DrillOptions): Promise<SwitchoverReport> {
  return onThrowawayPlatform(options, async (context) => {
    const { platform } = context;
    const { result, load, namePrefix } = await withLoad(context, async (load, watch) => {
      const before = await platform.waitForSync();
      const from = before.leader as Zone;
      const to = otherZone(from);
      const requestedAt = Date.now();
      const answer = await platform.switchover(to);
      options.log(`switchover ${from} -> ${to}: Patroni answered after ${answer.apiMs} ms: ${answer.message}`);
      await waitForCluster(Object.values(platform.patroniUrls), (s) => s.leader === to, 60_000, `${to} to lead`);
      const leaderAfterMs = Date.now() - requestedAt;
      await waitForCluster(
        Object.values(platform.patroniUrls),
        (s) => s.leader === to && s.syncStandby === from && s.inSync,
        120_000,
        `${from} as synchronous standby`,
      );
      const syncAgainAfterMs = Date.now() - requestedAt;
      const syncAt = await watch.waitFor(
        requestedAt,
        (sample) => isSynchronous(sample) && sample.zones[to]?.recovery === false,
        60_000,
        `${to} primary with a synchronous standby`,
      );
      await load.waitForAcknowledgementAfter(requestedAt, 60_000);
      await sleep((options.seconds ?? 5) * 1000);
      return {
        from,
        to,
        apiMs: answer.apiMs,
        patroniMessage: answer.message,
        leaderAfterMs,
        syncAgainAfterMs,
        writeGapMs: longestWriteGapMs(load.entries, requestedAt - 1000, Date.now()),
        exposedMs: watch.exposedMs(requestedAt, syncAt),
      };
    });
    const { ledger, standbyLedger, finalCluster } = await checkBothZones(context, load, namePrefix);
    const problems: string[] = [];
    ledgerProblems(ledger, problems);
    ledgerProblems(standbyLedger, problems);
    return { ...base('switchover', context, problems), ...result, ledger, standbyLedger, finalCluster };
  });
}

function latency(
  samples: ReadonlyArray<{ at: number; ms: number; label: string; ok: boolean }>,
  from: number,
  to: number,
): LatencyFigures {
  const window = samples.filter((sample) => sample.at >= from && sample.at < to);
  const failures: Record<string, number> = {};
  for (const sample of window) if (!sample.ok) failures[sample.label] = (failures[sample.label] ?? 0) + 1;
  const times = window.map((sample) => sample.ms);
  return {
    requests: window.length,
    failed: window.filter((sample) => !sample.ok).length,
    p50Ms: percentile(times, 50),
    p99Ms: percentile(times, 99),
    failures,
  };
}

async function institutionIds(gatewayUrl: string): Promise<string[]> {
  const agent = keepAliveAgent(1);
  try {
    const outcome = await send(agent, {
      method: 'GET',
      url: `${gatewayUrl}/v1/institutions?pageSize=50`,
      timeoutMs: 10_000,
    });
    if (outcome.kind !== 'answer' || outcome.status !== 200)
      throw new Error(`GET /v1/institutions: ${describeOutcome(outcome)}`);
    return (JSON.parse(outcome.body) as { institutions: Array<{ id: string }> }).institutions.map(
      (institution) => institution.id,
    );
  } finally {
    agent.destroy();
  }
}

export function redisLoss(options: DrillOptions): Promise<RedisLossReport> {
  return onThrowawayPlatform(options, async (context) => {
    const { platform } = context;
    const phaseMs = (options.seconds ?? 10) * 1000;
    const ids = await institutionIds(platform.gatewayUrl);
    const reads = new InstitutionReads(platform.gatewayUrl, ids, options.readers);
    reads.start();
    let marks: { start: number; killAt: number; restartAt: number; end: number } | undefined;
    let killed = 0;
    const { load, namePrefix } = await withLoad(context, async () => {
      const start = Date.now();
      await sleep(phaseMs);
      const killAt = Date.now();
      killed = (await platform.killRedis()).length;
      options.log(`redis killed; ${options.readers} readers and ${options.writers} writers carry on`);
      await sleep(phaseMs);
      const restartAt = Date.now();
      await platform.startRedis();
      options.log(`redis restarted (empty) after ${restartAt - killAt} ms down`);
      await sleep(Math.min(phaseMs, 5000));
      marks = { start, killAt, restartAt, end: Date.now() };
    }).finally(() => reads.stop());
    if (marks === undefined) throw new Error('redis-loss did not run');
    const m = marks;
    const ledger = await checkOnPrimary(platform, load, namePrefix);
    const report = {
      readers: options.readers,
      reads: {
        before: latency(reads.samples, m.start, m.killAt),
        down: latency(reads.samples, m.killAt, m.restartAt),
        after: latency(reads.samples, m.restartAt, m.end),
      },
      writes: {
        before: latency(load.attempts, m.start, m.killAt),
        down: latency(load.attempts, m.killAt, m.restartAt),
        after: latency(load.attempts, m.restartAt, m.end),
      },
      redisKilledProcesses: killed,
      downMs: m.restartAt - m.killAt,
      ledger,
    };
    const problems: string[] = [];
    ledgerProblems(ledger, problems);
    for (const [kind, phases] of [
      ['reads', report.reads],
      ['write attempts', report.writes],
    ] as const) {
      for (const [phase, figures] of Object.entries(phases)) {
        if (figures.failed > 0)
          problems.push(
            `${figures.failed} ${kind} failed ${phase === 'down' ? 'while Redis was down' : `${phase} the outage`}: ${JSON.stringify(figures.failures)}`,
          );
      }
    }
    if (ledger.failed > 0 || ledger.unknown > 0)
      problems.push(`${ledger.failed} writes refused, ${ledger.unknown} unknown`);
    return { ...base('redis-loss', context, problems), ...report };
  });
}

/** The pid of identity's backend whose COMMIT waits for the synchronous standby, if one does. */
async function commitWaitingForStandby(admin: Client): Promise<number | undefined> {
  const { rows } = await admin.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE application_name = 'identity-rw' AND wait_event = 'SyncRep' ORDER BY xact_start LIMIT 1`,
  );
  return rows[0]?.pid;
}

/**
 * Watches the primary's synchronous_standby_names every 10 ms: when did Patroni stop requiring `standby`?
 * A backend applies a reload at its next statement, so the watch sees a change up to one poll late; an answer
 * heard within DROP_TOLERANCE_MS before the observed drop is counted as released by the drop.
 */
class StandbyRequirementWatch {
  static readonly DROP_TOLERANCE_MS = 100;
  /** Every value seen, with when it was first seen. */
  readonly history: Array<{ at: number; value: string }> = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(
    private readonly client: Client,
    private readonly standby: Zone,
  ) {
    this.loop = this.run();
  }

  get droppedAt(): number | undefined {
    return this.history.find((entry) => !entry.value.includes(this.standby))?.at;
  }

  required(at: number): boolean {
    const dropped = this.droppedAt;
    return dropped === undefined || at < dropped - StandbyRequirementWatch.DROP_TOLERANCE_MS;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const { rows } = await this.client.query<{ ssn: string }>(
        `SELECT current_setting('synchronous_standby_names') AS ssn`,
      );
      const value = rows[0]?.ssn ?? '';
      if (this.history[this.history.length - 1]?.value !== value) this.history.push({ at: Date.now(), value });
      await sleep(10);
    }
  }
}

async function syncStreaming(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    for (;;) {
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_replication WHERE sync_state = 'sync' AND state = 'streaming'`,
      );
      if ((rows[0]?.n ?? 0) > 0) return;
      if (Date.now() > deadline) throw new Error(`no streaming synchronous standby within ${timeoutMs} ms`);
      await sleep(50);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * One round: freeze the standby's PostgreSQL, send a registration, cancel its COMMIT while it waits for the
 * standby, hear the answer (and, with a key, retry it while still frozen), then thaw and look for the row.
 */
async function cancelOneCommit(
  platform: Platform,
  primary: Zone,
  standby: Zone,
  register: (
    registration: { name: string; birthDate: string },
    key: string | undefined,
    timeoutMs?: number,
  ) => Promise<HttpOutcome>,
  withKey: boolean,
  prefix: string,
  log: (line: string) => void,
): Promise<CancelledCommitRound> {
  const admin = new Client({ connectionString: platform.zoneDatabaseUrl(primary, 'superuser') });
  const watcher = new Client({ connectionString: platform.zoneDatabaseUrl(primary, 'superuser') });
  for (const client of [admin, watcher]) {
    client.on('error', () => undefined);
    await client.connect();
  }
  const label = withKey
    ? 'with Idempotency-Key (the gateway retries UNAVAILABLE with it)'
    : 'without Idempotency-Key (no retry anywhere: what identity answers)';
  try {
    await syncStreaming(platform.zoneDatabaseUrl(primary), 60_000);
    const registration = newRegistration(prefix);
    const key = withKey ? `drill-cancel-${randomUUID()}` : undefined;
    const frozenAt = Date.now();
    platform.freezeDatabase(standby);
    const requirement = new StandbyRequirementWatch(watcher, standby);
    // Whether an answer came before the drop is judged at the end of the round, once the watch has seen it.
    const hear = (outcome: HttpOutcome): Heard => {
      const at = Date.now();
      return {
        outcome: describeOutcome(outcome),
        ...(outcome.kind === 'answer' ? { status: outcome.status } : {}),
        body: outcome.kind === 'answer' ? outcome.body.slice(0, 400) : outcome.kind === 'network' ? outcome.error : '',
        ms: outcome.ms,
        afterFreezeMs: at - frozenAt,
        beforeStandbyDropped: true,
      };
    };
    const judged = (heard: Heard): Heard => ({
      ...heard,
      beforeStandbyDropped: requirement.required(frozenAt + heard.afterFreezeMs),
    });
    let heard: Heard | undefined;
    const answer = register(registration, key).then((outcome) => (heard = hear(outcome)));
    let backend: number | undefined;
    let waitSeenAt = 0;
    let cancelledAt = 0;
    let cancelled = false;
    // Patroni drops a frozen standby from synchronous_standby_names once its member key expires (~ttl): the
    // cancel must land well before, while the commit really waits for the standby.
    while (heard === undefined && Date.now() - frozenAt < 4000) {
      backend = await commitWaitingForStandby(admin);
      if (backend !== undefined) {
        waitSeenAt = Date.now();
        const { rows } = await admin.query<{ cancelled: boolean }>('SELECT pg_cancel_backend($1) AS cancelled', [
          backend,
        ]);
        cancelled = rows[0]?.cancelled === true;
        cancelledAt = Date.now();
        break;
      }
      await sleep(20);
    }
    log(
      backend === undefined
        ? `${label}: no COMMIT was seen waiting for the frozen standby`
        : `${label}: COMMIT of backend ${backend} waiting (SyncRep) at +${waitSeenAt - frozenAt} ms; pg_cancel_backend at +${cancelledAt - frozenAt} ms`,
    );
    const first = await answer;
    log(`${label}: the client heard ${first.outcome} at +${first.afterFreezeMs} ms`);
    let retried: Heard | undefined;
    if (withKey && requirement.required(Date.now())) {
      retried = hear(await register(registration, key, 4000));
      log(
        `${label}: a retry with the same key while ${standby} is frozen heard ${retried.outcome} at +${retried.afterFreezeMs} ms`,
      );
    }
    const rowOnPrimary = (await storedElements(platform.zoneDatabaseUrl(primary), registration.name)).length > 0;
    await sleep(200);
    await requirement.stop();
    const heardFirst = judged(first);
    const retryWhileFrozen = retried === undefined ? undefined : judged(retried);
    const thawAt = Date.now();
    platform.thawDatabase(standby);
    await syncStreaming(platform.zoneDatabaseUrl(primary), 120_000);
    const syncAgainAfterThawMs = Date.now() - thawAt;
    await waitForReplay(platform, primary, standby);
    const rowOnStandby = (await storedElements(platform.zoneDatabaseUrl(standby), registration.name)).length > 0;
    return {
      label,
      withIdempotencyKey: withKey,
      waitSeenAfterMs: waitSeenAt === 0 ? NaN : waitSeenAt - frozenAt,
      cancelledAfterMs: cancelledAt === 0 ? NaN : cancelledAt - frozenAt,
      cancelled,
      heard: heardFirst,
      ...(retryWhileFrozen === undefined ? {} : { retryWhileFrozen }),
      ...(requirement.droppedAt === undefined ? {} : { standbyDroppedAfterMs: requirement.droppedAt - frozenAt }),
      synchronousStandbyNames: requirement.history.map((entry) => `+${entry.at - frozenAt} ms '${entry.value}'`),
      rowOnPrimary,
      rowOnStandby,
      syncAgainAfterThawMs,
    };
  } finally {
    platform.thawDatabase(standby);
    await admin.end().catch(() => undefined);
    await watcher.end().catch(() => undefined);
  }
}

export function cancelledCommit(options: DrillOptions): Promise<CancelledCommitReport> {
  return onThrowawayPlatform(options, async (context) => {
    const { platform } = context;
    const status = await platform.waitForSync();
    const primary = status.leader as Zone;
    const standby = status.syncStandby as Zone;
    const agent = keepAliveAgent(4);
    const sessions = new StaffSessions(platform.gatewayUrl, agent, options.policy);
    const prefix = drillNamePrefix();
    try {
      const token = await sessions.token('lufeng.clinician');
      const register = (
        registration: { name: string; birthDate: string },
        key: string | undefined,
        timeoutMs = 15_000,
      ): Promise<HttpOutcome> =>
        send(agent, {
          method: 'POST',
          url: `${platform.gatewayUrl}/v1/patients`,
          headers: { authorization: `Bearer ${token}`, ...(key === undefined ? {} : { 'idempotency-key': key }) },
          body: { name: registration.name, birthDate: registration.birthDate, sex: 'SEX_FEMALE', countyCode: 'lufeng' },
          timeoutMs,
        });
      // A first registration warms identity's pool and proves the route works before anything is frozen.
      const warm = await register(newRegistration(prefix), randomUUID());
      if (warm.kind !== 'answer' || warm.status !== 200)
        throw new Error(`warm-up registration: ${describeOutcome(warm)}`);
      const rounds: CancelledCommitRound[] = [];
      for (const withKey of [false, true])
        rounds.push(await cancelOneCommit(platform, primary, standby, register, withKey, prefix, options.log));
      const problems: string[] = [];
      for (const round of rounds) {
        if (!round.cancelled) problems.push(`${round.label}: no COMMIT was cancelled while it waited for the standby`);
        if (round.heard.status === 200 && round.heard.beforeStandbyDropped) {
          problems.push(
            `${round.label}: the client heard 200 while the primary still required the frozen standby (the commit wait was cancelled: committed locally only)`,
          );
        }
        if (round.retryWhileFrozen?.status === 200 && round.retryWhileFrozen.beforeStandbyDropped) {
          problems.push(
            `${round.label}: a retry with the same key heard 200 while the standby had not confirmed the first commit (a locally-committed result was replayed)`,
          );
        }
        if (!round.withIdempotencyKey && round.heard.status !== 503)
          problems.push(`${round.label}: expected 503 UNAVAILABLE, heard ${round.heard.outcome}`);
      }
      return { ...base('cancelled-commit', context, problems), primary, frozenZone: standby, rounds };
    } finally {
      agent.destroy();
    }
  });
}

export async function runDrill(name: DrillName, options: DrillOptions): Promise<DrillReport> {
  switch (name) {
    case 'zone-loss':
      return zoneLoss(options);
    case 'standby-loss':
      return standbyLoss(options);
    case 'switchover':
      return switchover(options);
    case 'redis-loss':
      return redisLoss(options);
    case 'repeated-zone-loss':
      return repeatedZoneLoss(options);
    case 'cancelled-commit':
      return cancelledCommit(options);
    case 'ride-through':
      return rideThrough(options);
  }
}
