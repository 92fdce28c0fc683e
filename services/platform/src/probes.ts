// Small clients the platform uses to ask its components whether they are up: HTTP, Redis PING, grpc.health.v1.
import { request } from 'node:http';
import { connect } from 'node:net';
import * as grpc from '@grpc/grpc-js';

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

/** One HTTP request without keep-alive (no lingering sockets), failing after `timeoutMs`. */
export function httpRequest(method: string, url: string, body?: unknown, timeoutMs = 2000): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      url,
      {
        method,
        agent: false,
        timeout: timeoutMs,
        headers:
          payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

export async function httpOk(url: string, timeoutMs = 1000): Promise<boolean> {
  try {
    const answer = await httpRequest('GET', url, undefined, timeoutMs);
    return answer.status === 200;
  } catch {
    return false;
  }
}

/** Redis answers +PONG to an inline PING. */
export function redisPing(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.on('error', () => finish(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString('utf8');
      if (answer.includes('\r\n')) finish(answer.startsWith('+PONG'));
    });
  });
}

/** grpc.health.v1.HealthCheckResponse.ServingStatus. */
export enum ServingStatus {
  UNKNOWN = 0,
  SERVING = 1,
  NOT_SERVING = 2,
  SERVICE_UNKNOWN = 3,
}

// HealthCheckRequest { string service = 1; } and HealthCheckResponse { ServingStatus status = 1; } are tiny
// enough to encode by hand, which spares the platform a proto toolchain.
function encodeHealthRequest(service: string): Buffer {
  const name = Buffer.from(service, 'utf8');
  if (name.length === 0) return Buffer.alloc(0);
  if (name.length > 127) throw new Error('health service name too long');
  return Buffer.concat([Buffer.from([0x0a, name.length]), name]);
}

function decodeHealthResponse(bytes: Buffer): ServingStatus {
  for (let offset = 0; offset + 1 < bytes.length;) {
    const tag = bytes[offset];
    const value = bytes[offset + 1];
    if (tag === 0x08 && value !== undefined) return value;
    offset += 2;
  }
  return ServingStatus.UNKNOWN;
}

/** The serving status a gRPC server reports for `service` ('' means the whole server). */
export function grpcHealth(address: string, service = '', timeoutMs = 1000): Promise<ServingStatus> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise<ServingStatus>((resolve, reject) => {
    client.makeUnaryRequest<string, ServingStatus>(
      '/grpc.health.v1.Health/Check',
      encodeHealthRequest,
      decodeHealthResponse,
      service,
      new grpc.Metadata(),
      { deadline: Date.now() + timeoutMs },
      (error, status) => {
        if (error !== null || status === undefined) reject(error ?? new Error('empty health answer'));
        else resolve(status);
      },
    );
  }).finally(() => client.close());
}

export async function grpcServing(address: string, timeoutMs = 1000): Promise<boolean> {
  try {
    return (await grpcHealth(address, '', timeoutMs)) === ServingStatus.SERVING;
  } catch {
    return false;
  }
}
