// GET /v1/consultations/{id}/events: a thread's messages live as server-sent events, from the consultation
// service's Subscribe stream. `id:` is the message's sequence number, so a client that reconnects with
// Last-Event-ID (or `?lastEventId=`) gets exactly the messages it missed, replayed from the database.
import type { FastifyInstance } from 'fastify';
import { InvalidArgumentError } from '../../common/src/errors';
import { ConsultationServiceService, Message, SubscribeResponse } from '../../common/src/gen/mch/consultation/v1/consultation';
import type { Backends } from './backends';
import { send } from './forwarding';
import { httpErrorFromLocal } from './http-errors';
import type { MessageCodec } from './proto-registry';
import { bridgeToSse, SseBounds, sseEvent } from './sse';

/** The sequence to resume after: the Last-Event-ID header, else the `lastEventId` query parameter, else 0. */
export function resumeAfter(header: string | string[] | undefined, query: string | undefined): string {
  const raw = (Array.isArray(header) ? header[0] : header) ?? query ?? '';
  const value = raw.trim();
  if (value === '') return '0';
  if (!/^\d{1,15}$/.test(value)) throw InvalidArgumentError.field(header !== undefined ? 'Last-Event-ID' : 'lastEventId', 'must be the id of an event of this stream');
  return String(Number(value));
}

export function registerConsultationEvents(app: FastifyInstance, backends: Backends, codecs: ReadonlyMap<string, MessageCodec>, bounds: SseBounds): void {
  app.get('/v1/consultations/:id/events', (request, reply) => {
    const { id } = request.params as { id: string };
    let afterSequence: string;
    try {
      afterSequence = resumeAfter(request.headers['last-event-id'], (request.query as Record<string, string | undefined>).lastEventId);
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
