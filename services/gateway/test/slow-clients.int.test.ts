// Slow clients, on a gateway of the test's own with small bounds in front of the platform's services: a client that
// trickles its headers or its body is cut off within the configured bound, a crowd of such clients does not hold up
// anyone else, and a live-event subscriber that stops reading is disconnected once it is too far behind instead of
// the gateway buffering for it without bound, while a subscriber that reads keeps every message.
import { connect, type Socket } from 'node:net';
import { freePort, ServiceProcess, waitFor } from '../../common/test/processes';
import { readTestPlatform } from '../../platform/test/platform-env';
import {
  consultationPurpose,
  newPatient,
  nextMessages,
  ok,
  openJoinedThread,
  session,
  subscribe,
  type Session,
} from '../../consultation/test/support';
import { Api } from '../../identity/test/support';

jest.setTimeout(120_000);

const platform = readTestPlatform();
const HEADERS_MS = 1_000;
const BODY_MS = 1_500;
const SSE_BUFFER_BYTES = 64 * 1024;

let gateway: ServiceProcess;
let url: string;
let port: number;

beforeAll(async () => {
  port = await freePort();
  const addresses = Object.fromEntries(
    Object.entries(platform.serviceAddresses).map(([name, address]) => [`${name.toUpperCase()}_SERVICE_ADDR`, address]),
  );
  gateway = new ServiceProcess('gateway', {
    ...addresses,
    HTTP_PORT: String(port),
    GATEWAY_HEADERS_TIMEOUT_MS: String(HEADERS_MS),
    GATEWAY_BODY_TIMEOUT_MS: String(BODY_MS),
    GATEWAY_SSE_BUFFER_BYTES: String(SSE_BUFFER_BYTES),
    GATEWAY_RATE_LIMIT_PER_ADDRESS: '0',
    GATEWAY_RATE_LIMIT_PER_TOKEN: '0',
  }).start();
  url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/readyz`)).status === 200, 30_000, 'the slow-client gateway');
});

afterAll(async () => {
  await gateway?.stop();
});

interface Trickle {
  readonly socket: Socket;
  /** Resolves when the server closes the connection: what it sent, and after how long. */
  readonly closed: Promise<{ answer: string; ms: number }>;
  stop(): void;
}

/** Opens a connection, sends `head` at once, then one byte of `rest` every `everyMs`. */
function trickle(head: string, rest: string, everyMs: number): Trickle {
  const socket = connect(port, '127.0.0.1');
  const began = Date.now();
  let answer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (answer += chunk));
  socket.on('error', () => undefined);
  const closed = new Promise<{ answer: string; ms: number }>((resolve) =>
    socket.on('close', () => resolve({ answer, ms: Date.now() - began })),
  );
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  socket.on('connect', () => {
    socket.write(head);
    timer = setInterval(() => {
      if (socket.destroyed || sent >= rest.length) return clearInterval(timer);
      socket.write(rest[sent++] ?? '');
    }, everyMs);
  });
  socket.on('close', () => clearInterval(timer));
  return { socket, closed, stop: () => socket.destroy() };
}

const endlessHeaders = 'X-Padding: ' + 'a'.repeat(10_000);

it('cuts off a client that trickles its headers within the headers bound', async () => {
  const slow = trickle('GET /v1/institutions HTTP/1.1\r\nHost: gateway\r\n', endlessHeaders, 100);
  const { answer, ms } = await slow.closed;
  process.stderr.write(
    `[slow clients] headers trickled: closed after ${ms} ms (bound ${HEADERS_MS} ms): ${answer.split('\r\n')[0] || '(no answer)'}\n`,
  );
  expect(answer.startsWith('HTTP/1.1 408')).toBe(true);
  // Cut near the bound, not at Node's 60 s default or never: bound + the checking interval + slack.
  expect(ms).toBeLessThan(HEADERS_MS * 3);
});

it('cuts off a client that trickles its body with a 408 within the body bound', async () => {
  const body = JSON.stringify({ username: 'lufeng.midwife', password: 'mch-demo-2026!' });
  const slow = trickle(
    `POST /v1/auth/login HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    body,
    200,
  );
  const { answer, ms } = await slow.closed;
  process.stderr.write(
    `[slow clients] body trickled: closed after ${ms} ms (bound ${BODY_MS} ms): ${answer.split('\r\n')[0]}\n`,
  );
  expect(answer.startsWith('HTTP/1.1 408')).toBe(true);
  expect(answer).toContain('"message":"request body not received within');
  expect(ms).toBeLessThan(BODY_MS * 3);
  // A body that arrives in time at the same trickle's pace is served (the bound is on the whole body, not a pause).
  const quick = trickle(
    `POST /v1/auth/login HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
    body,
    5,
  );
  expect((await quick.closed).answer.startsWith('HTTP/1.1 200')).toBe(true);
});

it('serves everyone else while fifty slow clients hold connections', async () => {
  const crowd = Array.from({ length: 50 }, (_, i) =>
    i % 2 === 0
      ? trickle('GET /v1/institutions HTTP/1.1\r\nHost: gateway\r\n', endlessHeaders, 200)
      : trickle(
          'POST /v1/auth/login HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n',
          'x'.repeat(1000),
          200,
        ),
  );
  try {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => fetch(`${url}/v1/institutions?pageSize=5`).then((response) => response.status)),
    );
    expect(answers).toEqual(Array.from({ length: 20 }, () => 200));
    expect(crowd.filter((client) => client.socket.destroyed)).toHaveLength(0);
  } finally {
    for (const client of crowd) client.stop();
  }
});

it('disconnects a live subscriber that stops reading once it is too far behind, and the reading one gets every message', async () => {
  const api = new Api(url);
  const county: Session = await session(api, 'lufeng.clinician');
  const specialist: Session = await session(api, 'pref.clinician');
  const midwife: Session = await session(api, 'lufeng.midwife');
  const patientId = await newPatient(api, midwife);
  const consultation = { id: await openJoinedThread(api, county, specialist, patientId) };
  const reader = await subscribe(url, consultation.id, county, '2');

  // The subscriber that stops reading: it reads the answer's head, then never again.
  const stalled = connect(port, '127.0.0.1');
  const head = await new Promise<string>((resolve, reject) => {
    stalled.once('error', reject);
    stalled.once('data', (chunk: Buffer) => {
      stalled.pause();
      resolve(chunk.toString('utf8'));
    });
    stalled.write(
      `GET /v1/consultations/${consultation.id}/events HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer ${county.token}\r\nX-MCH-Purpose: consultation\r\nLast-Event-ID: 2\r\n\r\n`,
    );
  });
  expect(head.startsWith('HTTP/1.1 200')).toBe(true);
  let stalledClosed = false;
  stalled.on('close', () => (stalledClosed = true));
  stalled.on('error', () => undefined);

  // 4,000 characters a message, 12 kB on the wire: far more than the socket buffers of the stalled connection hold.
  const text = '孕'.repeat(4_000);
  const count = 700;
  const posted: string[] = [];
  let next = 0;
  const received = nextMessages(reader, count);
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < count) {
        next++;
        const { message } = await ok(
          api.call('POST', `/v1/consultations/${consultation.id}/messages`, {
            token: specialist.token,
            headers: consultationPurpose,
            body: { text },
          }),
        );
        posted.push(message.sequence);
      }
    }),
  );
  expect((await received).length).toBe(count);
  reader.close();

  const metrics = await (await fetch(`${url}/metrics`)).text();
  const cut = Number(/mch_gateway_slow_clients_total\{phase="stream"\} (\d+)/.exec(metrics)?.[1] ?? 0);
  const memory = Number(/mch_gateway_process_resident_memory_bytes (\d+)/.exec(metrics)?.[1] ?? 0);
  process.stderr.write(
    `[slow clients] ${count} messages of 12 kB posted: stalled subscriber cut ${cut}×, gateway resident memory ${(memory / 1e6).toFixed(0)} MB\n`,
  );
  expect(cut).toBeGreaterThanOrEqual(1);
  // The stalled connection is closed by the gateway: reading what is left ends it.
  stalled.resume();
  await waitFor(async () => stalledClosed, 10_000, "the stalled subscriber's connection to close");
});
