// GET /v1/consultations/{id}/events: a thread's messages live as server-sent events, from the consultation
// service's Subscribe stream. `id:` is the message's sequence number, so a client that reconnects with
// Last-Event-ID (or `?lastEventId=`) gets exactly the messages it missed, replayed from the database.
import type { FastifyInstance } from 'fastify';
import { InvalidArgumentError } from '../../common/src/errors';
import {
  ConsultationServiceService,
  Message,
  SubscribeResponse,
} from '../../common/src/gen/mch/consultation/v1/consultation';
import type { Backends } from './backends';
import { send } from './forwarding';
import { httpErrorFromLocal } from './http-errors';
import type { MessageCodec } from './proto-registry';
import { bridgeToSse, SseBounds, sseEvent } from './sse';
import { errorResponses, sseResponse, type Paths, type SchemaBuilder } from './openapi';

/** The sequence to resume after: the Last-Event-ID header, else the `lastEventId` query parameter, else 0. */
export function resumeAfter(header: string | string[] | undefined, query: string | undefined): string {
  const raw = (Array.isArray(header) ? header[0] : header) ?? query ?? '';
  const value = raw.trim();
  if (value === '') return '0';
  if (!/^\d{1,15}$/.test(value))
    throw InvalidArgumentError.field(
      header !== undefined ? 'Last-Event-ID' : 'lastEventId',
      'must be the id of an event of this stream',
    );
  return String(Number(value));
}

export function registerConsultationEvents(
  app: FastifyInstance,
  backends: Backends,
  codecs: ReadonlyMap<string, MessageCodec>,
  bounds: SseBounds,
): void {
  app.get('/v1/consultations/:id/events', (request, reply) => {
    const { id } = request.params as { id: string };
    let afterSequence: string;
    try {
      afterSequence = resumeAfter(
        request.headers['last-event-id'],
        (request.query as Record<string, string | undefined>).lastEventId,
      );
    } catch (error) {
      return void send(reply, httpErrorFromLocal(error, codecs));
    }
    bridgeToSse(request, reply, backends, codecs, {
      backend: 'CONSULTATION',
      method: ConsultationServiceService.subscribe,
      request: { consultationId: id, afterSequence },
      frame: (frame: SubscribeResponse) =>
        frame.message
          ? sseEvent('message', Message.toJSON(frame.message), frame.message.sequence)
          : sseEvent('ready', { lastSequence: frame.started?.lastSequence ?? '0' }),
      interrupted: sseEvent('error', { message: 'consultation stream interrupted; reconnect with Last-Event-ID' }),
      ...bounds,
      retryMs: 1_000,
    });
  });
}

/** GET /v1/consultations/{id}/events in /openapi.json. */
export function consultationEventsOpenApi(schemas: SchemaBuilder): Paths {
  return {
    '/v1/consultations/{id}/events': {
      get: {
        operationId: 'ConsultationService.Subscribe',
        summary:
          "A consultation thread's messages, live, as server-sent events (its participants; platform admins as audited operators)",
        tags: ['ConsultationService'],
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'The consultation' },
          {
            name: 'Last-Event-ID',
            in: 'header',
            required: false,
            schema: { type: 'string', pattern: '^\\d{1,15}$' },
            description: 'Resume after this message sequence (EventSource sends it on reconnecting)',
          },
          {
            name: 'lastEventId',
            in: 'query',
            required: false,
            schema: { type: 'string', pattern: '^\\d{1,15}$' },
            description: 'The same, for clients that cannot set the header (the header wins)',
          },
          { $ref: '#/components/parameters/Purpose' },
          { $ref: '#/components/parameters/BreakGlassReason' },
        ],
        responses: {
          '200': sseResponse(
            'The stream: first `retry: 1000`, then `ready` once the messages after Last-Event-ID are replayed, then each new message as it is posted.',
            [
              {
                event: 'message',
                id: "the message's sequence number (send it back as Last-Event-ID)",
                description: 'A message of the thread',
                data: schemas.named('mch.consultation.v1.Message'),
              },
              {
                event: 'ready',
                description: 'Replay is done; live messages follow',
                data: {
                  type: 'object',
                  required: ['lastSequence'],
                  properties: { lastSequence: { type: 'string', format: 'int64' } },
                },
              },
              {
                event: 'error',
                description: 'The stream broke after it started; reconnect with Last-Event-ID',
                data: { type: 'object', required: ['message'], properties: { message: { type: 'string' } } },
              },
            ],
            'retry: 1000\n\nid: 41\nevent: message\ndata: {"consultationId":"…","sequence":"41","text":"请会诊"}\n\nevent: ready\ndata: {"lastSequence":"41"}\n\n',
          ),
          ...errorResponses(),
        },
      },
    },
  };
}
