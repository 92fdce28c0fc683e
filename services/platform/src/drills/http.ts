// The drills' HTTP client for the gateway: keep-alive connections, a timeout per request, and every failure
// told apart (an answer with a status, a network error, a timeout) because each means something different.
import { Agent, request } from 'node:http';

export type HttpOutcome =
  | { readonly kind: 'answer'; readonly status: number; readonly body: string; readonly ms: number }
  | { readonly kind: 'network'; readonly error: string; readonly ms: number }
  | { readonly kind: 'timeout'; readonly ms: number };

export interface HttpCall {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly timeoutMs: number;
}

/** One pool of keep-alive sockets per load, large enough that no writer queues behind another. */
export function keepAliveAgent(maxSockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
}

/** Never rejects: a failure is an outcome the caller classifies. */
export function send(agent: Agent, call: HttpCall): Promise<HttpOutcome> {
  const began = Date.now();
  const payload = call.body === undefined ? undefined : JSON.stringify(call.body);
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
          ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => finish({ kind: 'answer', status: res.statusCode ?? 0, body: text, ms: Date.now() - began }));
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
