// Proves that an annotated RPC is served by the gateway with no gateway code: a fixture proto, its
// generated code and a real gRPC server over loopback, with the gateway built from them alone.
import path from 'node:path';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { adaptService } from '../../common/src/grpc/adapter';
import { createLogger } from '../../common/src/logger';
import { protoDir } from '../../common/src/paths';
import { InvalidArgumentError } from '../../common/src/errors';
import { buildGateway, Gateway } from '../src/app';
import { loadGatewayConfig } from '../src/config';
import { FixtureServiceService } from './fixtures/gen/mch/fixture/v1/fixture';
import { documentedOperations, documentMismatch, servedOperations } from './openapi-checks';

const logger = createLogger('fixture-test', 'silent');

describe('a route from a fixture proto, with no gateway code', () => {
  let server: Server;
  let gateway: Gateway;

  beforeAll(async () => {
    server = new Server();
    server.addService(
      FixtureServiceService,
      adaptService(
        FixtureServiceService,
        {
          async getEcho(request, ctx) {
            return { ...request, idempotencyKey: ctx.idempotencyKey ?? '', requestId: ctx.requestId };
          },
          async createNote(request) {
            if (request.note?.text === 'bad') throw InvalidArgumentError.field('note.text', 'must not be "bad"');
            return { parentId: request.parentId, note: request.note };
          },
        },
        logger,
      ),
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    gateway = await buildGateway({
      config: loadGatewayConfig({ HTTP_PORT: '0' }),
      logger,
      env: { FIXTURE_SERVICE_ADDR: `127.0.0.1:${port}` },
      protos: {
        includeDirs: [path.join(__dirname, 'fixtures/proto'), path.join(protoDir(), 'third_party')],
        files: ['mch/fixture/v1/fixture.proto'],
        generatedDirs: [path.join(__dirname, 'fixtures/gen'), path.join(__dirname, '../../common/src/gen/google')],
      },
    });
  });

  afterAll(async () => {
    await gateway.close();
    server.forceShutdown();
  });

  it('serves GET with path and typed query fields', async () => {
    const response = await gateway.app.inject({
      method: 'GET',
      url: '/v1/fixture/echoes/mei?count=3&loud=true&tags=a&tags=b&ratio=0.5',
      headers: { 'x-request-id': 'req-1' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-request-id']).toBe('req-1');
    expect(response.json()).toEqual({
      name: 'mei',
      count: 3,
      loud: true,
      tags: ['a', 'b'],
      ratio: 0.5,
      requestId: 'req-1',
    });
  });

  it('serves POST with a body field, path field, timestamp and int64, and carries the idempotency key', async () => {
    const response = await gateway.app.inject({
      method: 'POST',
      url: '/v1/fixture/parents/p-9/notes',
      headers: { 'idempotency-key': 'key-12345678' },
      payload: { text: 'hello', writtenAt: '2026-03-01T09:30:00+08:00', words: '12' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      parentId: 'p-9',
      note: { text: 'hello', writtenAt: '2026-03-01T01:30:00.000Z', words: '12' },
    });
  });

  it('answers bad query and body fields with 400 naming each field', async () => {
    const query = await gateway.app.inject({
      method: 'GET',
      url: '/v1/fixture/echoes/mei?count=many&loud=maybe&colour=red',
    });
    expect(query.statusCode).toBe(400);
    const fields = (query.json().details[0].fieldViolations as Array<{ field: string }>).map((v) => v.field).sort();
    expect(fields).toEqual(['colour', 'count', 'loud']);

    const body = await gateway.app.inject({
      method: 'POST',
      url: '/v1/fixture/parents/p-9/notes',
      payload: { text: 42, writtenAt: 'yesterday', words: 1.5, extra: true },
    });
    expect(body.statusCode).toBe(400);
    const bodyFields = (body.json().details[0].fieldViolations as Array<{ field: string }>).map((v) => v.field).sort();
    expect(bodyFields).toEqual(['note.extra', 'note.text', 'note.words', 'note.writtenAt']);
  });

  it("passes a service's field violation through to the client", async () => {
    const response = await gateway.app.inject({
      method: 'POST',
      url: '/v1/fixture/parents/p-9/notes',
      payload: { text: 'bad' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      code: 3,
      status: 'INVALID_ARGUMENT',
      details: [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'note.text' }] }],
    });
  });

  it('refuses malformed JSON, a wrong content type and a bad Idempotency-Key', async () => {
    const malformed = await gateway.app.inject({
      method: 'POST',
      url: '/v1/fixture/parents/p/notes',
      headers: { 'content-type': 'application/json' },
      payload: '{"text":',
    });
    expect(malformed.statusCode).toBe(400);
    const wrongType = await gateway.app.inject({
      method: 'POST',
      url: '/v1/fixture/parents/p/notes',
      headers: { 'content-type': 'text/plain' },
      payload: 'hi',
    });
    expect(wrongType.statusCode).toBe(415);
    const badKey = await gateway.app.inject({
      method: 'POST',
      url: '/v1/fixture/parents/p/notes',
      headers: { 'idempotency-key': 'short' },
      payload: { text: 'x' },
    });
    expect(badKey.statusCode).toBe(400);
    expect(badKey.json().details[0].fieldViolations[0].field).toBe('Idempotency-Key');
  });

  it('lists the fixture route in /openapi.json', async () => {
    const document = (await gateway.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    // The fixture's two routes beside the gateway's own (health, metrics, the document, its page, the operator page).
    expect(Object.keys(document.paths).filter((route) => route.startsWith('/v1/'))).toEqual([
      '/v1/fixture/echoes/{name}',
      '/v1/fixture/parents/{parent_id}/notes',
    ]);
    expect(documentMismatch(servedOperations(gateway.registeredRoutes), documentedOperations(document))).toEqual({
      servedButUndocumented: [],
      documentedButNotServed: [],
    });
    expect(document.paths['/v1/fixture/parents/{parent_id}/notes'].post.requestBody).toBeDefined();
  });

  it('answers an unknown route with a JSON 404', async () => {
    const response = await gateway.app.inject({ method: 'GET', url: '/v1/fixture/nothing' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 5, status: 'NOT_FOUND' });
  });
});
