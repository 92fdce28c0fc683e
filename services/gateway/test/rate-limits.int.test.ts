// Rate limits on a gateway of the test's own with low limits, in front of the platform's services and Redis:
// 429 with Retry-After past the limit, per token and per address, probes never limited, and no limit at all
// (rather than an outage) while Redis is unreachable.
import { freePort, ServiceProcess, waitFor } from '../../common/test/processes';
import { readTestPlatform } from '../../platform/test/platform-env';
import { Api } from '../../identity/test/support';

const platform = readTestPlatform();

async function startGateway(env: NodeJS.ProcessEnv): Promise<{ process: ServiceProcess; url: string }> {
  const port = await freePort();
  const gateway = new ServiceProcess('gateway', {
    HTTP_PORT: String(port),
    IDENTITY_SERVICE_ADDR: platform.serviceAddresses['identity'],
    GATEWAY_RATE_LIMIT_WINDOW_SECONDS: '60',
    ...env,
  }).start();
  const url = `http://127.0.0.1:${port}`;
  const expected = env['REDIS_URL']?.includes(platform.redisUrl.split('//')[1] ?? '-') ? 'on' : 'unavailable';
  await waitFor(
    async () => {
      const response = await fetch(`${url}/readyz`).catch(() => undefined);
      return response?.status === 200 && ((await response.json()) as { rateLimits: string }).rateLimits === expected;
    },
    30_000,
    `gateway with rate limits ${expected}`,
  );
  return { process: gateway, url };
}

describe('gateway rate limits', () => {
  let token: string;
  beforeAll(async () => {
    token = (await new Api(platform.gatewayUrl).login('lufeng.clinician')).accessToken;
  });

  it('refuses a token past its limit with 429 and Retry-After, and counts another token apart', async () => {
    const { process: gateway, url } = await startGateway({
      REDIS_URL: platform.redisUrl,
      GATEWAY_RATE_LIMIT_PER_TOKEN: '5',
      GATEWAY_RATE_LIMIT_PER_ADDRESS: '0',
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) {
        const response = await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
        statuses.push(response.status);
        if (response.status === 429) {
          const retryAfter = Number(response.headers.get('retry-after'));
          expect(retryAfter).toBeGreaterThanOrEqual(1);
          expect(retryAfter).toBeLessThanOrEqual(60);
          const body = (await response.json()) as { message: string };
          expect(body).toMatchObject({ code: 8, status: 'RESOURCE_EXHAUSTED' });
          expect(body.message).toMatch(/5 requests per 60 s per access token/);
        } else {
          await response.arrayBuffer();
        }
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      const other = (await new Api(platform.gatewayUrl).login('lufeng.midwife')).accessToken;
      expect((await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${other}` } })).status).toBe(200);
      // Probes are never limited.
      for (let i = 0; i < 3; i++) expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
    } finally {
      await gateway.stop();
    }
  });

  it('limits a client address whatever tokens it sends', async () => {
    const { process: gateway, url } = await startGateway({
      REDIS_URL: platform.redisUrl,
      GATEWAY_RATE_LIMIT_PER_TOKEN: '0',
      GATEWAY_RATE_LIMIT_PER_ADDRESS: '4',
    });
    try {
      // A different junk token each time: the address limit still holds. (The counters live in the shared Redis,
      // so another gateway replica would count the same requests.)
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const response = await fetch(`${url}/v1/institutions?pageSize=1`, {
          headers: { authorization: `Bearer junk${i}` },
        });
        statuses.push(response.status);
        await response.arrayBuffer();
      }
      expect(statuses.slice(4)).toEqual([429, 429]);
      expect(statuses.slice(0, 4).every((status) => status !== 429)).toBe(true);
    } finally {
      await gateway.stop();
    }
  });

  it('lets requests through, unlimited, while Redis is unreachable', async () => {
    const deadPort = await freePort();
    const { process: gateway, url } = await startGateway({
      REDIS_URL: `redis://127.0.0.1:${deadPort}`,
      GATEWAY_RATE_LIMIT_PER_TOKEN: '1',
      GATEWAY_RATE_LIMIT_PER_ADDRESS: '1',
    });
    try {
      for (let i = 0; i < 4; i++)
        expect((await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    } finally {
      await gateway.stop();
    }
  });
});
