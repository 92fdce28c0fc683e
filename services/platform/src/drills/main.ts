// The drill CLI: `node dist/services/platform/src/drills/main.js <drill> [options]` runs one drill on a
// throwaway platform and prints its figures, the settings in force and its ledger check.
import {
  DEFAULT_DRILL_OPTIONS,
  DRILLS,
  runDrill,
  type CancelledCommitReport,
  type Distribution,
  type DrillName,
  type DrillOptions,
  type DrillReport,
  type FinalCluster,
  type Heard,
  type LatencyFigures,
  type RedisLossReport,
  type RepeatedZoneLossReport,
  type StandbyLossReport,
  type SwitchoverReport,
  type ZoneLossCycle,
  type ZoneLossReport,
} from './drills';
import { DEFAULT_PITR_OPTIONS, describePitr, runPitrDrill } from './pitr';
import { describePhases } from './rejoin-phases';
import { describeRideThrough, type RideThroughReport } from './ride-through';
import { describeSettings } from './settings';
import { describeObjectLedger } from './objects';
import { describeLedger } from './verify';
import { PLATFORM_SERVICES, type PlatformServiceName } from '../services';
import { booleanFlag, runCommand, stringFlag, UsageError, wholeNumberFlag, type CommandLine } from '../cli';

const USAGE = `usage: npm run platform -- drill <drill> [options]      (or: npm run drill -- <drill> [options])
drills:
  zone-loss            kill -9 of the primary zone under load; write gap, ledger; restart and time to sync
  standby-loss         kill -9 of the synchronous standby under load; write stall, RPO exposure; restart and time to sync
  switchover           planned switchover through Patroni's REST API under load; write gap
  redis-loss           reads (cached) and writes while Redis is killed and restarted; failures and latency
  repeated-zone-loss   zone-loss --kills times, alternating zones; distributions of gap and rejoin
  cancelled-commit     a COMMIT waiting for a frozen standby is cancelled: the client must not hear success
  ride-through         readers, writers (Idempotency-Key) and SSE subscribers through a switchover, a kill of the
                       primary's zone, the loss of the standby and a Redis restart: per event requests,
                       client-visible errors, worst latency, write gap, messages missed after Last-Event-ID
  pitr                 a mistake (every row deleted) after a backup; restore to the moment before it into a
                       fresh pair; every row acknowledged before that moment back, none after (--rows N)
options:
  --writers N          concurrent writers (default 50)
  --seconds N          load kept after the fault before the repair (zone-loss 10, standby-loss 10,
                       switchover 5, redis-loss: each phase 10, repeated-zone-loss 3)
  --warmup N           seconds of load before the fault (default 5)
  --kills N            repeated-zone-loss: zone losses (default 20)
  --readers N          redis-loss, ride-through: concurrent readers (default 20)
  --subscribers N      ride-through: live SSE subscribers (default 3)
  --durability D       available (default) or strict (writes wait for, or are refused without, the standby)
  --services a,b       services to run (default identity,replication,gateway; with replication, zone-loss
                       also uploads and reads objects and kills the zone's object store agent)
  --json               also print the report as one JSON line
  --verbose            print the platform's own log
  --keep-data          keep the throwaway data dir and its logs (default: removed)`;

function stamp(line: string): string {
  return `[${new Date().toISOString().slice(11, 23)}] ${line}`;
}

const DRILL_SHAPE = {
  usage: USAGE,
  options: {
    writers: { type: 'string' },
    seconds: { type: 'string' },
    warmup: { type: 'string' },
    kills: { type: 'string' },
    readers: { type: 'string' },
    subscribers: { type: 'string' },
    durability: { type: 'string' },
    rows: { type: 'string' },
    services: { type: 'string' },
    json: { type: 'boolean' },
    verbose: { type: 'boolean' },
    'keep-data': { type: 'boolean' },
  },
  positionals: { min: 1, max: 1 },
} as const;

export function parseDrillOptions(line: CommandLine): DrillOptions {
  const services = stringFlag(line, 'services');
  const names = services
    ?.split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const unknown = (names ?? []).filter((name) => !(PLATFORM_SERVICES as readonly string[]).includes(name));
  if (unknown.length > 0) throw new UsageError(`--services: unknown services ${unknown.join(', ')}`, USAGE);
  if (names !== undefined && !names.includes('identity'))
    throw new UsageError('--services must include identity (the drills register patients)', USAGE);
  if (names !== undefined && !names.includes('gateway'))
    throw new UsageError('--services must include gateway (the drills write through it)', USAGE);
  const whole = (name: string): number | undefined => wholeNumberFlag(line, name, USAGE);
  const seconds = whole('seconds');
  const subscribers = whole('subscribers');
  const durability = stringFlag(line, 'durability');
  if (durability !== undefined && durability !== 'available' && durability !== 'strict')
    throw new UsageError('--durability must be available or strict', USAGE);
  return {
    ...DEFAULT_DRILL_OPTIONS,
    writers: whole('writers') ?? DEFAULT_DRILL_OPTIONS.writers,
    warmupSeconds: whole('warmup') ?? DEFAULT_DRILL_OPTIONS.warmupSeconds,
    kills: whole('kills') ?? DEFAULT_DRILL_OPTIONS.kills,
    readers: whole('readers') ?? DEFAULT_DRILL_OPTIONS.readers,
    ...(seconds === undefined ? {} : { seconds }),
    ...(subscribers === undefined ? {} : { subscribers }),
    ...(durability === undefined ? {} : { durability }),
    ...(names === undefined ? {} : { services: names as PlatformServiceName[] }),
    log: (text) => console.log(stamp(text)),
    platformLog: booleanFlag(line, 'verbose') ? (text) => console.log(stamp(`platform: ${text}`)) : () => undefined,
    keepData: booleanFlag(line, 'keep-data'),
  };
}

const ms = (value: number | undefined): string =>
  value === undefined || Number.isNaN(value) ? '—' : `${Math.round(value)} ms`;
const dist = (d: Distribution): string =>
  `median ${ms(d.median)}, p90 ${ms(d.p90)}, max ${ms(d.max)}, min ${ms(d.min)} (n=${d.count})`;
const lat = (f: LatencyFigures): string =>
  `${f.requests} requests, ${f.failed} failed${f.failed > 0 ? ` ${JSON.stringify(f.failures)}` : ''}, p50 ${ms(f.p50Ms)}, p99 ${ms(f.p99Ms)}`;

function final(c: FinalCluster): string {
  return `final        leader ${c.leader ?? 'none'} (timeline ${c.timeline ?? '?'}), synchronous standby ${c.syncStandby ?? 'none'}, ${c.inSync ? 'in sync' : 'NOT in sync'}`;
}

function heard(h: Heard): string {
  return `${h.outcome} ${ms(h.afterFreezeMs)} after the freeze, ${h.beforeStandbyDropped ? 'while the standby was still required' : 'after Patroni dropped the standby'}: ${h.body}`;
}

function cycleLines(cycle: ZoneLossCycle): string[] {
  return [
    `killed       ${cycle.killedZone} (primary), ${cycle.killedProcesses} processes SIGKILLed; ${cycle.newLeader} took over`,
    `leader       ${ms(cycle.leaderAfterMs)} after the kill (Patroni /cluster)`,
    `first write  acknowledged ${ms(cycle.firstAckAfterKillMs)} after the kill (first write started after it)`,
    `write gap    ${ms(cycle.writeGapMs)} (longest stretch without an acknowledged write, measured at the clients)`,
    `exposed      ${ms(cycle.exposedMs)} with writes on one zone only (primary without a synchronous standby)`,
    `rejoin       ${ms(cycle.rejoinMs)} from restart to synchronous standby (Patroni); ${ms(cycle.syncStreamingAfterRestartMs)} to sync_state 'sync' streaming`,
    `  phases     ${describePhases(cycle.rejoinPhases)} after the restart`,
    `rejoin gap   ${ms(cycle.rejoinWriteGapMs)} longest write gap while it rejoined`,
  ];
}

export function formatReport(report: DrillReport): string {
  const lines: string[] = [
    `=== drill ${report.drill} (${(report.durationMs / 1000).toFixed(0)} s, started ${report.startedAt})`,
  ];
  lines.push(...describeSettings(report.settings));
  switch (report.drill) {
    case 'zone-loss': {
      const r = report as ZoneLossReport;
      lines.push(
        ...cycleLines(r.cycle),
        final(r.finalCluster),
        ...describeLedger(r.ledger),
        ...describeLedger(r.standbyLedger, false),
      );
      if (r.objects) lines.push(describeObjectLedger(r.objects));
      break;
    }
    case 'repeated-zone-loss': {
      const r = report as RepeatedZoneLossReport;
      lines.push(
        `kills        ${r.completedKills} of ${r.requestedKills} done (zones alternating: ${r.cycles.map((c) => c.killedZone).join(' ')})`,
        `write gap    ${dist(r.writeGapMs)}`,
        `leader       ${dist(r.leaderAfterMs)}`,
        `rejoin       ${dist(r.rejoinMs)}`,
        `per kill     gap/leader/rejoin ms: ${r.cycles.map((c) => `${c.writeGapMs}/${c.leaderAfterMs}/${c.rejoinMs}`).join(' ')}`,
        `pg_rewind    ms per rejoin: ${r.cycles.map((c) => (c.rejoinPhases.rewindStartAtMs === undefined ? '-' : `${(c.rejoinPhases.rewindEndAtMs ?? NaN) - c.rejoinPhases.rewindStartAtMs}`)).join(' ')}` +
          `${r.cycles.some((c) => c.rejoinPhases.recloneAtMs !== undefined) ? ' (some zones were RE-CLONED)' : ''}`,
        final(r.finalCluster),
        ...describeLedger(r.ledger),
        ...describeLedger(r.standbyLedger, false),
      );
      break;
    }
    case 'standby-loss': {
      const r = report as StandbyLossReport;
      lines.push(
        `killed       ${r.killedZone} (synchronous standby); ${r.primary} primary`,
        `write gap    ${ms(r.writeGapMs)} (writes stalled until Patroni released them: synchronous_standby_names emptied ${ms(r.stallUntilExposedMs)} after the kill; Patroni /cluster dropped the sync standby after ${ms(r.patroniNoSyncAfterMs)})`,
        `exposed      ${ms(r.exposedMs)} with no synchronous standby (release → sync again after restart; sampled ${ms(r.exposedSampledMs)})`,
        `rejoin       ${ms(r.rejoinMs)} from restart to synchronous standby (Patroni); ${ms(r.syncStreamingAfterRestartMs)} to sync_state 'sync' streaming`,
        `  phases     ${describePhases(r.rejoinPhases)} after the restart`,
        final(r.finalCluster),
        ...describeLedger(r.ledger),
        ...describeLedger(r.standbyLedger, false),
      );
      break;
    }
    case 'switchover': {
      const r = report as SwitchoverReport;
      lines.push(
        `switchover   ${r.from} -> ${r.to}: POST /switchover answered in ${ms(r.apiMs)} ("${r.patroniMessage}")`,
        `leader       ${ms(r.leaderAfterMs)} after the request; ${r.from} synchronous standby again after ${ms(r.syncAgainAfterMs)}`,
        `write gap    ${ms(r.writeGapMs)}`,
        `exposed      ${ms(r.exposedMs)} (the new primary without a synchronous standby until ${r.from} streams again)`,
        final(r.finalCluster),
        ...describeLedger(r.ledger),
        ...describeLedger(r.standbyLedger, false),
      );
      break;
    }
    case 'redis-loss': {
      const r = report as RedisLossReport;
      lines.push(
        `redis        killed (${r.redisKilledProcesses} process), down ${ms(r.downMs)}, restarted empty`,
        `reads        ${r.readers} readers of GET /v1/institutions/{id} (cached)`,
        `  before     ${lat(r.reads.before)}`,
        `  down       ${lat(r.reads.down)}`,
        `  after      ${lat(r.reads.after)}`,
        `writes       POST /v1/patients attempts`,
        `  before     ${lat(r.writes.before)}`,
        `  down       ${lat(r.writes.down)}`,
        `  after      ${lat(r.writes.after)}`,
        ...describeLedger(r.ledger),
      );
      break;
    }
    case 'ride-through': {
      const r = report as RideThroughReport;
      lines.push(
        ...describeRideThrough(r),
        final(r.finalCluster),
        ...describeLedger(r.ledger),
        ...describeLedger(r.standbyLedger, false),
      );
      break;
    }
    case 'cancelled-commit': {
      const r = report as CancelledCommitReport;
      lines.push(`frozen       ${r.frozenZone} PostgreSQL (SIGSTOP of postmaster and children), ${r.primary} primary`);
      for (const round of r.rounds) {
        lines.push(
          `round        ${round.label}`,
          `  commit     seen waiting (SyncRep) ${ms(round.waitSeenAfterMs)} after the freeze; pg_cancel_backend at ${ms(round.cancelledAfterMs)} (${round.cancelled ? 'cancelled' : 'NOT cancelled'})`,
          `  heard      ${heard(round.heard)}`,
          ...(round.withIdempotencyKey
            ? [
                round.retryWhileFrozen === undefined
                  ? '  retry      none while frozen (the standby was no longer required when the answer came)'
                  : `  retry      same key while frozen: ${heard(round.retryWhileFrozen)}`,
              ]
            : []),
          `  patroni    ${round.standbyDroppedAfterMs === undefined ? 'still required the frozen standby when the round ended' : `dropped the frozen standby from synchronous_standby_names ${ms(round.standbyDroppedAfterMs)} after the freeze (exposed from then)`}`,
          `  s_s_names  ${round.synchronousStandbyNames.join(', ')}`,
          `  row        on primary ${round.rowOnPrimary ? 'present' : 'absent'}; on standby after SIGCONT ${round.rowOnStandby ? 'present' : 'absent'}; streaming sync again ${ms(round.syncAgainAfterThawMs)} after SIGCONT`,
        );
      }
      break;
    }
  }
  lines.push(...report.warnings.map((warning) => `warning      ${warning}`));
  lines.push(report.problems.length === 0 ? 'result       PASS (no expectation broken)' : 'result       FAIL');
  lines.push(...report.problems.map((problem) => `  problem: ${problem}`));
  return lines.join('\n');
}

/** `npm run platform -- drill <drill> [options]` (or this file's own entry point). */
export async function main(argv: readonly string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === 'help') {
    console.log(USAGE);
    return 0;
  }
  return runCommand(argv, DRILL_SHAPE, async (line) => {
    const name = line.positionals[0] as string;
    if (name === 'pitr') {
      const rows = wholeNumberFlag(line, 'rows', USAGE) ?? DEFAULT_PITR_OPTIONS.rows;
      console.log(stamp(`drill pitr: ${argv.join(' ')}`));
      const verbose = booleanFlag(line, 'verbose');
      const report = await runPitrDrill({
        rows,
        keepData: booleanFlag(line, 'keep-data'),
        log: verbose
          ? (text) => console.log(stamp(text))
          : (text) => text.startsWith('pitr:') && console.log(stamp(text)),
      });
      console.log(describePitr(report));
      if (booleanFlag(line, 'json')) console.log(JSON.stringify(report));
      return report.passed ? 0 : 1;
    }
    if (!(DRILLS as readonly string[]).includes(name)) throw new UsageError(`unknown drill ${name}`, USAGE);
    const options = parseDrillOptions(line);
    console.log(stamp(`drill ${name}: ${argv.join(' ')}`));
    const report = await runDrill(name as DrillName, options);
    console.log(formatReport(report));
    if (booleanFlag(line, 'json')) console.log(JSON.stringify(report));
    return report.problems.length === 0 ? 0 : 1;
  });
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : error);
      process.exit(1);
    },
  );
}
