// The ride-through drill (issue 33 §1): one platform under steady reads, writes (each with its Idempotency-Key) and
// live SSE subscribers goes through a planned switchover, the kill of the primary's zone, the loss of the
// synchronous standby and a Redis restart, one after the other; per event it reports what the clients saw —
// requests, client-visible errors, worst latency, the write gap — and whether a subscriber that resumed with
// Last-Event-ID missed a message. A client-visible error is any answer a client got that was not a success.
import { randomInt, randomUUID } from 'node:crypto';
import type { Agent } from 'node:http';
import { SseStream } from '../../../../loadtest/bench/sse-client';
import { drillRejoin } from '../failover';
import { otherZone, waitForCluster, type Zone } from '../patroni';
import type { Platform } from '../platform';
import { sleep } from '../proc';
import {
  base,
  checkBothZones,
  ledgerProblems,
  onThrowawayPlatform,
  type DrillContext,
  type DrillOptions,
  type DrillReport,
  type FinalCluster,
} from './drills';
import { describeOutcome, keepAliveAgent, send, type HttpOutcome } from './http';
import { longestWriteGapMs } from './ledger';
import { drillNamePrefix, isDefinitive, newRegistration, RegistrationLoad, StaffSessions, backoffMs } from './load';
import type { LedgerSummary } from './verify';

export const RIDE_THROUGH_EVENTS = ['switchover', 'zone-kill', 'standby-loss', 'redis-restart'] as const;
export type RideThroughEvent = (typeof RIDE_THROUGH_EVENTS)[number];

const CONSULTATION_PURPOSE = { 'x-mch-purpose': 'consultation' };
const READ_PURPOSE = { 'x-mch-purpose': 'treatment' };
/** Time the load runs between events, so that each event's window starts from a steady state. */
const SETTLE_MS = 3_000;

/** One HTTP exchange a client made, for the per-event figures. */
interface Sample {
  readonly at: number;
  readonly ms: number;
  readonly label: string;
  readonly ok: boolean;
  readonly retryAfter?: boolean;
  /** What was asked, and the start of the answer, for a failure. */
  readonly example?: string;
}

export interface SseFigures {
  readonly subscribers: number;
  /** Streams that ended (interrupted or cut) and were opened again with Last-Event-ID. */
  readonly resumes: number;
  /** Opening a stream answered with something else than 200 (each is a client-visible error). */
  readonly refusedOpens: number;
  /** Messages acknowledged to the poster in the window that some subscriber never received (summed). */
  readonly missed: number;
  /** Messages a subscriber received twice (a resume replayed one it had). */
  readonly duplicates: number;
  readonly postedAcknowledged: number;
}

export interface EventFigures {
  readonly event: RideThroughEvent;
  readonly detail: string;
  /** From the event's start to the end of its window (repair done, plus the settle time). */
  readonly windowMs: number;
  readonly requests: number;
  readonly clientVisibleErrors: number;
  readonly errors: Readonly<Record<string, number>>;
  /** The first few failures as `request: answer`. */
  readonly errorExamples: readonly string[];
  /** Refusals that carried Retry-After (strict durability's 503 while the standby is away). */
  readonly refusedWithRetryAfter: number;
  /** The slowest single HTTP answer any client waited for in the window. */
  readonly worstLatencyMs: number;
  /** The slowest logical write (first attempt → its final answer, retries under the same key included). */
  readonly worstWriteMs: number;
  readonly writeGapMs: number;
  /** worst latency ≤ write gap + 1 s (the issue's target; reported, never asserted on). */
  readonly latencyTargetMet: boolean;
  readonly sse: SseFigures;
}

export interface RideThroughReport extends DrillReport {
  readonly durability: 'available' | 'strict';
  readonly writers: number;
  readonly readers: number;
  readonly events: readonly EventFigures[];
  readonly ledger: LedgerSummary;
  readonly standbyLedger: LedgerSummary;
  readonly finalCluster: FinalCluster;
}

/** Readers alternating a cached route (an institution) and a patient read (database, audited), no retries. */
class Readers {
  readonly samples: Sample[] = [];
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly gatewayUrl: string,
    private readonly agent: Agent,
    private readonly sessions: StaffSessions,
    private readonly institutionIds: readonly string[],
    private readonly patientIds: readonly string[],
    private readonly count: number,
  ) {}

  start(): void {
    this.running = true;
    for (let reader = 0; reader < this.count; reader++) this.loops.push(this.loop(reader));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async loop(reader: number): Promise<void> {
    await sleep(randomInt(200));
    for (let turn = reader; this.running; turn++) {
      const patient = turn % 2 === 1 && this.patientIds.length > 0;
      let token: string | undefined;
      if (patient) token = await this.sessions.token('lufeng.clinician').catch(() => undefined);
      const outcome = await send(this.agent, {
        method: 'GET',
        url: patient
          ? `${this.gatewayUrl}/v1/patients/${this.patientIds[randomInt(this.patientIds.length)] ?? ''}`
          : `${this.gatewayUrl}/v1/institutions/${this.institutionIds[randomInt(this.institutionIds.length)] ?? ''}`,
        headers: patient && token !== undefined ? { authorization: `Bearer ${token}`, ...READ_PURPOSE } : {},
        timeoutMs: 12_000,
      });
      if (patient && token !== undefined && outcome.kind === 'answer' && outcome.status === 401)
        this.sessions.invalidate('lufeng.clinician', token);
      this.samples.push(sampleOf(outcome, patient ? 'GET /v1/patients/{id}' : 'GET /v1/institutions/{id}'));
      await sleep(20);
    }
  }
}

function sampleOf(outcome: HttpOutcome, what: string): Sample {
  const ok = outcome.kind === 'answer' && outcome.status >= 200 && outcome.status < 300;
  return {
    at: Date.now(),
    ms: outcome.ms,
    label: describeOutcome(outcome),
    ok,
    ...(outcome.kind === 'answer' && outcome.retryAfter !== undefined ? { retryAfter: true } : {}),
    ...(ok
      ? {}
      : { example: `${what}: ${outcome.kind === 'answer' ? outcome.body.slice(0, 200) : describeOutcome(outcome)}` }),
  };
}

/** Posts a message to the thread every 250 ms, each under its own key, retried until a definitive answer. */
class Poster {
  readonly samples: Sample[] = [];
  /** Acknowledged messages: sequence → when the poster heard the acknowledgement. */
  readonly acknowledged = new Map<number, number>();
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();

  constructor(
    private readonly gatewayUrl: string,
    private readonly agent: Agent,
    private readonly sessions: StaffSessions,
    private readonly consultationId: string,
  ) {}

  start(): void {
    this.running = true;
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loopDone;
  }

  private async loop(): Promise<void> {
    for (let n = 1; this.running; n++) {
      await this.post(`ride-through ${n}`);
      await sleep(250);
    }
  }

  private async post(text: string): Promise<void> {
    const key = randomUUID();
    const deadline = Date.now() + 60_000;
    for (let retry = 1; Date.now() < deadline; retry++) {
      let token: string;
      try {
        token = await this.sessions.token('pref.clinician');
      } catch {
        await sleep(
          backoffMs({ retryBudgetMs: 0, requestTimeoutMs: 0, firstBackoffMs: 100, maxBackoffMs: 2000 }, retry),
        );
        continue;
      }
      const outcome = await send(this.agent, {
        method: 'POST',
        url: `${this.gatewayUrl}/v1/consultations/${this.consultationId}/messages`,
        headers: { authorization: `Bearer ${token}`, 'idempotency-key': key, ...CONSULTATION_PURPOSE },
        body: { text, textNotSensitive: true },
        timeoutMs: 12_000,
      });
      this.samples.push(sampleOf(outcome, 'POST /v1/consultations/{id}/messages'));
      if (outcome.kind === 'answer' && outcome.status === 401) this.sessions.invalidate('pref.clinician', token);
      else if (isDefinitive(outcome)) {
        if (outcome.status === 200) {
          const sequence = Number((JSON.parse(outcome.body) as { message?: { sequence?: string } }).message?.sequence);
          if (Number.isFinite(sequence)) this.acknowledged.set(sequence, Date.now());
        }
        return;
      }
      await sleep(backoffMs({ retryBudgetMs: 0, requestTimeoutMs: 0, firstBackoffMs: 100, maxBackoffMs: 2000 }, retry));
    }
  }
}

/** A live subscriber: reads the thread's events and, whenever its stream ends, resumes with Last-Event-ID. */
class Subscriber {
  readonly received = new Map<number, number>();
  duplicates = 0;
  /** When each resume happened. */
  readonly resumes: number[] = [];
  readonly refusedOpens: Sample[] = [];
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private stream: SseStream | undefined;
  private lastEventId: string | undefined;

  constructor(
    private readonly gatewayUrl: string,
    private readonly sessions: StaffSessions,
    private readonly consultationId: string,
  ) {}

  get highest(): number {
    return this.received.size === 0 ? 0 : Math.max(...this.received.keys());
  }

  async start(): Promise<void> {
    this.running = true;
    await this.open(false);
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stream?.close();
    await this.loopDone;
  }

  /** Opens the stream (resuming after the last id seen); true once it is attached. */
  private async open(resume: boolean): Promise<boolean> {
    const began = Date.now();
    let token: string;
    try {
      token = await this.sessions.token('lufeng.clinician');
    } catch (error) {
      this.refusedOpens.push({ at: Date.now(), ms: Date.now() - began, label: 'login failed', ok: false });
      void error;
      return false;
    }
    try {
      const stream = await SseStream.open(`${this.gatewayUrl}/v1/consultations/${this.consultationId}/events`, {
        authorization: `Bearer ${token}`,
        ...CONSULTATION_PURPOSE,
        ...(this.lastEventId === undefined ? {} : { 'last-event-id': this.lastEventId }),
      });
      if (stream.status !== 200) {
        if (stream.status === 401) this.sessions.invalidate('lufeng.clinician', token);
        this.refusedOpens.push({ at: Date.now(), ms: Date.now() - began, label: `HTTP ${stream.status}`, ok: false });
        return false;
      }
      this.stream = stream;
      if (resume) this.resumes.push(Date.now());
      return true;
    } catch (error) {
      this.refusedOpens.push({
        at: Date.now(),
        ms: Date.now() - began,
        label: `network error ${error instanceof Error ? error.message : String(error)}`.slice(0, 80),
        ok: false,
      });
      return false;
    }
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const stream = this.stream;
      if (stream === undefined) {
        // The stream's `retry: 1000`, as an EventSource would wait.
        await sleep(1000);
        if (this.running) await this.open(true);
        continue;
      }
      let event;
      try {
        event = await stream.next(500);
      } catch {
        continue; // quiet for 500 ms: look at `running` again
      }
      if (event === undefined) {
        this.stream = undefined;
        continue;
      }
      if (event.event !== 'message') continue;
      if (event.id !== undefined) this.lastEventId = event.id;
      const sequence = Number(event.id);
      if (this.received.has(sequence)) this.duplicates++;
      else this.received.set(sequence, Date.now());
    }
  }
}

interface Window {
  readonly event: RideThroughEvent;
  readonly detail: string;
  readonly from: number;
  readonly to: number;
}

async function institutionIds(gatewayUrl: string, agent: Agent): Promise<string[]> {
  const outcome = await send(agent, {
    method: 'GET',
    url: `${gatewayUrl}/v1/institutions?pageSize=50`,
    timeoutMs: 10_000,
  });
  if (outcome.kind !== 'answer' || outcome.status !== 200)
    throw new Error(`GET /v1/institutions: ${describeOutcome(outcome)}`);
  return (JSON.parse(outcome.body) as { institutions: Array<{ id: string }> }).institutions.map((i) => i.id);
}

async function ok(outcome: Promise<HttpOutcome>, what: string): Promise<Record<string, unknown>> {
  const answer = await outcome;
  if (answer.kind !== 'answer' || answer.status !== 200)
    throw new Error(`${what}: ${describeOutcome(answer)} ${answer.kind === 'answer' ? answer.body.slice(0, 300) : ''}`);
  return JSON.parse(answer.body) as Record<string, unknown>;
}

/** A few patients to read, and a clinician-specialist thread (Lufeng clinician → prefecture clinician) to follow. */
async function prepare(
  gatewayUrl: string,
  agent: Agent,
  sessions: StaffSessions,
  prefix: string,
): Promise<{ patientIds: string[]; consultationId: string }> {
  const midwife = await sessions.token('lufeng.midwife');
  const patientIds: string[] = [];
  for (let n = 0; n < 5; n++) {
    const registration = newRegistration(prefix);
    const body = await ok(
      send(agent, {
        method: 'POST',
        url: `${gatewayUrl}/v1/patients`,
        headers: { authorization: `Bearer ${midwife}`, 'idempotency-key': randomUUID() },
        body: { name: registration.name, birthDate: registration.birthDate, sex: 'SEX_FEMALE', countyCode: 'lufeng' },
        timeoutMs: 15_000,
      }),
      'register a patient to read',
    );
    patientIds.push((body['patient'] as { id: string }).id);
  }
  const county = await sessions.token('lufeng.clinician');
  const specialist = await sessions.token('pref.clinician');
  const me = await ok(
    send(agent, {
      method: 'GET',
      url: `${gatewayUrl}/v1/me`,
      headers: { authorization: `Bearer ${specialist}` },
      timeoutMs: 10_000,
    }),
    'GET /v1/me',
  );
  const institutionId = (me['account'] as { institutionId?: string }).institutionId ?? '';
  const created = await ok(
    send(agent, {
      method: 'POST',
      url: `${gatewayUrl}/v1/consultations`,
      headers: { authorization: `Bearer ${county}`, 'idempotency-key': randomUUID(), ...CONSULTATION_PURPOSE },
      body: {
        kind: 'CONSULTATION_KIND_CLINICIAN_SPECIALIST',
        patientId: patientIds[0],
        addressedInstitutionId: institutionId,
        text: '请会诊',
      },
      timeoutMs: 15_000,
    }),
    'open a consultation',
  );
  const consultationId = (created['consultation'] as { id: string }).id;
  await ok(
    send(agent, {
      method: 'POST',
      url: `${gatewayUrl}/v1/consultations/${consultationId}/join`,
      headers: { authorization: `Bearer ${specialist}`, 'idempotency-key': randomUUID(), ...CONSULTATION_PURPOSE },
      body: {},
      timeoutMs: 15_000,
    }),
    'join the consultation',
  );
  return { patientIds, consultationId };
}

/** Each event, run to its repair: the cluster in sync again (or Redis back) before the next one starts. */
async function runEvent(
  event: RideThroughEvent,
  platform: Platform,
  load: RegistrationLoad,
  seconds: number,
  log: (line: string) => void,
): Promise<string> {
  const urls = Object.values(platform.patroniUrls);
  const before = await platform.waitForSync();
  const leader = before.leader as Zone;
  switch (event) {
    case 'switchover': {
      const to = otherZone(leader);
      const answer = await platform.switchover(to);
      log(`switchover ${leader} -> ${to}: Patroni answered after ${answer.apiMs} ms`);
      await waitForCluster(urls, (s) => s.leader === to && s.syncStandby === leader && s.inSync, 120_000, 'sync pair');
      return `${leader} -> ${to}, POST /switchover ${answer.apiMs} ms`;
    }
    case 'zone-kill': {
      const survivor = otherZone(leader);
      const killAt = Date.now();
      const killed = await platform.killZone(leader);
      log(`kill -9 of ${leader} (the primary, ${killed.length} processes)`);
      try {
        await waitForCluster(urls, (s) => s.leader === survivor, 60_000, `${survivor} to lead`);
        log(`${survivor} leads after ${Date.now() - killAt} ms`);
        // Under strict durability the survivor has no standby: writes are refused (503, Retry-After) until the
        // lost zone is back, so there is no write to wait for.
        if (platform.durability !== 'strict') await load.waitForAcknowledgementAfter(killAt, 120_000);
        await sleep(seconds * 1000);
      } finally {
        const rejoin = await drillRejoin(platform, leader, 180_000);
        log(`${leader} restarted: synchronous standby again after ${rejoin.rejoinMs} ms`);
      }
      return `${leader} killed, ${survivor} led`;
    }
    case 'standby-loss': {
      const standby = before.syncStandby as Zone;
      await platform.killZone(standby);
      log(`kill -9 of ${standby} (the synchronous standby)`);
      try {
        await sleep(seconds * 1000);
      } finally {
        const rejoin = await drillRejoin(platform, standby, 180_000);
        log(`${standby} restarted: synchronous standby again after ${rejoin.rejoinMs} ms`);
      }
      return `${standby} killed for ${seconds} s, ${leader} primary (${platform.durability})`;
    }
    case 'redis-restart': {
      const killed = await platform.killRedis();
      log(`redis killed (${killed.length} process)`);
      await sleep(Math.min(seconds, 5) * 1000);
      await platform.startRedis();
      log('redis restarted (empty)');
      return `Redis down ${Math.min(seconds, 5)} s, restarted empty`;
    }
  }
}

function figures(
  window: Window,
  samples: readonly Sample[],
  load: RegistrationLoad,
  poster: Poster,
  subscribers: readonly Subscriber[],
): EventFigures {
  const inWindow = samples.filter((sample) => sample.at >= window.from && sample.at <= window.to);
  const errors: Record<string, number> = {};
  for (const sample of inWindow) if (!sample.ok) errors[sample.label] = (errors[sample.label] ?? 0) + 1;
  const writes = load.entries.filter((entry) => entry.finishedAtMs >= window.from && entry.finishedAtMs <= window.to);
  const writeGapMs = longestWriteGapMs(load.entries, window.from - 1000, window.to);
  const worstLatencyMs = inWindow.reduce((worst, sample) => Math.max(worst, sample.ms), 0);
  const posted = [...poster.acknowledged].filter(([, at]) => at >= window.from && at <= window.to);
  let missed = 0;
  for (const subscriber of subscribers)
    missed += posted.filter(([sequence]) => !subscriber.received.has(sequence)).length;
  return {
    event: window.event,
    detail: window.detail,
    windowMs: window.to - window.from,
    requests: inWindow.length,
    clientVisibleErrors: inWindow.filter((sample) => !sample.ok).length,
    errors,
    errorExamples: [
      ...new Set(inWindow.flatMap((sample) => (sample.example === undefined ? [] : [sample.example]))),
    ].slice(0, 4),
    refusedWithRetryAfter: inWindow.filter((sample) => !sample.ok && sample.retryAfter === true).length,
    worstLatencyMs,
    worstWriteMs: writes.reduce((worst, entry) => Math.max(worst, entry.finishedAtMs - entry.startedAtMs), 0),
    writeGapMs,
    latencyTargetMet: worstLatencyMs <= writeGapMs + 1000,
    sse: {
      subscribers: subscribers.length,
      resumes: subscribers.reduce(
        (n, s) => n + s.resumes.filter((at) => at >= window.from && at <= window.to).length,
        0,
      ),
      refusedOpens: subscribers.reduce(
        (n, s) => n + s.refusedOpens.filter((o) => o.at >= window.from && o.at <= window.to).length,
        0,
      ),
      missed,
      duplicates: subscribers.reduce((n, s) => n + s.duplicates, 0),
      postedAcknowledged: posted.length,
    },
  };
}

export function rideThrough(options: DrillOptions): Promise<RideThroughReport> {
  const services = options.services.some((s) => (typeof s === 'string' ? s : s.name) === 'consultation')
    ? options.services
    : [...options.services, 'consultation' as const];
  return onThrowawayPlatform({ ...options, services }, async (context: DrillContext) => {
    const { platform } = context;
    const agent = keepAliveAgent(options.readers + 16);
    const sessions = new StaffSessions(platform.gatewayUrl, agent, options.policy);
    const namePrefix = drillNamePrefix();
    // The patients read have a prefix of their own: the writers' ledger must not count them as unexpected.
    const { patientIds, consultationId } = await prepare(platform.gatewayUrl, agent, sessions, drillNamePrefix());
    const ids = await institutionIds(platform.gatewayUrl, agent);
    const load = new RegistrationLoad({
      gatewayUrl: platform.gatewayUrl,
      writers: options.writers,
      namePrefix,
      policy: options.policy,
    });
    const readers = new Readers(platform.gatewayUrl, agent, sessions, ids, patientIds, options.readers);
    const poster = new Poster(platform.gatewayUrl, agent, sessions, consultationId);
    const subscribers = Array.from(
      { length: options.subscribers ?? 3 },
      () => new Subscriber(platform.gatewayUrl, sessions, consultationId),
    );
    for (const subscriber of subscribers) await subscriber.start();
    const windows: Window[] = [];
    const problems: string[] = [];
    load.start();
    readers.start();
    poster.start();
    try {
      await sleep(options.warmupSeconds * 1000);
      options.log(
        `load: ${options.writers} writers, ${options.readers} readers, 1 poster, ${subscribers.length} SSE subscribers; ${load.entries.length} writes in the warm-up`,
      );
      for (const event of RIDE_THROUGH_EVENTS) {
        const from = Date.now();
        options.log(`event ${event}`);
        let detail: string;
        try {
          detail = await runEvent(event, platform, load, options.seconds ?? 5, options.log);
        } catch (error) {
          detail = `FAILED: ${error instanceof Error ? error.message : String(error)}`;
          problems.push(`${event}: ${detail}`);
        }
        await platform.waitForSync().catch(() => undefined);
        await sleep(SETTLE_MS);
        windows.push({ event, detail, from, to: Date.now() });
      }
    } finally {
      await poster.stop();
      // Subscribers get the time to receive the last messages before they stop.
      const last = Math.max(0, ...poster.acknowledged.keys());
      const until = Date.now() + 15_000;
      while (Date.now() < until && subscribers.some((s) => s.highest < last)) await sleep(100);
      await Promise.all(subscribers.map((subscriber) => subscriber.stop()));
      await readers.stop();
      await load.stop();
    }
    agent.destroy();
    const samples = [
      ...readers.samples,
      ...load.attempts,
      ...poster.samples,
      ...subscribers.flatMap((s) => s.refusedOpens),
    ];
    const events = windows.map((window) => figures(window, samples, load, poster, subscribers));
    const { ledger, standbyLedger, finalCluster } = await checkBothZones(context, load, namePrefix);
    ledgerProblems(ledger, problems);
    ledgerProblems(standbyLedger, problems);
    const strict = platform.durability === 'strict';
    for (const figure of events) {
      // Strict durability refuses writes while the standby is away, with 503 and Retry-After: that is its contract.
      // A zone kill leaves the survivor without a standby too, until the zone rejoins.
      const expected =
        strict && (figure.event === 'standby-loss' || figure.event === 'zone-kill') ? figure.refusedWithRetryAfter : 0;
      if (figure.clientVisibleErrors - expected > 0)
        problems.push(
          `${figure.event}: ${figure.clientVisibleErrors - expected} client-visible errors ${JSON.stringify(figure.errors)}`,
        );
      if (figure.sse.missed > 0) problems.push(`${figure.event}: SSE subscribers missed ${figure.sse.missed} messages`);
      if (figure.sse.refusedOpens > 0)
        problems.push(`${figure.event}: ${figure.sse.refusedOpens} SSE resumes were refused`);
    }
    const allMissed = subscribers.reduce(
      (n, s) => n + [...poster.acknowledged.keys()].filter((sequence) => !s.received.has(sequence)).length,
      0,
    );
    if (allMissed > 0) problems.push(`SSE subscribers missed ${allMissed} acknowledged messages over the whole run`);
    if (strict && !events.some((e) => e.refusedWithRetryAfter > 0))
      problems.push('strict durability: no write was refused with 503 and Retry-After while a zone was away');
    return {
      ...base('ride-through', context, problems),
      durability: platform.durability,
      writers: options.writers,
      readers: options.readers,
      events,
      ledger,
      standbyLedger,
      finalCluster,
    };
  });
}

const ms = (value: number): string => `${Math.round(value)} ms`;

export function describeRideThrough(report: RideThroughReport): string[] {
  const lines = [
    `load         ${report.writers} writers (POST /v1/patients, Idempotency-Key), ${report.readers} readers (institution / patient), 1 poster + ${report.events[0]?.sse.subscribers ?? 0} SSE subscribers of one thread; durability ${report.durability}`,
  ];
  for (const e of report.events) {
    lines.push(
      `${e.event.padEnd(13)}${e.detail}`,
      `  requests   ${e.requests} in ${ms(e.windowMs)}; client-visible errors ${e.clientVisibleErrors}${e.clientVisibleErrors > 0 ? ` ${JSON.stringify(e.errors)}` : ''}${e.refusedWithRetryAfter > 0 ? ` (${e.refusedWithRetryAfter} with Retry-After)` : ''}`,
      ...e.errorExamples.map((example) => `  example    ${example}`),
      `  latency    worst answer ${ms(e.worstLatencyMs)}, worst logical write ${ms(e.worstWriteMs)}; write gap ${ms(e.writeGapMs)}; target worst ≤ gap + 1 s ${e.latencyTargetMet ? 'met' : 'NOT met'}`,
      `  sse        ${e.sse.postedAcknowledged} messages acknowledged; ${e.sse.resumes} resumes with Last-Event-ID, ${e.sse.refusedOpens} refused; missed ${e.sse.missed}, duplicates ${e.sse.duplicates}`,
    );
  }
  return lines;
}
