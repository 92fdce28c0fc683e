// The drills' clients: staff sessions at the gateway, writers that register patients under idempotency keys
// and retry unknown outcomes until a definitive answer, and readers of a cached route. Every logical write
// ends in the ledger with how it ended.
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { Agent } from 'node:http';
import { sleep } from '../proc';
import { describeOutcome, keepAliveAgent, send, type HttpOutcome } from './http';
import type { LedgerEntry } from './ledger';

export const DEMO_PASSWORD = 'mch-demo-2026!';
/** Staff allowed to register patients; writers are spread over them (an idempotency key is scoped to its caller). */
export const WRITER_ACCOUNTS = ['lufeng.clinician', 'pref.clinician', 'lufeng.midwife', 'shuangbai.midwife'] as const;

/** Access tokens live 10 minutes; a writer logs in again well before that. */
const TOKEN_REFRESH_AFTER_MS = 8 * 60_000;

export interface ClientPolicy {
  /** A logical write still unresolved after this long is recorded as unknown. */
  readonly retryBudgetMs: number;
  /** A client gives up on one HTTP answer after this long (the gateway's own deadline is 10 s). */
  readonly requestTimeoutMs: number;
  /** Jittered exponential backoff between attempts: a draw in [ceiling/2, ceiling], ceiling doubling. */
  readonly firstBackoffMs: number;
  readonly maxBackoffMs: number;
}

export const DEFAULT_CLIENT_POLICY: ClientPolicy = {
  retryBudgetMs: 60_000,
  requestTimeoutMs: 12_000,
  firstBackoffMs: 100,
  maxBackoffMs: 2_000,
};

export function backoffMs(policy: ClientPolicy, retry: number): number {
  const ceiling = Math.min(policy.maxBackoffMs, policy.firstBackoffMs * 2 ** Math.max(0, retry - 1));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/** An answer that settles a write: 2xx acknowledged, 4xx refused. Anything else leaves the outcome unknown. */
export function isDefinitive(outcome: HttpOutcome): outcome is Extract<HttpOutcome, { kind: 'answer' }> {
  return outcome.kind === 'answer' && outcome.status >= 200 && outcome.status < 500 && outcome.status !== 401;
}

class Counter {
  readonly counts = new Map<string, number>();
  add(label: string): void {
    this.counts.set(label, (this.counts.get(label) ?? 0) + 1);
  }
  toObject(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }
}

/** One access token per staff account, logged in once and shared by that account's writers. */
export class StaffSessions {
  private readonly tokens = new Map<string, { token: string; at: number }>();
  private readonly logins = new Map<string, Promise<string>>();

  constructor(
    private readonly gatewayUrl: string,
    private readonly agent: Agent,
    private readonly policy: ClientPolicy,
  ) {}

  async token(username: string): Promise<string> {
    const held = this.tokens.get(username);
    if (held !== undefined && Date.now() - held.at < TOKEN_REFRESH_AFTER_MS) return held.token;
    let pending = this.logins.get(username);
    if (pending === undefined) {
      pending = this.login(username).finally(() => this.logins.delete(username));
      this.logins.set(username, pending);
    }
    return pending;
  }

  /** A 401 means the token is no longer accepted: log in again (once, for all writers of the account). */
  invalidate(username: string, token: string): void {
    if (this.tokens.get(username)?.token === token) this.tokens.delete(username);
  }

  /** Logging in writes (a refresh token), so it too rides out a failover. */
  private async login(username: string): Promise<string> {
    const deadline = Date.now() + this.policy.retryBudgetMs;
    let last = '';
    for (let retry = 1; Date.now() < deadline; retry++) {
      const outcome = await send(this.agent, {
        method: 'POST',
        url: `${this.gatewayUrl}/v1/auth/login`,
        body: { username, password: DEMO_PASSWORD },
        timeoutMs: this.policy.requestTimeoutMs,
      });
      if (outcome.kind === 'answer' && outcome.status === 200) {
        const token = (JSON.parse(outcome.body) as { tokens: { accessToken: string } }).tokens.accessToken;
        this.tokens.set(username, { token, at: Date.now() });
        return token;
      }
      last =
        outcome.kind === 'answer' ? `HTTP ${outcome.status} ${outcome.body.slice(0, 200)}` : describeOutcome(outcome);
      if (outcome.kind === 'answer' && outcome.status >= 400 && outcome.status < 500 && outcome.status !== 429) break;
      await sleep(backoffMs(this.policy, retry));
    }
    throw new Error(`login ${username} failed: ${last}`);
  }
}

/** A unique patient: a random Latin name (stored as typed: lower case, no separators) and birth date. */
export interface Registration {
  readonly name: string;
  readonly birthDate: string;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

export function randomLetters(length: number): string {
  const bytes = randomBytes(length);
  return [...bytes].map((byte) => LETTERS[byte % LETTERS.length]).join('');
}

/** Names of one drill share a prefix, so that the checker finds every row the drill could have written. */
export function drillNamePrefix(): string {
  return `drill${randomLetters(6)}`;
}

export function newRegistration(prefix: string): Registration {
  const from = Date.UTC(1975, 0, 1);
  const to = Date.UTC(2007, 11, 31);
  const birthDate = new Date(from + randomInt(Math.floor((to - from) / 86_400_000)) * 86_400_000)
    .toISOString()
    .slice(0, 10);
  return { name: `${prefix}${randomLetters(14)}`, birthDate };
}

/** One HTTP attempt, kept for latency figures. */
export interface AttemptSample {
  readonly at: number;
  readonly ms: number;
  readonly label: string;
  readonly ok: boolean;
  /** A refusal that said when to come back (503/429 with Retry-After): what strict durability answers. */
  readonly retryAfter?: boolean;
}

export interface RegistrationLoadOptions {
  readonly gatewayUrl: string;
  readonly writers: number;
  readonly namePrefix: string;
  readonly policy?: ClientPolicy;
}

/**
 * N writers through the gateway, each registering one patient after another (no nationalId, so only the
 * idempotency key stands between a retried write and a duplicate row), each write with its own key.
 */
export class RegistrationLoad {
  /** Finished logical writes, in finishing order. */
  readonly entries: LedgerEntry[] = [];
  readonly attempts: AttemptSample[] = [];
  /** Every attempt's answer: `HTTP 200`, `HTTP 503`, `timeout`, `network error`, … */
  readonly answers = new Counter();
  /** The first bodies of each non-200 answer, for the report. */
  readonly answerExamples = new Map<string, string[]>();
  /** How the writes that met an unknown outcome ended. */
  readonly resolvedAfterUnknown = new Counter();
  readonly policy: ClientPolicy;
  readonly sessions: StaffSessions;
  private readonly agent: Agent;
  private running = false;
  private loops: Promise<void>[] = [];
  private inFlight = 0;
  /** Failures outside the write protocol (a login that could not be done): reported, never silent. */
  readonly clientErrors: string[] = [];

  constructor(private readonly options: RegistrationLoadOptions) {
    this.policy = options.policy ?? DEFAULT_CLIENT_POLICY;
    this.agent = keepAliveAgent(options.writers + 8);
    this.sessions = new StaffSessions(options.gatewayUrl, this.agent, this.policy);
  }

  get writing(): number {
    return this.inFlight;
  }

  start(): void {
    this.running = true;
    for (let writer = 0; writer < this.options.writers; writer++) {
      const account = WRITER_ACCOUNTS[writer % WRITER_ACCOUNTS.length] as string;
      this.loops.push(this.writerLoop(account));
    }
  }

  /** Stops starting new writes and waits until every write in flight has a final outcome. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
    this.agent.destroy();
  }

  /** The time the last acknowledgement before `at` finished, and the first one after. */
  acknowledgedAround(at: number): { before?: number; after?: number } {
    let before: number | undefined;
    let after: number | undefined;
    for (const entry of this.entries) {
      if (entry.outcome !== 'acknowledged') continue;
      if (entry.finishedAtMs <= at && (before === undefined || entry.finishedAtMs > before))
        before = entry.finishedAtMs;
      if (entry.finishedAtMs > at && (after === undefined || entry.finishedAtMs < after)) after = entry.finishedAtMs;
    }
    return { ...(before === undefined ? {} : { before }), ...(after === undefined ? {} : { after }) };
  }

  /** Resolves once a write started after `at` has been acknowledged (writes flow again). */
  async waitForAcknowledgementAfter(at: number, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const fresh = this.entries.find((entry) => entry.outcome === 'acknowledged' && entry.startedAtMs >= at);
      if (fresh !== undefined) return fresh.finishedAtMs;
      if (Date.now() > deadline)
        throw new Error(`no write started after the fault was acknowledged within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  private async writerLoop(account: string): Promise<void> {
    // Writers start spread over 200 ms rather than all in the same tick.
    await sleep(randomInt(200));
    while (this.running) {
      this.inFlight++;
      try {
        this.entries.push(await this.write(account, newRegistration(this.options.namePrefix)));
      } finally {
        this.inFlight--;
      }
    }
  }

  /** One logical write: the same key on every attempt until a definitive answer or the budget is spent. */
  private async write(account: string, registration: Registration): Promise<LedgerEntry> {
    const idempotencyKey = randomUUID();
    const startedAtMs = Date.now();
    const deadline = startedAtMs + this.policy.retryBudgetMs;
    let attempts = 0;
    let unknownAttempts = 0;
    let definitive: Extract<HttpOutcome, { kind: 'answer' }> | undefined;
    while (definitive === undefined && Date.now() < deadline) {
      let token: string;
      try {
        token = await this.sessions.token(account);
      } catch (error) {
        // No attempt was sent on this turn; the write stays in the ledger whatever happens.
        this.clientErrors.push(error instanceof Error ? error.message : String(error));
        await sleep(Math.min(backoffMs(this.policy, unknownAttempts + 1), Math.max(0, deadline - Date.now())));
        continue;
      }
      attempts++;
      const outcome = await send(this.agent, {
        method: 'POST',
        url: `${this.options.gatewayUrl}/v1/patients`,
        headers: { authorization: `Bearer ${token}`, 'idempotency-key': idempotencyKey },
        body: { name: registration.name, birthDate: registration.birthDate, sex: 'SEX_FEMALE', countyCode: 'lufeng' },
        timeoutMs: Math.min(this.policy.requestTimeoutMs, Math.max(1, deadline - Date.now())),
      });
      const label = describeOutcome(outcome);
      this.answers.add(label);
      if (!(outcome.kind === 'answer' && outcome.status === 200)) {
        const examples = this.answerExamples.get(label) ?? [];
        if (examples.length < 2)
          examples.push(
            outcome.kind === 'answer'
              ? outcome.body.slice(0, 300)
              : outcome.kind === 'network'
                ? outcome.error
                : `after ${outcome.ms} ms`,
          );
        this.answerExamples.set(label, examples);
      }
      this.attempts.push({
        at: Date.now(),
        ms: outcome.ms,
        label,
        ok: outcome.kind === 'answer' && outcome.status === 200,
        ...(outcome.kind === 'answer' && outcome.retryAfter !== undefined ? { retryAfter: true } : {}),
      });
      if (outcome.kind === 'answer' && outcome.status === 401) {
        // Nothing was done: the token was refused before the call reached the service.
        this.sessions.invalidate(account, token);
        await sleep(backoffMs(this.policy, 1));
        continue;
      }
      if (isDefinitive(outcome)) {
        definitive = outcome;
        break;
      }
      unknownAttempts++;
      await sleep(Math.min(backoffMs(this.policy, unknownAttempts), Math.max(0, deadline - Date.now())));
    }
    const outcome = definitive === undefined ? 'unknown' : definitive.status < 300 ? 'acknowledged' : 'failed';
    if (unknownAttempts > 0)
      this.resolvedAfterUnknown.add(
        definitive === undefined ? 'still unknown' : `${outcome} (HTTP ${definitive.status})`,
      );
    if (outcome === 'failed')
      this.clientErrors.push(`write refused: HTTP ${definitive?.status} ${definitive?.body.slice(0, 300)}`);
    return {
      element: registration.name,
      idempotencyKey,
      outcome,
      attempts,
      unknownAttempts,
      startedAtMs,
      finishedAtMs: Date.now(),
    };
  }
}

export interface ReadSample {
  readonly at: number;
  readonly ms: number;
  readonly label: string;
  readonly ok: boolean;
}

/** Readers of a cached route (an institution by id), one request after another, no retries: each answer counts. */
export class InstitutionReads {
  readonly samples: ReadSample[] = [];
  private readonly agent: Agent;
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly gatewayUrl: string,
    private readonly ids: readonly string[],
    private readonly readers: number,
    private readonly timeoutMs = 12_000,
  ) {
    if (ids.length === 0) throw new Error('no institution ids to read');
    this.agent = keepAliveAgent(readers + 4);
  }

  start(): void {
    this.running = true;
    for (let reader = 0; reader < this.readers; reader++) this.loops.push(this.readerLoop());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.agent.destroy();
  }

  private async readerLoop(): Promise<void> {
    await sleep(randomInt(200));
    while (this.running) {
      const id = this.ids[randomInt(this.ids.length)] as string;
      const outcome = await send(this.agent, {
        method: 'GET',
        url: `${this.gatewayUrl}/v1/institutions/${id}`,
        timeoutMs: this.timeoutMs,
      });
      this.samples.push({
        at: Date.now(),
        ms: outcome.ms,
        label: describeOutcome(outcome),
        ok: outcome.kind === 'answer' && outcome.status === 200,
      });
    }
  }
}
