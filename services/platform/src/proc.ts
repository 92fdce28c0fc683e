// Linux process facts read from /proc: liveness (zombies count as dead), process trees, signals and memory.
import { readdirSync, readFileSync } from 'node:fs';

export type ProcessState = 'alive' | 'zombie' | 'gone';

interface ProcStat {
  readonly pid: number;
  readonly parentPid: number;
  readonly state: string;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may itself contain spaces or parentheses.
    const afterName = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const state = afterName[0];
    const parentPid = Number(afterName[1]);
    if (state === undefined || !Number.isInteger(parentPid)) return undefined;
    return { pid, parentPid, state };
  } catch {
    return undefined;
  }
}

/** A zombie has exited and holds nothing but its pid: for every purpose here it is dead. */
export function processState(pid: number): ProcessState {
  const stat = readStat(pid);
  if (stat === undefined) return 'gone';
  return stat.state === 'Z' || stat.state === 'X' ? 'zombie' : 'alive';
}

export function isAlive(pid: number): boolean {
  return processState(pid) === 'alive';
}

const CLOCK_TICKS_PER_SECOND = 100;
let bootTimeMs: number | undefined;

function bootTime(): number {
  if (bootTimeMs === undefined) {
    const match = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    bootTimeMs = match?.[1] === undefined ? 0 : Number(match[1]) * 1000;
  }
  return bootTimeMs;
}

/**
 * When a process started (epoch ms, to 10 ms), from /proc/<pid>/stat. With pid_max 32768 a busy machine reuses
 * pids within minutes: a pid written down earlier names the same process only if its start time matches.
 */
export function processStartTime(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // Field 22 of stat is the start time in clock ticks since boot; fields here start at field 3.
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? bootTime() + (ticks * 1000) / CLOCK_TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}

export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

function allStats(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat !== undefined) stats.push(stat);
  }
  return stats;
}

/** The living processes of the trees rooted at `rootPids`, roots first. */
export function processTree(rootPids: readonly number[]): number[] {
  const childrenOf = new Map<number, number[]>();
  const alive = new Set<number>();
  for (const stat of allStats()) {
    if (stat.state === 'Z' || stat.state === 'X') continue;
    alive.add(stat.pid);
    const siblings = childrenOf.get(stat.parentPid) ?? [];
    siblings.push(stat.pid);
    childrenOf.set(stat.parentPid, siblings);
  }
  const tree: number[] = [];
  const seen = new Set<number>();
  const queue = rootPids.filter((pid) => alive.has(pid));
  while (queue.length > 0) {
    const pid = queue.shift();
    if (pid === undefined || seen.has(pid)) continue;
    seen.add(pid);
    tree.push(pid);
    queue.push(...(childrenOf.get(pid) ?? []));
  }
  return tree;
}

export function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Resolves true when every pid is dead (or a zombie) before the deadline. */
export async function waitForExit(pids: readonly number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (pids.every((pid) => !isAlive(pid))) return true;
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
}

export interface MemoryUse {
  readonly rssKiB: number;
  /** Proportional set size: shared pages (Postgres shared buffers) split between the processes sharing them. */
  readonly pssKiB: number;
}

function statusKiB(pid: number, file: 'status' | 'smaps_rollup', field: string): number {
  try {
    const text = readFileSync(`/proc/${pid}/${file}`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return match?.[1] === undefined ? 0 : Number(match[1]);
  } catch {
    return 0;
  }
}

export function memoryOf(pids: readonly number[]): MemoryUse {
  let rssKiB = 0;
  let pssKiB = 0;
  for (const pid of pids) {
    rssKiB += statusKiB(pid, 'status', 'VmRSS');
    pssKiB += statusKiB(pid, 'smaps_rollup', 'Pss');
  }
  return { rssKiB, pssKiB };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
