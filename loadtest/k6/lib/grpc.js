// gRPC calls straight to a service as the gateway would make them: one connection per VU, the caller's bearer
// token, purpose of use and idempotency key as metadata, one retry of an unknown outcome under the same key, and
// checks on the status code and the message.
import grpc from 'k6/net/grpc';
import { check } from 'k6';
import { GRPC_PLAINTEXT } from './config.js';
import { freshSession } from './api.js';

/** Addresses this VU has connected a client to (each VU has its own copy of this module). @type {Record<string, boolean>} */
const connected = {};

/**
 * Connects `client` on this VU's first iteration (k6 forbids connecting in the init context).
 * @param {import('k6/net/grpc').Client} client @param {string} address
 */
export function connectOnce(client, address) {
  if (connected[address]) return;
  try {
    client.connect(address, { plaintext: GRPC_PLAINTEXT, timeout: '10s' });
  } catch (error) {
    // A service that cannot be reached fails the checks threshold, not only the log.
    check(address, { 'gRPC connect': () => false });
    throw error;
  }
  connected[address] = true;
}

/**
 * Metadata the gateway would send (authorization, x-mch-purpose, idempotency-key on writes) and the `op` tag.
 * @param {import('./api.js').Session} session
 * @param {'read' | 'write'} op
 * @param {string} [idempotencyKey]
 * @returns {import('k6/net/grpc').Params}
 */
export function grpcParams(session, op, idempotencyKey) {
  /** @type {Record<string, string>} */
  const metadata = { authorization: `Bearer ${freshSession(session).accessToken}`, 'x-mch-purpose': 'treatment' };
  if (idempotencyKey) metadata['idempotency-key'] = idempotencyKey;
  return { metadata, tags: { op } };
}

/**
 * Invokes a state-changing RPC; an unknown outcome (UNAVAILABLE, DEADLINE_EXCEEDED) is retried once with the same
 * params, hence the same idempotency key: the service answers the first result or does the work now, never twice.
 * @param {import('k6/net/grpc').Client} client @param {string} method full name, e.g. mch.records.v1.RecordsService/GetHandbook
 * @param {object} request @param {import('k6/net/grpc').Params} params
 */
export function invokeWrite(client, method, request, params) {
  const res = client.invoke(method, request, params);
  if (res.status !== grpc.StatusUnavailable && res.status !== grpc.StatusDeadlineExceeded) return res;
  return client.invoke(method, request, params);
}

/**
 * Checks status OK and the message's shape; returns the message, or undefined when a check failed.
 * @param {import('k6/net/grpc').Response} res
 * @param {string} label
 * @param {(message: any) => unknown} shape
 * @returns {any}
 */
export function expectStatusOk(res, label, shape) {
  /** @type {any} */
  const message = res.message;
  /** @type {Record<string, (r: import('k6/net/grpc').Response) => boolean>} */
  const checks = {};
  checks[`${label}: status OK`] = (r) => r.status === grpc.StatusOK;
  checks[`${label}: message`] = (r) => {
    try {
      return r.status === grpc.StatusOK && Boolean(shape(message));
    } catch (_error) {
      return false;
    }
  };
  const passed = check(res, checks);
  if (!passed) console.warn(`${label}: status ${res.status} ${JSON.stringify(res.error)}`);
  return passed ? message : undefined;
}
