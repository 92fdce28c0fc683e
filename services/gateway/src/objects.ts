// The object routes no annotation can express: POST /v1/objects takes the raw body (its Content-Type is the
// object's) and streams it to the replication service's PutObject; GET /v1/objects/{id} streams GetObject's bytes
// back with the object's own Content-Type, Content-Length and ETag (its SHA-256). Neither buffers the object.
import { Readable } from 'node:stream';
import type { ClientReadableStream } from '@grpc/grpc-js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidArgumentError } from '../../common/src/errors';
import { isServiceError, openClientStream, openServerStream } from '../../common/src/grpc/client';
import {
  GetObjectResponse,
  PutObjectResponse,
  ReplicationServiceService as Replication,
} from '../../common/src/gen/mch/replication/v1/replication';
import { forwardedMetadata, idempotencyKeyOf, send } from './forwarding';
import type { Backends } from './backends';
import type { GatewayConfig } from './config';
import { httpErrorFromGrpc, httpErrorFromLocal, plainError } from './http-errors';
import type { MessageCodec } from './proto-registry';
import { errorResponses, type Paths, type SchemaBuilder } from './openapi';

/** Upload bytes are sent to the service in pieces of about this size. */
const UPLOAD_PIECE_BYTES = 256 * 1024;

function tooLarge(reply: FastifyReply, limit: number): FastifyReply {
  // The client may still be sending: close the connection once the answer is out.
  return send(reply.header('connection', 'close'), plainError(413, 3, `an object may hold at most ${limit} bytes`));
}

function singleQuery(request: FastifyRequest, name: string): string {
  const value = (request.query as Record<string, unknown>)[name];
  if (value === undefined) return '';
  if (typeof value !== 'string') throw InvalidArgumentError.field(name, 'must be given once');
  return value;
}

export function registerObjectRoutes(
  app: FastifyInstance,
  backends: Backends,
  codecs: ReadonlyMap<string, MessageCodec>,
  config: GatewayConfig,
): void {
  const limit = config.GATEWAY_OBJECT_LIMIT_BYTES;

  void app.register(async (scope) => {
    // Any media type: the body is the object, read as a stream by the handler (no parsing, no buffering).
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

    scope.post('/v1/objects', async (request, reply) => {
      let idempotencyKey: string | undefined;
      let reference: string;
      let sha256: string;
      try {
        idempotencyKey = idempotencyKeyOf(request);
        reference = singleQuery(request, 'reference');
        sha256 = singleQuery(request, 'sha256');
        for (const key of Object.keys(request.query as object)) {
          if (key !== 'reference' && key !== 'sha256')
            throw InvalidArgumentError.field(key, 'is not a query parameter of this route');
        }
      } catch (error) {
        return send(reply.header('connection', 'close'), httpErrorFromLocal(error, codecs));
      }
      const declared = Number(request.headers['content-length'] ?? 0);
      if (Number.isFinite(declared) && declared > limit) return tooLarge(reply, limit);
      const client = backends.client('REPLICATION');
      if (!client) return send(reply, plainError(503, 14, 'replication service is not configured'));

      const call = openClientStream(client, Replication.putObject, {
        metadata: forwardedMetadata(request, idempotencyKey),
        timeoutMs: config.GATEWAY_OBJECT_TIMEOUT_MS,
      });
      try {
        await call.write({
          metadata: {
            contentType: request.headers['content-type'] ?? '',
            size: String(Number.isFinite(declared) ? declared : 0),
            sha256,
            reference,
          },
        });
        let received = 0;
        let pending: Buffer[] = [];
        let pendingBytes = 0;
        for await (const piece of request.body as AsyncIterable<Buffer>) {
          received += piece.length;
          if (received > limit) {
            call.cancel();
            return tooLarge(reply, limit);
          }
          pending.push(piece);
          pendingBytes += piece.length;
          if (pendingBytes >= UPLOAD_PIECE_BYTES) {
            await call.write({ chunk: Buffer.concat(pending, pendingBytes) });
            pending = [];
            pendingBytes = 0;
          }
        }
        if (pendingBytes > 0) await call.write({ chunk: Buffer.concat(pending, pendingBytes) });
        const response: PutObjectResponse = await call.end();
        const id = response.object?.id ?? '';
        return reply
          .code(201)
          .header('location', `/v1/objects/${id}`)
          .header('etag', `"${id}"`)
          .type('application/json')
          .send(PutObjectResponse.toJSON(response));
      } catch (error) {
        call.cancel();
        if (isServiceError(error)) return send(reply.header('connection', 'close'), httpErrorFromGrpc(error, codecs));
        if ((error as NodeJS.ErrnoException).code === 'ECONNRESET' || request.raw.destroyed) return reply;
        throw error;
      }
    });
  });

  app.get('/v1/objects/:p0', async (request, reply) => {
    const client = backends.client('REPLICATION');
    if (!client) return send(reply, plainError(503, 14, 'replication service is not configured'));
    const id = (request.params as { p0: string }).p0;
    const stream: ClientReadableStream<GetObjectResponse> = openServerStream(
      client,
      Replication.getObject,
      { id },
      {
        metadata: forwardedMetadata(request, undefined),
        timeoutMs: config.GATEWAY_OBJECT_TIMEOUT_MS,
      },
    );
    const messages = (stream as AsyncIterable<GetObjectResponse>)[Symbol.asyncIterator]();
    let first: IteratorResult<GetObjectResponse>;
    try {
      first = await messages.next();
    } catch (error) {
      if (isServiceError(error)) return send(reply, httpErrorFromGrpc(error, codecs));
      throw error;
    }
    const object = first.done ? undefined : first.value.object;
    if (!object) {
      stream.cancel();
      return send(reply, plainError(502, 13, 'the replication service answered without the object'));
    }
    const etag = `"${object.sha256}"`;
    reply
      .header('etag', etag)
      .header('content-length', object.size)
      .type(object.contentType)
      .header('content-disposition', 'inline');
    if (request.headers['if-none-match'] === etag) {
      stream.cancel();
      return reply.code(304).send();
    }
    // The answer is over (sent, or the client went away): nothing more is wanted from the stream.
    reply.raw.on('close', () => stream.cancel());
    const body = Readable.from(
      (async function* bytes(): AsyncIterable<Buffer> {
        if (!first.done && first.value.chunk.length > 0) yield first.value.chunk;
        for (let next = await messages.next(); !next.done; next = await messages.next())
          if (next.value.chunk.length > 0) yield next.value.chunk;
      })(),
      { objectMode: false },
    );
    return reply.send(body);
  });
}

/** The two object routes in /openapi.json (no annotation-derived route describes raw bytes). */
export function objectRoutesOpenApi(limitBytes: number): (schemas: SchemaBuilder) => Paths {
  return (schemas) => ({
    '/v1/objects': {
      post: {
        operationId: 'ReplicationService.PutObject',
        summary: `Stores an object (raw body, at most ${limitBytes} bytes) in both zones; its id is the SHA-256 of its bytes`,
        tags: ['ReplicationService'],
        parameters: [
          {
            name: 'reference',
            in: 'query',
            required: true,
            schema: { type: 'string', minLength: 1 },
            description: 'What it belongs to: patient:<patientId> or consultation:<consultationId>',
          },
          {
            name: 'sha256',
            in: 'query',
            required: false,
            schema: { type: 'string' },
            description: 'Expected SHA-256 (hex): bytes that differ are refused',
          },
          { $ref: '#/components/parameters/IdempotencyKey' },
          { $ref: '#/components/parameters/Purpose' },
          { $ref: '#/components/parameters/BreakGlassReason' },
        ],
        requestBody: {
          required: true,
          description:
            'The object itself, streamed (never buffered by the gateway); Content-Type is its media type and must be one the platform accepts',
          content: {
            'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
            '*/*': { schema: { type: 'string', format: 'binary' } },
          },
        },
        responses: {
          '201': {
            description: 'Stored (or already stored: the same bytes have the same id)',
            headers: {
              Location: { description: '/v1/objects/{id}', schema: { type: 'string' } },
              ETag: { description: 'The id, quoted', schema: { type: 'string' } },
            },
            content: { 'application/json': { schema: schemas.named('mch.replication.v1.PutObjectResponse') } },
          },
          '413': {
            description: `The body exceeds ${limitBytes} bytes`,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
          },
          ...errorResponses(),
        },
      },
    },
    '/v1/objects/{id}': {
      get: {
        operationId: 'ReplicationService.GetObject',
        summary: "The object's bytes, streamed, with its Content-Type, Content-Length and ETag (its SHA-256)",
        tags: ['ReplicationService'],
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
          {
            name: 'If-None-Match',
            in: 'header',
            required: false,
            schema: { type: 'string' },
            description: 'The ETag a cached copy has: 304 when it is still the object',
          },
          { $ref: '#/components/parameters/Purpose' },
          { $ref: '#/components/parameters/BreakGlassReason' },
        ],
        responses: {
          '200': {
            description: 'The bytes, as the Content-Type they were stored with',
            headers: {
              ETag: { description: 'The SHA-256 of the bytes, quoted', schema: { type: 'string' } },
              'Content-Length': { schema: { type: 'integer' } },
            },
            content: {
              'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
              '*/*': { schema: { type: 'string', format: 'binary' } },
            },
          },
          '304': { description: 'Not modified (If-None-Match named the current ETag)' },
          ...errorResponses(),
        },
      },
    },
  });
}
