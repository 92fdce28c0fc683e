// The drills' HTTP client for the gateway: keep-alive connections, a timeout per request, and every failure
// told apart (an answer with a status, a network error, a timeout) because each means something different.
import { Agent, request } from 'node:http';

export type HttpOutcome =
  | {
      readonly kind: 'answer';
      readonly status: number;
      readonly body: string;
      readonly bytes?: Buffer;
      readonly ms: number;
      /** The Retry-After header of the answer, when it had one (a 503 or 429 telling the client when to come back). */
      readonly retryAfter?: string;
    }
  | { readonly kind: 'network'; readonly error: string; readonly ms: number }
  | { readonly kind: 'timeout'; readonly ms: number };

export interface HttpCall {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /** Bytes sent as they are (an object upload) with their own Content-Type, instead of a JSON body. */
  readonly raw?: { readonly bytes: Buffer; readonly contentType: string };
  readonly timeoutMs: number;
}

/** One pool of keep-alive sockets per load, large enough that no writer queues behind another. */
export function keepAliveAgent(maxSockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
}

/** Never rejects: a failure is an outcome the caller classifies. */
export function send(agent: Agent, call: HttpCall): Promise<HttpOutcome> {
  const began = Date.now();
  const payload = call.raw?.bytes ?? (call.body === undefined ? undefined : Buffer.from(JSON.stringify(call.body)));
  const contentType = call.raw?.contentType ?? 'application/json';
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: HttpOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const req = request(
      call.url,
      {
        method: call.method,
        agent,
        headers: {
          ...(call.headers ?? {}),
          ...(payload === undefined ? {} : { 'content-type': contentType, 'content-length': String(payload.length) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const bytes = Buffer.concat(chunks);
          const retryAfter = res.headers['retry-after'];
          finish({
            kind: 'answer',
            status: res.statusCode ?? 0,
            body: bytes.toString('utf8'),
            bytes,
            ms: Date.now() - began,
            ...(typeof retryAfter === 'string' ? { retryAfter } : {}),
          });
        });
        res.on('error', (error) => finish({ kind: 'network', error: error.message, ms: Date.now() - began }));
      },
    );
    // The whole exchange, not only socket inactivity: a client gives up on an answer after this long.
    const timer = setTimeout(() => {
      finish({ kind: 'timeout', ms: Date.now() - began });
      req.destroy();
    }, call.timeoutMs);
    req.on('error', (error) => finish({ kind: 'network', error: error.message, ms: Date.now() - began }));
    req.end(payload);
  });
}

export function describeOutcome(outcome: HttpOutcome): string {
  if (outcome.kind === 'answer') return `HTTP ${outcome.status}`;
  if (outcome.kind === 'timeout') return 'timeout';
  return 'network error';
}
