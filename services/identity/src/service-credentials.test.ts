// The chart's service-credentials Job against a local stand-in for the Kubernetes API holding one Secret: the
// credentials it writes are the ones identity verifies, it patches with a JSON merge patch of that Secret only, and a
// second run writes nothing.
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyServiceCredential } from '../../common/src/auth/service-identity';
import { KubeApi, MERGE_PATCH } from '../../common/src/kube-api';
import { CREDENTIAL_HOLDERS, credentialKey, writeServiceCredentials } from './service-credentials';

const PATH = '/api/v1/namespaces/mch/secrets/mch-app';
const SECRET = 'the-platform-service-secret';

describe('service-credentials Job', () => {
  let server: Server;
  let data: Record<string, string>;
  const patches: { contentType?: string; body: unknown }[] = [];
  let api: KubeApi;

  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (request.headers.authorization !== 'Bearer t' || request.url !== PATH)
          return void response.writeHead(request.url !== PATH ? 404 : 401).end();
        if (request.method === 'PATCH') {
          if (request.headers['content-type'] !== MERGE_PATCH) return void response.writeHead(415).end();
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: Record<string, string> };
          patches.push({ contentType: request.headers['content-type'], body });
          data = { ...data, ...body.data };
        }
        response
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ kind: 'Secret', metadata: { name: 'mch-app' }, data }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    api = new KubeApi({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: () => 't' });
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('writes a credential for every service that acts as itself, each one identity accepts', async () => {
    data = { MCH_SERVICE_SECRET: Buffer.from(SECRET).toString('base64'), REDIS_PASSWORD: 'eA==' };
    const written = await writeServiceCredentials(api, 'mch', 'mch-app', SECRET);
    expect(written).toEqual(CREDENTIAL_HOLDERS.map(credentialKey).sort());
    for (const service of CREDENTIAL_HOLDERS) {
      const credential = Buffer.from(data[credentialKey(service)] ?? '', 'base64').toString('utf8');
      expect({ service, valid: verifyServiceCredential(SECRET, service, credential) }).toEqual({
        service,
        valid: true,
      });
    }
    expect(data['REDIS_PASSWORD']).toBe('eA==');
    expect(patches).toHaveLength(1);
  });

  it('a second run patches nothing; a wrong credential is rewritten', async () => {
    expect(await writeServiceCredentials(api, 'mch', 'mch-app', SECRET)).toEqual([]);
    data = { ...data, MCH_SERVICE_CREDENTIAL_GATEWAY: Buffer.from('stale').toString('base64') };
    expect(await writeServiceCredentials(api, 'mch', 'mch-app', SECRET)).toEqual(['MCH_SERVICE_CREDENTIAL_GATEWAY']);
  });

  it('fails naming the Secret when it cannot be read', async () => {
    await expect(writeServiceCredentials(api, 'mch', 'other', SECRET)).rejects.toThrow(/GET Secret other: 404/);
  });
});
