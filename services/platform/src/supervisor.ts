// Runs the platform's child processes: logs each into its own file, probes readiness, restarts crashes with backoff, stops in order.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  type WriteStream,
} from 'node:fs';
import { join } from 'node:path';
import type { OsAccount } from './account';
import { commandLine, isAlive, processStartTime, processTree, signalAll, sleep, waitForExit } from './proc';

export type RestartPolicy = 'on-crash' | 'never';
export type ComponentState = 'stopped' | 'starting' | 'running' | 'backoff' | 'stopping';
export type Readiness = () => Promise<boolean>;

export interface ComponentSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Run under this account's uid/gid when it is a switched (non-root) account. */
  readonly account?: OsAccount;
  readonly restart: RestartPolicy;
  readonly readiness?: Readiness;
  readonly stopSignal?: NodeJS.Signals;
  readonly stopTimeoutMs?: number;
  /** Processes that belong to the component but left its process tree (Patroni's postmaster daemonizes). */
  readonly detachedPids?: () => number[];
}

export interface SupervisorOptions {
  readonly logDir: string;
  readonly runDir: string;
  readonly log: (line: string) => void;
}

const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;
/** A process that stayed up this long is considered healthy again: its next crash restarts quickly. */
const STABLE_AFTER_MS = 30_000;
const LOG_TAIL_LINES = 40;
/**
 * util-linux `setpriv --pdeathsig` makes the kernel send SIGTERM to a child when the platform process dies,
 * even by SIGKILL (a killed test run, an OOM kill): no component outlives its supervisor.
 */
const SETPRIV = '/usr/bin/setpriv';
const PARENT_DEATH_WRAPPER = existsSync(SETPRIV);

/** Crashes before the first readiness after which waiting is pointless: the component is broken, not slow. */
const CRASHES_BEFORE_GIVING_UP = 3;

interface PidRecord {
  readonly pid: number;
  readonly command: string;
  /** processStartTime of the pid when it was written: a reused pid has another start time. */
  readonly startedAtMs?: number;
}

/** A leftover pid still names the process this platform started (not a newer one that got the same pid). */
function sameProcess(record: PidRecord): boolean {
  if (!isAlive(record.pid)) return false;
  const executable = record.command.split('/').pop() ?? '';
  if (executable === '' || !commandLine(record.pid).includes(executable)) return false;
  if (record.startedAtMs === undefined) return true;
  const startedAt = processStartTime(record.pid);
  return startedAt !== undefined && Math.abs(startedAt - record.startedAtMs) < 2000;
}

export class ComponentNotReadyError extends Error {
  constructor(
    readonly component: string,
    reason: string,
    readonly logTail: readonly string[],
  ) {
    super(
      `${component} not ready: ${reason}${logTail.length > 0 ? `\n--- last lines of ${component} log ---\n${logTail.join('\n')}` : ''}`,
    );
    this.name = 'ComponentNotReadyError';
  }
}

/** One supervised process. */
export class Component {
  private child: ChildProcess | undefined;
  private currentState: ComponentState = 'stopped';
  private backoffMs = FIRST_BACKOFF_MS;
  private restartTimer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private readonly tail: string[] = [];
  private readonly logStream: WriteStream;
  private exitWaiters: Array<() => void> = [];
  private crashesSinceReady = 0;
  restarts = 0;

  constructor(
    readonly spec: ComponentSpec,
    private readonly options: SupervisorOptions,
  ) {
    this.logStream = createWriteStream(join(options.logDir, `${spec.name}.log`), { flags: 'a' });
  }

  get name(): string {
    return this.spec.name;
  }

  get state(): ComponentState {
    return this.currentState;
  }

  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  /** Every living process of the component: its tree and the processes that left it. */
  pids(): number[] {
    const roots = [...(this.pid === undefined ? [] : [this.pid]), ...(this.spec.detachedPids?.() ?? [])];
    return processTree(roots);
  }

  logTail(): string[] {
    return [...this.tail];
  }

  start(): void {
    if (this.currentState === 'starting' || this.currentState === 'running') return;
    this.clearRestartTimer();
    this.crashesSinceReady = 0;
    this.spawnChild();
  }

  /** Polls the readiness probe until it passes; fails early if the process stops for good. */
  async waitReady(timeoutMs: number): Promise<void> {
    const probe = this.spec.readiness;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.currentState === 'stopped' || this.currentState === 'stopping') {
        throw new ComponentNotReadyError(this.name, 'process is not running', this.tail.slice(-15));
      }
      if (this.currentState === 'running' && (probe === undefined || (await probe().catch(() => false)))) {
        this.backoffMs = FIRST_BACKOFF_MS;
        this.crashesSinceReady = 0;
        return;
      }
      if (this.crashesSinceReady >= CRASHES_BEFORE_GIVING_UP) {
        throw new ComponentNotReadyError(
          this.name,
          `crashed ${this.crashesSinceReady} times before becoming ready`,
          this.tail.slice(-15),
        );
      }
      if (Date.now() > deadline) {
        throw new ComponentNotReadyError(this.name, `no readiness within ${timeoutMs} ms`, this.tail.slice(-15));
      }
      await sleep(100);
    }
  }

  /** Graceful stop: the stop signal, then SIGKILL of what is left after the timeout. No restart follows. */
  async stop(): Promise<void> {
    this.clearRestartTimer();
    if (this.currentState === 'stopped') return;
    this.currentState = 'stopping';
    const pid = this.pid;
    const timeoutMs = this.spec.stopTimeoutMs ?? 30_000;
    if (pid !== undefined) {
      const exited = this.exited();
      signalAll([pid], this.spec.stopSignal ?? 'SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const inTime = await Promise.race([
        exited.then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
      ]);
      clearTimeout(timer);
      if (!inTime) {
        this.write(`did not stop within ${timeoutMs} ms; killing`);
        this.options.log(`${this.name}: did not stop within ${timeoutMs} ms, sending SIGKILL`);
      }
    }
    const leftovers = this.pids();
    if (leftovers.length > 0) {
      signalAll(leftovers, 'SIGKILL');
      await waitForExit(leftovers, 10_000);
    }
    await this.exited();
    this.currentState = 'stopped';
    this.removePidFile();
  }

  /** SIGKILL of every process of the component at once, as when its machine is lost. No restart follows. */
  async kill(): Promise<number[]> {
    this.clearRestartTimer();
    this.currentState = 'stopping';
    const victims = this.pids();
    // Freeze first so that no process of the tree reacts (respawns, promotes, logs) while the others die.
    signalAll(victims, 'SIGSTOP');
    signalAll(victims, 'SIGKILL');
    await waitForExit(victims, 10_000);
    await this.exited();
    this.currentState = 'stopped';
    this.removePidFile();
    return victims;
  }

  /** SIGKILL of the main process only, as in a crash: the restart policy applies. */
  crash(): number | undefined {
    const pid = this.pid;
    if (pid !== undefined) signalAll([pid], 'SIGKILL');
    return pid;
  }

  private exited(): Promise<void> {
    if (this.pid === undefined) return Promise.resolve();
    return new Promise((resolve) => this.exitWaiters.push(resolve));
  }

  private spawnChild(): void {
    const { spec } = this;
    this.currentState = 'starting';
    const account = spec.account?.switched === true ? spec.account : undefined;
    const [command, args] = PARENT_DEATH_WRAPPER
      ? [SETPRIV, ['--pdeathsig', 'TERM', '--', spec.command, ...spec.args]]
      : [spec.command, [...spec.args]];
    const child = spawn(command, args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group: a terminal's Ctrl-C reaches only the platform, which then stops children in order.
      detached: true,
      ...(account === undefined ? {} : { uid: account.uid, gid: account.gid }),
    });
    this.child = child;
    this.startedAt = Date.now();
    this.pipeLines(child.stdout);
    this.pipeLines(child.stderr);
    child.once('error', (error) => {
      this.write(`spawn failed: ${error.message}`);
      this.options.log(`${spec.name}: cannot start ${spec.command}: ${error.message}`);
    });
    child.once('spawn', () => {
      if (child.pid === undefined) return;
      if (this.currentState === 'starting') this.currentState = 'running';
      this.write(`started pid ${child.pid}: ${spec.command} ${spec.args.join(' ')}`);
      const startedAtMs = processStartTime(child.pid);
      this.writePidFile({
        pid: child.pid,
        command: spec.command,
        ...(startedAtMs === undefined ? {} : { startedAtMs }),
      });
    });
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    const waiters = this.exitWaiters;
    this.exitWaiters = [];
    const how = signal === null ? `code ${String(code)}` : `signal ${signal}`;
    this.write(`exited with ${how}`);
    const intentional = this.currentState === 'stopping' || this.currentState === 'stopped';
    if (!intentional) {
      this.crashesSinceReady += 1;
      if (Date.now() - this.startedAt > STABLE_AFTER_MS) this.backoffMs = FIRST_BACKOFF_MS;
      if (this.spec.restart === 'on-crash') {
        const delay = this.backoffMs;
        this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
        this.currentState = 'backoff';
        this.options.log(`${this.name} exited unexpectedly (${how}); restarting in ${delay} ms`);
        this.restartTimer = setTimeout(() => this.restartAfterCrash(), delay);
      } else {
        this.currentState = 'stopped';
        this.removePidFile();
        this.options.log(`${this.name} exited unexpectedly (${how}); not restarting`);
      }
    }
    for (const resolve of waiters) resolve();
  }

  private restartAfterCrash(): void {
    this.restartTimer = undefined;
    if (this.currentState !== 'backoff') return;
    this.restarts += 1;
    const begun = Date.now();
    this.spawnChild();
    this.waitReady(120_000).then(
      () =>
        this.options.log(`${this.name} restarted (restart #${this.restarts}), ready after ${Date.now() - begun} ms`),
      (error: unknown) =>
        this.write(
          `restart #${this.restarts} not ready: ${error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)}`,
        ),
    );
  }

  private clearRestartTimer(): void {
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
  }

  private pipeLines(stream: NodeJS.ReadableStream | null): void {
    if (stream === null) return;
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) this.write(line);
    });
    stream.on('end', () => {
      if (partial !== '') this.write(partial);
      partial = '';
    });
  }

  private write(line: string): void {
    this.tail.push(line);
    if (this.tail.length > LOG_TAIL_LINES) this.tail.shift();
    if (!this.logStream.writableEnded) this.logStream.write(`${new Date().toISOString()} ${this.name} | ${line}\n`);
  }

  private pidFile(): string {
    return join(this.options.runDir, `${this.name}.pid`);
  }

  private writePidFile(record: PidRecord): void {
    writeFileSync(this.pidFile(), JSON.stringify(record));
  }

  private removePidFile(): void {
    rmSync(this.pidFile(), { force: true });
  }

  closeLog(): Promise<void> {
    return new Promise((resolve) => this.logStream.end(resolve));
  }
}

/** The set of components of one platform, stopped in the reverse of their start order. */
export class Supervisor {
  private readonly components = new Map<string, Component>();
  private readonly startOrder: string[] = [];

  constructor(readonly options: SupervisorOptions) {
    mkdirSync(options.logDir, { recursive: true });
    mkdirSync(options.runDir, { recursive: true });
  }

  add(spec: ComponentSpec): Component {
    if (this.components.has(spec.name)) throw new Error(`component ${spec.name} already registered`);
    const component = new Component(spec, this.options);
    this.components.set(spec.name, component);
    return component;
  }

  get(name: string): Component | undefined {
    return this.components.get(name);
  }

  all(): Component[] {
    return [...this.components.values()];
  }

  /** Starts and waits for readiness. */
  async start(name: string, readyTimeoutMs: number): Promise<Component> {
    const component = this.components.get(name);
    if (component === undefined) throw new Error(`unknown component ${name}`);
    component.start();
    if (!this.startOrder.includes(name)) this.startOrder.push(name);
    await component.waitReady(readyTimeoutMs);
    return component;
  }

  /** Starts without waiting (the caller decides what readiness means). */
  launch(name: string): Component {
    const component = this.components.get(name);
    if (component === undefined) throw new Error(`unknown component ${name}`);
    component.start();
    if (!this.startOrder.includes(name)) this.startOrder.push(name);
    return component;
  }

  /** Stops groups one after another, the members of a group together; then everything else, newest first. */
  async stopAll(groups: readonly (readonly string[])[] = []): Promise<void> {
    const done = new Set<string>();
    for (const group of groups) {
      const members = group.map((name) => this.components.get(name)).filter((c): c is Component => c !== undefined);
      await Promise.all(members.map((component) => component.stop()));
      for (const member of members) done.add(member.name);
    }
    for (const name of [...this.startOrder].reverse()) {
      if (done.has(name)) continue;
      await this.components.get(name)?.stop();
    }
    await Promise.all(this.all().map((component) => component.closeLog()));
  }
}

/**
 * Processes left behind by a platform that was itself killed: each pid file names a process this platform
 * started; if it still runs the same command, it is stopped before anything new is started, in `rank` order
 * (lowest first), since the order matters as much as on a normal stop.
 */
export async function stopLeftoverComponents(
  runDir: string,
  rank: (component: string) => number,
  log: (line: string) => void,
): Promise<void> {
  if (!existsSync(runDir)) return;
  const leftovers: Array<{ component: string; path: string; record: PidRecord | undefined }> = [];
  for (const file of readdirSync(runDir)) {
    if (!file.endsWith('.pid')) continue;
    const path = join(runDir, file);
    let record: PidRecord | undefined;
    try {
      record = JSON.parse(readFileSync(path, 'utf8')) as PidRecord;
    } catch {
      record = undefined;
    }
    leftovers.push({ component: file.replace(/\.pid$/, ''), path, record });
  }
  leftovers.sort((a, b) => rank(a.component) - rank(b.component));
  for (const { component, path, record } of leftovers) {
    if (record !== undefined && sameProcess(record)) {
      log(`stopping leftover ${component} (pid ${record.pid}) from an earlier run`);
      const tree = processTree([record.pid]);
      signalAll([record.pid], 'SIGTERM');
      if (!(await waitForExit([record.pid], 60_000))) signalAll(tree, 'SIGKILL');
      await waitForExit(tree, 10_000);
    }
    rmSync(path, { force: true });
  }
}
