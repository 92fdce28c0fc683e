// `npm run bench:fanout`: message fan-out latency of consultation live delivery. Opens FANOUT_SUBSCRIBERS (100)
// server-sent event subscribers on one thread through the gateway, posts FANOUT_MESSAGES (50) messages one after
// another, and reports, over every (message, subscriber) pair, the time from just before the POST is sent to the
// event's arrival at the subscriber: p50/p90/p99/max, plus missing and duplicate deliveries (both must be 0).
// Against MCH_GATEWAY_URL when set (a platform with identity, consultation and gateway); otherwise it starts a
// platform of its own on free ports in a temporary directory and stops it afterwards.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { startPlatform, type Platform } from '../../services/platform/src/platform';
import { SseStream } from './sse-client';

const SUBSCRIBERS = Number(process.env.FANOUT_SUBSCRIBERS ?? 100);
const MESSAGES = Number(process.env.FANOUT_MESSAGES ?? 50);
const GAP_MS = Number(process.env.FANOUT_GAP_MS ?? 100);
const PASSWORD = 'mch-demo-2026!';

interface Session {
  token: string;
  institutionId: string;
}

async function call(
  gatewayUrl: string,
  method: string,
  route: string,
  token: string | undefined,
  body?: unknown,
): Promise<any> {
  const headers: Record<string, string> = { 'x-mch-purpose': 'consultation' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['idempotency-key'] = `fanout-${randomUUID()}`;
  const response = await fetch(`${gatewayUrl}${route}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function login(gatewayUrl: string, username: string): Promise<Session> {
  const { tokens } = await call(gatewayUrl, 'POST', '/v1/auth/login', undefined, { username, password: PASSWORD });
  const { account } = await call(gatewayUrl, 'GET', '/v1/me', tokens.accessToken);
  return { token: tokens.accessToken, institutionId: account.institutionId };
}

function percentile(sorted: readonly number[], p: number): number {
  const value = sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
  return Math.round(value * 10) / 10;
}

async function measure(gatewayUrl: string): Promise<void> {
  const county = await login(gatewayUrl, 'lufeng.clinician');
  const specialist = await login(gatewayUrl, 'pref.clinician');
  const midwife = await login(gatewayUrl, 'lufeng.midwife');
  const seq = String(Math.floor(Math.random() * 500) * 2).padStart(3, '0');
  const first17 = `53230119920304${seq}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((total, digit, i) => total + Number(digit) * (weights[i] as number), 0);
  const { patient } = await call(gatewayUrl, 'POST', '/v1/patients', midwife.token, {
    nationalId: first17 + '10X98765432'[sum % 11],
    name: '测试',
    countyCode: 'lufeng',
  });
  const { consultation } = await call(gatewayUrl, 'POST', '/v1/consultations', county.token, {
    kind: 'CONSULTATION_KIND_CLINICIAN_SPECIALIST',
    patientId: patient.id,
    addressedInstitutionId: specialist.institutionId,
    subject: 'fan-out benchmark',
  });
  await call(gatewayUrl, 'POST', `/v1/consultations/${consultation.id}/join`, specialist.token, {});

  const streams: SseStream[] = [];
  for (let i = 0; i < SUBSCRIBERS; i++) {
    const who = i % 2 === 0 ? county : specialist;
    const stream = await SseStream.open(`${gatewayUrl}/v1/consultations/${consultation.id}/events`, {
      authorization: `Bearer ${who.token}`,
      'x-mch-purpose': 'consultation',
      'last-event-id': '1',
    });
    if (stream.status !== 200) throw new Error(`subscriber ${i}: ${stream.status} ${JSON.stringify(stream.errorBody)}`);
    await stream.nextOf('ready');
    streams.push(stream);
  }
  // Each subscriber: the sequence numbers it received, and when.
  const received = streams.map(() => new Map<number, number[]>());
  const readers = streams.map(async (stream, index) => {
    const seen = received[index] as Map<number, number[]>;
    for (;;) {
      const event = await stream.next(60_000).catch(() => undefined);
      if (!event) return;
      if (event.event !== 'message') continue;
      const sequence = Number(event.id);
      seen.set(sequence, [...(seen.get(sequence) ?? []), event.receivedAt]);
    }
  });

  const postedAt = new Map<number, number>();
  const postLatencies: number[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const started = performance.now();
    const { message } = await call(
      gatewayUrl,
      'POST',
      `/v1/consultations/${consultation.id}/messages`,
      i % 2 === 0 ? county.token : specialist.token,
      { text: `fan-out ${i}` },
    );
    postLatencies.push(performance.now() - started);
    postedAt.set(Number(message.sequence), started);
    await new Promise((resolve) => setTimeout(resolve, GAP_MS));
  }
  // Let the last deliveries arrive: every subscriber has every sequence, or 10 s passed.
  const deadline = Date.now() + 10_000;
  while (
    Date.now() < deadline &&
    !received.every((seen) => [...postedAt.keys()].every((sequence) => seen.has(sequence)))
  ) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  for (const stream of streams) stream.close();
  await Promise.all(readers);

  const latencies: number[] = [];
  let missing = 0;
  let duplicates = 0;
  for (const seen of received) {
    for (const [sequence, started] of postedAt) {
      const arrivals = seen.get(sequence);
      if (!arrivals) missing++;
      else {
        latencies.push((arrivals[0] as number) - started);
        duplicates += arrivals.length - 1;
      }
    }
  }
  latencies.sort((a, b) => a - b);
  postLatencies.sort((a, b) => a - b);
  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'})`;
  process.stdout.write(
    [
      `consultation fan-out: ${SUBSCRIBERS} SSE subscribers on one thread through ${gatewayUrl}, ${MESSAGES} posts ${GAP_MS} ms apart; machine ${machine}`,
      '',
      '| measure | p50 ms | p90 ms | p99 ms | max ms | samples |',
      '|---|---:|---:|---:|---:|---:|',
      `| post → received by each subscriber | ${percentile(latencies, 0.5)} | ${percentile(latencies, 0.9)} | ${percentile(latencies, 0.99)} | ${percentile(latencies, 1)} | ${latencies.length} |`,
      `| POST /messages answered | ${percentile(postLatencies, 0.5)} | ${percentile(postLatencies, 0.9)} | ${percentile(postLatencies, 0.99)} | ${percentile(postLatencies, 1)} | ${postLatencies.length} |`,
      '',
      `missing deliveries: ${missing}, duplicate deliveries: ${duplicates}`,
      '',
    ].join('\n'),
  );
  if (missing > 0 || duplicates > 0) process.exitCode = 1;
}

async function main(): Promise<void> {
  const given = process.env.MCH_GATEWAY_URL;
  if (given) return measure(given);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'mch-fanout-'));
  let platform: Platform | undefined;
  try {
    process.stderr.write(
      'starting a platform of its own (identity, consultation, gateway); set MCH_GATEWAY_URL to use a running one\n',
    );
    platform = await startPlatform({
      dataDir,
      ports: 'free',
      services: ['identity', 'consultation', 'gateway'],
      log: (line) => process.stderr.write(`[platform] ${line}\n`),
    });
    await platform.waitForSync();
    await measure(platform.gatewayUrl);
  } finally {
    await platform?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
