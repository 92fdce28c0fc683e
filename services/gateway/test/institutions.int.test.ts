// The first slice end to end over real processes: gateway (HTTP) -> identity (gRPC) -> Postgres through
// the read-write endpoint of the two-zone pair, cached in Redis, traced across all of them.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { credentials, Metadata, status } from '@grpc/grpc-js';
import { fieldViolationsOf, readStatusDetails } from '../../common/src/errors';
import { callUnary, createChannelClient } from '../../common/src/grpc/client';
import { IdentityServiceClient, IdentityServiceService } from '../../common/src/gen/mch/identity/v1/identity';
import { freePort, ServiceProcess, waitFor } from '../../common/test/processes';
import { HealthCheckResponse_ServingStatus, watchHealth } from '../../common/test/health';
import { readTestPlatform } from '../../platform/test/platform-env';

interface Span {
  traceId: string;
  name: string;
  service: string;
}

describe('institutions through the gateway', () => {
  const platform = readTestPlatform();
  const traceFile = path.join(tmpdir(), `mch-trace-${process.pid}.jsonl`);
  let identityPort: number;
  let gatewayUrl: string;
  let identity: ServiceProcess;
  let gateway: ServiceProcess;

  const identityEnv = (): NodeJS.ProcessEnv => ({
    SERVICE_NAME: 'identity',
    GRPC_PORT: String(identityPort),
    DATABASE_URL: platform.rwUrl,
    DATABASE_RO_URL: platform.roUrl,
    REDIS_URL: platform.redisUrl,
    MCH_TRACE_FILE: traceFile,
  });

  const get = async (route: string): Promise<{ status: number; body: any; headers: Headers }> => {
    const response = await fetch(`${gatewayUrl}${route}`);
    return { status: response.status, body: await response.json(), headers: response.headers };
  };

  beforeAll(async () => {
    rmSync(traceFile, { force: true });
    identityPort = await freePort();
    const httpPort = await freePort();
    gatewayUrl = `http://127.0.0.1:${httpPort}`;
    identity = new ServiceProcess('identity', identityEnv()).start();
    gateway = new ServiceProcess('gateway', {
      HTTP_PORT: String(httpPort),
      IDENTITY_SERVICE_ADDR: `127.0.0.1:${identityPort}`,
      MCH_TRACE_FILE: traceFile,
    }).start();
    await waitFor(
      async () => (await fetch(`${gatewayUrl}/v1/institutions?pageSize=1`)).status === 200,
      30_000,
      'gateway and identity',
    );
  });

  afterAll(async () => {
    await Promise.all([gateway.stop(), identity.stop()]);
    rmSync(traceFile, { force: true });
  });

  it('lists all 127 member institutions on one page of 200', async () => {
    const { status: code, body } = await get('/v1/institutions?pageSize=200');
    expect(code).toBe(200);
    expect(body.institutions).toHaveLength(127);
    expect(body.totalSize).toBe(127);
    expect(body.nextPageToken).toBeUndefined();
    const levels = body.institutions.map((i: { level: string }) => i.level);
    expect(levels.filter((l: string) => l === 'INSTITUTION_LEVEL_PREFECTURE')).toHaveLength(1);
    expect(levels.filter((l: string) => l === 'INSTITUTION_LEVEL_COUNTY')).toHaveLength(10);
  });

  it('pages through every institution exactly once', async () => {
    const seen: string[] = [];
    let token = '';
    do {
      const { body } = await get(`/v1/institutions?pageSize=50${token ? `&pageToken=${token}` : ''}`);
      seen.push(...body.institutions.map((i: { id: string }) => i.id));
      token = body.nextPageToken ?? '';
    } while (token);
    expect(seen).toHaveLength(127);
    expect(new Set(seen).size).toBe(127);
  });

  it('sorts by great-circle distance from near=lat,lon and filters by level and capability', async () => {
    const { body } = await get('/v1/institutions?near=25.72,101.32&level=county&capability=critical_maternal_care');
    const distances = body.institutions.map((i: { distanceKm: number }) => i.distanceKm);
    expect(distances).toEqual([...distances].sort((a, b) => a - b));
    expect(body.institutions[0].countyCode).toBe('dayao');
    for (const institution of body.institutions) {
      expect(institution.level).toBe('INSTITUTION_LEVEL_COUNTY');
      expect(institution.capabilities).toContain('critical_maternal_care');
    }
  });

  it('answers near=abc with a 400 whose details name the field', async () => {
    const { status: code, body } = await get('/v1/institutions?near=abc');
    expect(code).toBe(400);
    expect(body).toMatchObject({ code: 3, status: 'INVALID_ARGUMENT' });
    expect(body.details[0]['@type']).toBe('type.googleapis.com/google.rpc.BadRequest');
    expect(body.details[0].fieldViolations.map((v: { field: string }) => v.field)).toEqual(['near']);
  });

  it('answers an unknown route with a JSON 404', async () => {
    const { status: code, body } = await get('/v1/no-such-thing');
    expect(code).toBe(404);
    expect(body).toMatchObject({ code: 5, status: 'NOT_FOUND' });
  });

  it('gets one institution by id, and a 404 / 400 for unknown and malformed ids', async () => {
    const { body: list } = await get('/v1/institutions?county=lufeng&level=county');
    const id = list.institutions[0].id;
    const { status: code, body } = await get(`/v1/institutions/${id}`);
    expect(code).toBe(200);
    expect(body.institution).toMatchObject({ id, countyCode: 'lufeng', level: 'INSTITUTION_LEVEL_COUNTY' });
    expect((await get('/v1/institutions/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    const malformed = await get('/v1/institutions/not-a-uuid');
    expect(malformed.status).toBe(400);
    expect(malformed.body.details[0].fieldViolations[0].field).toBe('id');
  });

  it('serves the same contract over gRPC straight to identity, with field violations in the status details', async () => {
    const client = createChannelClient(`127.0.0.1:${identityPort}`);
    const page = await callUnary(client, IdentityServiceService.listInstitutions, {
      county: 'wuding',
      level: '',
      capability: '',
      near: '',
      pageSize: 200,
      pageToken: '',
    });
    expect(page.institutions.every((i) => i.countyCode === 'wuding')).toBe(true);
    const error = await callUnary(client, IdentityServiceService.listInstitutions, {
      county: '',
      level: '',
      capability: '',
      near: '91,0',
      pageSize: 0,
      pageToken: '',
    }).catch((e: unknown) => e as { code: number; metadata: Metadata });
    expect((error as { code: number }).code).toBe(status.INVALID_ARGUMENT);
    expect(
      fieldViolationsOf(readStatusDetails((error as { metadata: Metadata }).metadata)).map((v) => v.field),
    ).toEqual(['near']);
    client.close();
  });

  it('caches institution reads in Redis under a generation-scoped key', async () => {
    const { body: list } = await get('/v1/institutions?county=yongren&level=county');
    const id = list.institutions[0].id;
    await get(`/v1/institutions/${id}`);
    const { default: Redis } = await import('ioredis');
    const redis = new Redis(platform.redisUrl);
    try {
      const keys = await redis.keys(`identity:institution:${id}:g*`);
      expect(keys.length).toBeGreaterThan(0);
    } finally {
      redis.disconnect();
    }
  });

  it('records one trace spanning gateway, identity, Postgres and Redis', async () => {
    const { headers } = await get('/v1/institutions?county=nanhua');
    expect(headers.get('x-request-id')).toBeTruthy();
    let spans: Span[] = [];
    await waitFor(
      async () => {
        if (!existsSync(traceFile)) return false;
        spans = readFileSync(traceFile, 'utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as Span);
        const traces = new Map<string, Span[]>();
        for (const span of spans) traces.set(span.traceId, [...(traces.get(span.traceId) ?? []), span]);
        return [...traces.values()].some(
          (trace) =>
            trace.some((s) => s.service === 'gateway' && s.name === 'GET') &&
            trace.some((s) => s.service === 'identity' && s.name.includes('ListInstitutions')) &&
            trace.some((s) => s.service === 'identity' && s.name.startsWith('pg.query')) &&
            trace.some((s) => s.service === 'identity' && (s.name === 'get' || s.name === 'set')),
        );
      },
      10_000,
      'a trace with gateway, identity, pg and redis spans',
    );
  });

  it('goes NOT_SERVING on SIGTERM; with identity stopped its routes are 503 and /healthz still answers; it comes back without a gateway restart', async () => {
    const client = new IdentityServiceClient(`127.0.0.1:${identityPort}`, credentials.createInsecure());
    const seen = watchHealth(`127.0.0.1:${identityPort}`);
    await waitFor(async () => seen.statuses.includes(HealthCheckResponse_ServingStatus.SERVING), 5_000, 'SERVING');
    await identity.stop('SIGTERM');
    client.close();
    expect(seen.statuses).toContain(HealthCheckResponse_ServingStatus.NOT_SERVING);
    seen.close();

    const down = await get('/v1/institutions');
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ code: 14, status: 'UNAVAILABLE' });
    expect((await fetch(`${gatewayUrl}/healthz`)).status).toBe(200);
    expect((await get('/v1/no-such-thing')).status).toBe(404);

    identity = new ServiceProcess('identity', identityEnv()).start();
    await waitFor(
      async () => (await get('/v1/institutions?pageSize=1')).status === 200,
      30_000,
      'identity back in rotation',
    );
  });
});
