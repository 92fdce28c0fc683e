// The replicated object store through the gateway against the real two-zone platform: uploads land verified in
// both zones' agents and come back byte-identical with their type and hash; the right to read follows the patient
// the object belongs to; refused uploads (type, size) store nothing anywhere; an upload while zone b's agent is
// down is acknowledged, flagged exposed and copied to b when it returns; a corrupted copy is found and repaired.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import { Client } from 'pg';
import { sendControl } from '../../platform/src/control';
import { readTestPlatform } from '../../platform/test/platform-env';
import { Api, nextFemaleId } from '../../identity/test/support';

const platform = readTestPlatform();
const api = new Api(platform.gatewayUrl);
const tokens: Record<string, string> = {};
const MB = 1024 * 1024;
const LIMIT = 25 * MB;

interface Answer {
  status: number;
  headers: Headers;
  body: Buffer;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function request(
  method: string,
  route: string,
  options: { user?: string; body?: Buffer | ReadableStream<Uint8Array>; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { 'x-mch-purpose': 'treatment', ...(options.headers ?? {}) };
  if (options.user) headers.authorization = `Bearer ${tokens[options.user]}`;
  const init: RequestInit & { duplex?: 'half' } = { method, headers, body: options.body as never };
  if (options.body instanceof ReadableStream) init.duplex = 'half';
  const response = await fetch(`${platform.gatewayUrl}${route}`, init);
  const body = Buffer.from(await response.arrayBuffer());
  const type = response.headers.get('content-type') ?? '';
  return {
    status: response.status,
    headers: response.headers,
    body,
    json: type.startsWith('application/json') && body.length > 0 ? JSON.parse(body.toString('utf8')) : undefined,
  };
}

function upload(
  user: string,
  bytes: Buffer | ReadableStream<Uint8Array>,
  contentType: string,
  reference: string,
): Promise<Answer> {
  return request('POST', `/v1/objects?reference=${encodeURIComponent(reference)}`, {
    user,
    body: bytes,
    headers: { 'content-type': contentType, 'idempotency-key': `test-${randomBytes(8).toString('hex')}` },
  });
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

function agentDir(zone: 'az-a' | 'az-b'): string {
  const store = platform.objectStores[zone];
  if (!store) throw new Error(`no object store agent in ${zone}`);
  return store.dir;
}

function copyPath(zone: 'az-a' | 'az-b', id: string): string {
  return path.join(agentDir(zone), 'blobs', id.slice(0, 2), id);
}

function fieldsOf(answer: Answer): string[] {
  return (answer.json?.details ?? []).flatMap((detail: { fieldViolations?: { field: string }[] }) =>
    (detail.fieldViolations ?? []).map((v) => v.field),
  );
}

async function metadataRows(id: string): Promise<number> {
  const client = new Client({ connectionString: platform.rwUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM replication.objects WHERE id = $1',
      [id],
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

async function objectInfo(id: string): Promise<any> {
  const answer = await request('GET', `/v1/objects/${id}/info`, { user: 'pref.clinician' });
  if (answer.status !== 200) throw new Error(`info ${answer.status} ${answer.body.toString()}`);
  return answer.json.object;
}

/** Waits (bounded, not timed) until the object has a verified copy in both zones. */
async function untilInBothZones(id: string): Promise<any> {
  for (let attempt = 0; attempt < 120; attempt++) {
    const object = await objectInfo(id);
    if (object.zones?.length === 2) return object;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`object ${id} never reached both zones`);
}

/** Waits (bounded) until the status shows every zone's agent answering again (the repair loop pings every 2 s). */
async function untilAgentsAnswer(): Promise<void> {
  for (let attempt = 0; attempt < 120; attempt++) {
    const status = await request('GET', '/v1/replication/status', { user: 'platform.admin' });
    const zones = (status.json?.status?.objectStore?.zones ?? []) as Array<{ reachable?: boolean }>;
    if (zones.length === 2 && zones.every((zone) => zone.reachable)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error('the store agents never both answered');
}

/** The agents remove the temporary file of a cancelled upload as the cancellation reaches them (bounded wait). */
async function noTemporaryFiles(): Promise<void> {
  const leftovers = (): string[] =>
    (['az-a', 'az-b'] as const).flatMap((zone) => readdirSync(path.join(agentDir(zone), 'tmp')));
  for (let attempt = 0; attempt < 100 && leftovers().length > 0; attempt++)
    await new Promise((resolve) => setTimeout(resolve, 50));
  expect(leftovers()).toEqual([]);
}

let patientId: string;

beforeAll(async () => {
  for (const user of ['lufeng.midwife', 'pref.clinician', 'pref.analyst', 'platform.admin'])
    tokens[user] = (await api.login(user)).accessToken;
  const registered = await api.call('POST', '/v1/patients', {
    token: tokens['lufeng.midwife'],
    body: { nationalId: nextFemaleId('1993-02-11'), name: '王丽', countyCode: 'lufeng' },
    headers: { 'x-mch-purpose': 'registration' },
  });
  if (registered.status !== 200) throw new Error(`register: ${registered.status} ${JSON.stringify(registered.body)}`);
  patientId = registered.body.patient.id;
});

describe('objects through the gateway', () => {
  it('stores an ultrasound image in both zones and serves it back byte-identical with its type, length and hash', async () => {
    const image = randomBytes(MB + 12345);
    const stored = await upload('lufeng.midwife', image, 'image/jpeg', `patient:${patientId}`);
    expect(stored.status).toBe(201);
    const id = sha256(image);
    expect(stored.json.object).toMatchObject({
      id,
      sha256: id,
      size: String(image.length),
      contentType: 'image/jpeg',
      references: [`patient:${patientId}`],
      zones: ['az-a', 'az-b'],
    });
    expect(stored.json.object.exposed ?? false).toBe(false);
    expect(stored.headers.get('location')).toBe(`/v1/objects/${id}`);
    for (const zone of ['az-a', 'az-b'] as const) expect(sha256(readFileSync(copyPath(zone, id)))).toBe(id);

    const read = await request('GET', `/v1/objects/${id}`, { user: 'pref.clinician' });
    expect(read.status).toBe(200);
    expect(read.headers.get('content-type')).toBe('image/jpeg');
    expect(read.headers.get('etag')).toBe(`"${id}"`);
    expect(read.headers.get('content-length')).toBe(String(image.length));
    expect(read.body.equals(image)).toBe(true);

    const unchanged = await request('GET', `/v1/objects/${id}`, {
      user: 'pref.clinician',
      headers: { 'if-none-match': `"${id}"` },
    });
    expect(unchanged.status).toBe(304);
  });

  it('lets only those who may read the patient read her objects', async () => {
    const report = Buffer.from('HbA1c 5.1%\n');
    const id = sha256(report);
    expect((await upload('lufeng.midwife', report, 'text/plain; charset=utf-8', `patient:${patientId}`)).status).toBe(
      201,
    );
    const analyst = await request('GET', `/v1/objects/${id}`, { user: 'pref.analyst' });
    expect(analyst.status).toBe(403);
    expect(analyst.body.includes(report)).toBe(false);
    expect(
      (await request('GET', `/v1/objects/${id}`, { user: 'pref.clinician', headers: { 'x-mch-purpose': '' } })).status,
    ).toBe(403);
    expect((await request('GET', `/v1/objects/${id}`)).status).toBe(401);
    expect((await request('GET', `/v1/objects/${id}/info`, { user: 'pref.analyst' })).status).toBe(403);
    // Attaching to a patient is a record write: analysts may not.
    expect((await upload('pref.analyst', Buffer.from('x'), 'text/plain', `patient:${patientId}`)).status).toBe(403);
    const readable = await request('GET', `/v1/objects/${id}`, { user: 'pref.clinician' });
    expect(readable.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(readable.body.equals(report)).toBe(true);
  });

  it('puts every object write, read and refused read of the patient in her audit trail', async () => {
    const admin = (await api.login('lufeng.admin')).accessToken;
    const trail = await api.call('GET', `/v1/patients/${patientId}/audit`, { token: admin });
    expect(trail.status).toBe(200);
    const actions = (trail.body.events as Array<{ service: string; action: string; outcome: string }>)
      .filter((event) => event.service === 'replication')
      .map((event) => `${event.action} ${event.outcome}`);
    expect(actions).toEqual(
      expect.arrayContaining(['object.put allowed', 'object.read allowed', 'object.read denied', 'object.put denied']),
    );
    expect(trail.body.unavailableServices ?? []).not.toContain('replication');
  });

  it("describes both object routes in /openapi.json, with the stored object's schema", async () => {
    const document = (await (await fetch(`${platform.gatewayUrl}/openapi.json`)).json()) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(document.paths['/v1/objects'].post.requestBody.content['*/*']).toBeDefined();
    expect(document.paths['/v1/objects/{id}'].get.responses['200']).toBeDefined();
    expect(document.components.schemas['mch.replication.v1.StoredObject'].properties.sha256).toBeDefined();
  });

  it('refuses a disallowed content type or a bad reference with 400 naming the field, storing nothing', async () => {
    const program = randomBytes(4096);
    const id = sha256(program);
    const refused = await upload('lufeng.midwife', program, 'application/x-msdownload', `patient:${patientId}`);
    expect(refused.status).toBe(400);
    expect(fieldsOf(refused)).toEqual(['contentType']);
    const badReference = await upload('lufeng.midwife', program, 'image/png', 'record:42');
    expect(badReference.status).toBe(400);
    expect(fieldsOf(badReference)).toEqual(['reference']);
    const noReference = await request('POST', '/v1/objects', {
      user: 'lufeng.midwife',
      body: program,
      headers: { 'content-type': 'image/png' },
    });
    expect(fieldsOf(noReference)).toEqual(['reference']);
    const traversal = await upload('lufeng.midwife', program, 'image/png', 'consultation:../../etc/passwd\u0000');
    expect(fieldsOf(traversal)).toEqual(['reference']);
    // A declared hash the bytes do not match: refused after the last byte, nothing kept.
    const wrongHash = await request(
      'POST',
      `/v1/objects?reference=patient:${patientId}&sha256=${sha256(Buffer.from('other'))}`,
      {
        user: 'lufeng.midwife',
        body: program,
        headers: { 'content-type': 'image/png', 'idempotency-key': `test-${randomBytes(8).toString('hex')}` },
      },
    );
    expect(fieldsOf(wrongHash)).toEqual(['sha256']);
    const badKey = await request('POST', `/v1/objects?reference=patient:${patientId}`, {
      user: 'lufeng.midwife',
      body: program,
      headers: { 'content-type': 'image/png', 'idempotency-key': 'x' },
    });
    expect(fieldsOf(badKey)).toEqual(['Idempotency-Key']);
    expect(
      fieldsOf(
        await request('POST', `/v1/objects?reference=patient:${patientId}&colour=red`, {
          user: 'lufeng.midwife',
          body: program,
          headers: { 'content-type': 'image/png' },
        }),
      ),
    ).toEqual(['colour']);
    expect(await metadataRows(id)).toBe(0);
    for (const zone of ['az-a', 'az-b'] as const) expect(existsSync(copyPath(zone, id))).toBe(false);
    await noTemporaryFiles();
    expect((await request('GET', `/v1/objects/${'0'.repeat(64)}`, { user: 'pref.clinician' })).status).toBe(404);
    expect(fieldsOf(await request('GET', '/v1/objects/..%2F..%2Fetc%2Fpasswd', { user: 'pref.clinician' }))).toEqual([
      'id',
    ]);
    expect(fieldsOf(await request('GET', '/v1/objects/not-a-hash', { user: 'pref.clinician' }))).toEqual(['id']);
  });

  it('refuses an upload over the size limit with 413, storing nothing: by Content-Length, and by counting a chunked body', async () => {
    // An honest client declares the size: the gateway answers 413 from the headers, before reading the body.
    const declared = await new Promise<number>((resolve, reject) => {
      const sending = httpRequest(`${platform.gatewayUrl}/v1/objects?reference=patient:${patientId}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${tokens['lufeng.midwife']}`,
          'x-mch-purpose': 'treatment',
          'content-type': 'application/pdf',
          'content-length': String(LIMIT + 1),
        },
      });
      sending.on('response', (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
        sending.destroy();
      });
      sending.on('error', reject);
      sending.write(randomBytes(64 * 1024));
    });
    expect(declared).toBe(413);

    const piece = randomBytes(MB);
    const hash = createHash('sha256');
    let sent = 0;
    const oversized = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > LIMIT + MB) return controller.close();
        hash.update(piece);
        sent += piece.length;
        controller.enqueue(new Uint8Array(piece));
      },
    });
    const answer = await upload('lufeng.midwife', oversized, 'application/pdf', `patient:${patientId}`).catch(
      (error: unknown) => ({ status: 0, error }) as unknown as Answer,
    );
    // The gateway answers 413 and closes the connection; a client still sending may see the close instead.
    expect([413, 0]).toContain(answer.status);
    const id = hash.digest('hex');
    expect(await metadataRows(id)).toBe(0);
    for (const zone of ['az-a', 'az-b'] as const) expect(existsSync(copyPath(zone, id))).toBe(false);
    await noTemporaryFiles();
  });

  it("keeps taking objects while zone b's agent is down, flags them exposed, and copies them to b when it returns", async () => {
    expect(await sendControl(platform.dataDir, { target: 'objects', action: 'stop', name: 'az-b' })).toMatchObject({
      ok: true,
    });
    const scan = randomBytes(2 * MB + 7);
    const id = sha256(scan);
    let stored: Answer;
    try {
      stored = await upload('lufeng.midwife', scan, 'application/dicom', `patient:${patientId}`);
      expect(stored.status).toBe(201);
      expect(stored.json.object).toMatchObject({ id, zones: ['az-a'], exposed: true });
      expect(existsSync(copyPath('az-b', id))).toBe(false);
      // Served from the zone that has it.
      expect((await request('GET', `/v1/objects/${id}`, { user: 'pref.clinician' })).body.equals(scan)).toBe(true);
      const status = await request('GET', '/v1/replication/status', { user: 'platform.admin' });
      expect(status.json.status.objectStore).toMatchObject({ exposed: true });
      expect(status.json.status.objectStore.zones.find((zone: { zone: string }) => zone.zone === 'az-b')).toMatchObject(
        { zone: 'az-b' },
      );
    } finally {
      expect(await sendControl(platform.dataDir, { target: 'objects', action: 'start', name: 'az-b' })).toMatchObject({
        ok: true,
      });
    }
    const repaired = await untilInBothZones(id);
    expect(repaired.exposed ?? false).toBe(false);
    expect(readFileSync(copyPath('az-b', id)).equals(scan)).toBe(true);
    await untilAgentsAnswer();
  });

  it('treats a hung agent (SIGSTOP) as down: an upload completes without it and a read falls back to the other zone', async () => {
    const pidOf = (zone: 'az-a' | 'az-b'): number =>
      (JSON.parse(readFileSync(path.join(platform.runDir, `objects-${zone}.pid`), 'utf8')) as { pid: number }).pid;
    const image = randomBytes(MB);
    const id = sha256(image);
    const hungB = pidOf('az-b');
    process.kill(hungB, 'SIGSTOP');
    try {
      const stored = await upload('lufeng.midwife', image, 'image/png', `patient:${patientId}`);
      expect(stored.status).toBe(201);
      expect(stored.json.object).toMatchObject({ id, zones: ['az-a'], exposed: true });
    } finally {
      process.kill(hungB, 'SIGCONT');
    }
    await untilInBothZones(id);
    expect(readFileSync(copyPath('az-b', id)).equals(image)).toBe(true);

    const hungA = pidOf('az-a');
    process.kill(hungA, 'SIGSTOP');
    try {
      const read = await request('GET', `/v1/objects/${id}`, { user: 'pref.clinician' });
      expect(read.status).toBe(200);
      expect(read.body.equals(image)).toBe(true);
    } finally {
      process.kill(hungA, 'SIGCONT');
    }
    await untilAgentsAnswer();
  });

  it('finds a copy corrupted on disk, serves the good one meanwhile, and repairs it from the other zone', async () => {
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(300_000)]);
    const id = sha256(pdf);
    expect((await upload('lufeng.midwife', pdf, 'application/pdf', `patient:${patientId}`)).status).toBe(201);

    // Bit rot in zone b, found by the on-demand scan.
    const rotten = Buffer.from(pdf);
    rotten[1000] = (rotten[1000] ?? 0) ^ 0xff;
    writeFileSync(copyPath('az-b', id), rotten);
    const scan = await request('POST', '/v1/replication/objects/verify', {
      user: 'platform.admin',
      body: Buffer.from('{}'),
      headers: { 'content-type': 'application/json' },
    });
    expect(scan.status).toBe(200);
    expect(Number(scan.json.corrupt)).toBeGreaterThanOrEqual(1);
    expect(Number(scan.json.repaired)).toBeGreaterThanOrEqual(1);
    expect(readFileSync(copyPath('az-b', id)).equals(pdf)).toBe(true);

    // A copy truncated in zone a (read first): a read falls back to zone b, and the read itself starts the repair.
    writeFileSync(copyPath('az-a', id), pdf.subarray(0, 1000));
    for (let read = 0; read < 2; read++) {
      const answer = await request('GET', `/v1/objects/${id}`, { user: 'pref.clinician' });
      expect(answer.status).toBe(200);
      expect(answer.body.equals(pdf)).toBe(true);
    }
    await untilInBothZones(id);
    expect(readFileSync(copyPath('az-a', id)).equals(pdf)).toBe(true);
    const scanAgain = await request('POST', '/v1/replication/objects/verify', {
      user: 'platform.admin',
      body: Buffer.from('{}'),
      headers: { 'content-type': 'application/json' },
    });
    expect(scanAgain.json.corrupt ?? '0').toBe('0');
    expect(scanAgain.json.stillExposed ?? '0').toBe('0');
  });

  it('sets aside a blob no object names once it is old (an upload whose metadata never committed), and only then', async () => {
    const place = (zone: 'az-a' | 'az-b', bytes: Buffer, ageMs: number): string => {
      const file = copyPath(zone, sha256(bytes));
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, bytes);
      const when = new Date(Date.now() - ageMs);
      utimesSync(file, when, when);
      return file;
    };
    const stale = place('az-a', randomBytes(5000), 2 * 86_400_000);
    const recent = place('az-b', randomBytes(5000), 0);
    const scan = await request('POST', '/v1/replication/objects/verify', {
      user: 'platform.admin',
      body: Buffer.from('{}'),
      headers: { 'content-type': 'application/json' },
    });
    expect(scan.status).toBe(200);
    expect(Number(scan.json.orphans)).toBeGreaterThanOrEqual(2);
    expect(Number(scan.json.orphansQuarantined)).toBeGreaterThanOrEqual(1);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(recent)).toBe(true);
  });
});
