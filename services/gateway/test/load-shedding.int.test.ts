// Load shedding on a gateway of the test's own with tiny bounds, in front of the platform's services: past a class's
// bound the next request is answered 503 with Retry-After at once (no backend call, no queue), other classes and
// probes go on being served, the shed counter moves, and the slot comes back when the holder leaves.
import { connect, Socket } from 'node:net';
import { freePort, ServiceProcess, waitFor } from '../../common/test/processes';
import { readTestPlatform } from '../../platform/test/platform-env';
import { Api } from '../../identity/test/support';

const platform = readTestPlatform();

interface Load {
  load: Record<'read' | 'write' | 'heavy' | 'stream', { inFlight: number; limit: number }>;
}

describe('gateway load shedding', () => {
  let gateway: ServiceProcess;
  let url: string;
  let port: number;
  let adminToken: string;
  let clinicianToken: string;

  beforeAll(async () => {
    port = await freePort();
    gateway = new ServiceProcess('gateway', {
      HTTP_PORT: String(port),
      IDENTITY_SERVICE_ADDR: platform.serviceAddresses['identity'],
      SCHEDULING_SERVICE_ADDR: platform.serviceAddresses['scheduling'],
      REPLICATION_SERVICE_ADDR: platform.serviceAddresses['replication'],
      GATEWAY_MAX_IN_FLIGHT_WRITES: '1',
      GATEWAY_MAX_STREAMS: '1',
      GATEWAY_BODY_TIMEOUT_MS: '20000',
    }).start();
    url = `http://127.0.0.1:${port}`;
    await waitFor(
      async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200,
      30_000,
      'load-shedding gateway ready',
    );
    adminToken = (await new Api(platform.gatewayUrl).login('platform.admin')).accessToken;
    clinicianToken = (await new Api(platform.gatewayUrl).login('lufeng.clinician')).accessToken;
  });

  afterAll(async () => {
    await gateway.stop();
  });

  async function load(): Promise<Load['load']> {
    return ((await (await fetch(`${url}/readyz`)).json()) as Load).load;
  }

  async function shedCount(routeClass: string): Promise<number> {
    const text = await (await fetch(`${url}/metrics`)).text();
    const line = text
      .split('\n')
      .find((candidate) => candidate.startsWith(`mch_gateway_shed_total{class="${routeClass}"}`));
    return line ? Number(line.split(' ').pop()) : 0;
  }

  /** A write whose JSON body never finishes arriving: it holds the class's one slot until its socket is closed. */
  async function holdWrite(): Promise<Socket> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.write(
      `POST /v1/appointments HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\nauthorization: Bearer ${clinicianToken}\r\ncontent-length: 1000\r\n\r\n{"patientId":`,
    );
    await waitFor(async () => (await load()).write.inFlight === 1, 10_000, 'the held write counted in flight');
    return socket;
  }

  it('sheds a write past the bound at once with 503 and Retry-After, while reads and probes go on', async () => {
    const before = await shedCount('write');
    const held = await holdWrite();
    try {
      // Answered at once: were it queued, it would wait for the held write, whose body never comes (jest's timeout).
      const shed = await fetch(`${url}/v1/appointments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${clinicianToken}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(shed.status).toBe(503);
      expect(shed.headers.get('retry-after')).toBe('1');
      const body = (await shed.json()) as { code: number; status: string; message: string };
      expect(body).toMatchObject({ code: 14, status: 'UNAVAILABLE' });
      expect(body.message).toMatch(/gateway at capacity: 1 write requests in flight; retry after 1 s/);
      expect(await shedCount('write')).toBe(before + 1);
      // Another class and the probes are not affected.
      expect((await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${clinicianToken}` } })).status).toBe(
        200,
      );
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      held.destroy();
    }
    await waitFor(async () => (await load()).write.inFlight === 0, 10_000, 'the held write released');
    // The slot is back: the next write reaches the service (which judges its body), not the shedder.
    const next = await fetch(`${url}/v1/appointments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${clinicianToken}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(next.status).toBe(400);
  });

  it('bounds server-sent event subscribers apart from unary calls, and admits one again when a subscriber leaves', async () => {
    const headers = { authorization: `Bearer ${adminToken}`, accept: 'text/event-stream' };
    const first = new AbortController();
    const open = await fetch(`${url}/v1/replication/events`, { headers, signal: first.signal });
    expect(open.status).toBe(200);
    expect(open.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = open.body!.getReader();
    await reader.read();
    expect((await load()).stream).toEqual({ inFlight: 1, limit: 1 });

    const second = await fetch(`${url}/v1/replication/events`, { headers });
    expect(second.status).toBe(503);
    expect(second.headers.get('retry-after')).toBe('5');
    await second.arrayBuffer();
    expect((await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${adminToken}` } })).status).toBe(200);

    first.abort();
    await reader.cancel().catch(() => undefined);
    await waitFor(async () => (await load()).stream.inFlight === 0, 10_000, 'the first subscriber released');
    const third = new AbortController();
    const again = await fetch(`${url}/v1/replication/events`, { headers, signal: third.signal });
    expect(again.status).toBe(200);
    third.abort();
  });
});
