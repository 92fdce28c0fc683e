// The figures the team reports: cold start, warm restart, memory of every platform process, zone failover and rejoin.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drillRejoin, drillZoneLoss, type FailoverReport, type RejoinReport } from './failover';
import { startPlatform, type ComponentProcesses, type Platform } from './platform';
import { pickFreePlatformPorts } from './ports';
import { memoryOf } from './proc';
import type { ServiceRequest } from './services';

export interface MemoryReport {
  /** The platform's own Node.js process (supervisor, probes), counted apart from the components. */
  readonly supervisorRssMiB: number;
  readonly totalRssMiB: number;
  readonly totalPssMiB: number;
  readonly processCount: number;
  readonly byComponent: ReadonlyArray<{ component: string; processes: number; rssMiB: number; pssMiB: number }>;
}

export interface PlatformMeasurements {
  readonly coldStartMs: number;
  readonly warmRestartMs: number;
  readonly memory: MemoryReport;
  readonly failover?: FailoverReport;
  readonly rejoin?: RejoinReport;
}

export interface MeasureOptions {
  readonly services?: readonly ServiceRequest[];
  readonly withFailover?: boolean;
  readonly log?: (line: string) => void;
}

const mib = (kib: number): number => Math.round((kib / 1024) * 10) / 10;

export function memoryReport(processes: readonly ComponentProcesses[]): MemoryReport {
  const byComponent = processes.map((entry) => ({
    component: entry.component,
    processes: entry.pids.length,
    rssMiB: mib(entry.memory.rssKiB),
    pssMiB: mib(entry.memory.pssKiB),
  }));
  return {
    supervisorRssMiB: mib(memoryOf([process.pid]).rssKiB),
    totalRssMiB: mib(processes.reduce((sum, entry) => sum + entry.memory.rssKiB, 0)),
    totalPssMiB: mib(processes.reduce((sum, entry) => sum + entry.memory.pssKiB, 0)),
    processCount: processes.reduce((sum, entry) => sum + entry.pids.length, 0),
    byComponent,
  };
}

async function timed(start: () => Promise<Platform>): Promise<{ platform: Platform; ms: number }> {
  const began = Date.now();
  const platform = await start();
  return { platform, ms: Date.now() - began };
}

/** Runs a platform in a fresh temporary directory on free ports: cold start, memory, drill, stop, warm restart. */
export async function measurePlatform(options: MeasureOptions = {}): Promise<PlatformMeasurements> {
  const log = options.log ?? (() => undefined);
  const dataDir = mkdtempSync(join(tmpdir(), 'mch-measure-'));
  const ports = await pickFreePlatformPorts();
  const startOptions = { dataDir, ports, services: options.services, log };
  let platform: Platform | undefined;
  try {
    const cold = await timed(() => startPlatform(startOptions));
    platform = cold.platform;
    const memory = memoryReport(platform.processes());
    let failover: FailoverReport | undefined;
    let rejoin: RejoinReport | undefined;
    if (options.withFailover !== false) {
      const leader = (await platform.status()).leader ?? 'az-a';
      failover = await drillZoneLoss(platform, leader);
      rejoin = await drillRejoin(platform, leader);
    }
    await platform.stop();
    platform = undefined;
    const warm = await timed(() => startPlatform(startOptions));
    platform = warm.platform;
    await platform.stop();
    platform = undefined;
    return {
      coldStartMs: cold.ms,
      warmRestartMs: warm.ms,
      memory,
      ...(failover === undefined ? {} : { failover }),
      ...(rejoin === undefined ? {} : { rejoin }),
    };
  } finally {
    await platform?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export function formatMeasurements(figures: PlatformMeasurements): string {
  const lines = [
    `cold start (empty data dir → pair in sync, services ready): ${(figures.coldStartMs / 1000).toFixed(1)} s`,
    `warm restart (existing data):                            ${(figures.warmRestartMs / 1000).toFixed(1)} s`,
    `memory, all ${figures.memory.processCount} component processes: RSS ${figures.memory.totalRssMiB} MiB (PSS ${figures.memory.totalPssMiB} MiB: shared pages such as Postgres shared buffers counted once); ` +
      `plus the supervising Node.js process: RSS ${figures.memory.supervisorRssMiB} MiB`,
    ...figures.memory.byComponent.map(
      (entry) =>
        `  ${entry.component.padEnd(14)} ${String(entry.processes).padStart(3)} processes  RSS ${String(entry.rssMiB).padStart(6)} MiB  PSS ${String(entry.pssMiB).padStart(6)} MiB`,
    ),
  ];
  const { failover, rejoin } = figures;
  if (failover !== undefined) {
    lines.push(
      `failover (kill -9 ${failover.killedZone} under write load): new leader ${failover.newLeader ?? 'none'} after ${(failover.leaderAfterMs / 1000).toFixed(1)} s; ` +
        `first write after ${(failover.firstWriteAfterMs / 1000).toFixed(1)} s; write gap ${(failover.writeGapMs / 1000).toFixed(1)} s; ` +
        `${failover.acknowledgedCommits} acknowledged commits, ${failover.missingCommits} missing, ${failover.unknownOutcomes} with unknown outcome; ` +
        `timeline ${failover.timelineBefore ?? '?'} → ${failover.timelineAfter ?? '?'}`,
    );
  }
  if (rejoin !== undefined) {
    lines.push(
      `rejoin: ${rejoin.zone} synchronous standby again ${(rejoin.rejoinMs / 1000).toFixed(1)} s after restart`,
    );
  }
  return lines.join('\n');
}
