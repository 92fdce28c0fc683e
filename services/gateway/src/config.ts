// The gateway's configuration; backend addresses are read per backend (`<NAME>_SERVICE_ADDR`).
import { ConfigOf, int, loadConfig, optionalStr, port, str } from '../../common/src/config';

export const gatewayConfigSpec = {
  SERVICE_NAME: str({ default: 'gateway' }),
  LOG_LEVEL: str({ default: 'info', oneOf: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] }),
  HTTP_HOST: str({ default: '127.0.0.1' }),
  HTTP_PORT: port({ default: 8080 }),
  GATEWAY_CALL_TIMEOUT_MS: int({ default: 10_000, min: 100 }),
  GATEWAY_BODY_LIMIT_BYTES: int({ default: 1024 * 1024, min: 1024 }),
  /** Largest object upload (POST /v1/objects); larger is 413 before any byte reaches a store. */
  GATEWAY_OBJECT_LIMIT_BYTES: int({ default: 25 * 1024 * 1024, min: 1024 }),
  /** Deadline of one object upload or download. */
  GATEWAY_OBJECT_TIMEOUT_MS: int({ default: 120_000, min: 1_000 }),
  SHUTDOWN_GRACE_MS: int({ default: 10_000, min: 0 }),
  /**
   * Slow clients. A request's headers must all arrive within GATEWAY_HEADERS_TIMEOUT_MS and a JSON body within
   * GATEWAY_BODY_TIMEOUT_MS after them (408 and the connection closed), so a client trickling bytes (slowloris) holds
   * a connection for a bounded time; object uploads are bounded by GATEWAY_OBJECT_TIMEOUT_MS instead. A connection
   * silent for GATEWAY_IDLE_TIMEOUT_MS is closed. Behind a proxy that buffers requests (nginx ingress) these rarely
   * fire; they guard the gateway when it is reached directly or the proxy streams.
   */
  GATEWAY_HEADERS_TIMEOUT_MS: int({ default: 10_000, min: 100 }),
  GATEWAY_BODY_TIMEOUT_MS: int({ default: 30_000, min: 100 }),
  GATEWAY_IDLE_TIMEOUT_MS: int({ default: 30_000, min: 100 }),
  /** Longer than the idle timeout of the proxy or load balancer in front (60 s for nginx and cloud LBs), so it closes first. */
  GATEWAY_KEEP_ALIVE_TIMEOUT_MS: int({ default: 65_000, min: 100 }),
  /** A server-sent event subscriber this far behind (bytes queued in the gateway) is disconnected; it reconnects with Last-Event-ID. */
  GATEWAY_SSE_BUFFER_BYTES: int({ default: 1024 * 1024, min: 1024 }),
  /** A comment line on a quiet server-sent event stream after this long, so proxies and clients keep it open. */
  GATEWAY_SSE_HEARTBEAT_MS: int({ default: 15_000, min: 100 }),
  /** Proxies in front of the gateway whose X-Forwarded-For is believed (0 locally; the ingress hops in Kubernetes). */
  GATEWAY_TRUSTED_PROXY_HOPS: int({ default: 0, min: 0, max: 10 }),
  /** Redis for the rate limits shared by every replica; without it there are none. */
  REDIS_URL: optionalStr(),
  REDIS_COMMAND_TIMEOUT_MS: int({ default: 250, min: 10 }),
  /** Requests per window per client address (0: off). */
  GATEWAY_RATE_LIMIT_PER_ADDRESS: int({ default: 3_000, min: 0 }),
  /** Requests per window per bearer token (0: off). */
  GATEWAY_RATE_LIMIT_PER_TOKEN: int({ default: 1_200, min: 0 }),
  GATEWAY_RATE_LIMIT_WINDOW_SECONDS: int({ default: 60, min: 1, max: 3_600 }),
  /**
   * Load shedding (load-shedding.ts): requests one gateway replica works on at once, per class of route; past the
   * bound a request is answered 503 with Retry-After at once (0: unbounded). Reads are unary GETs, writes every other
   * unary verb, heavy the object transfers, statistics and bulk exports, streams the server-sent event subscriptions.
   */
  GATEWAY_MAX_IN_FLIGHT_READS: int({ default: 256, min: 0 }),
  GATEWAY_MAX_IN_FLIGHT_WRITES: int({ default: 128, min: 0 }),
  GATEWAY_MAX_IN_FLIGHT_HEAVY: int({ default: 16, min: 0 }),
  GATEWAY_MAX_STREAMS: int({ default: 2_000, min: 0 }),
};

export type GatewayConfig = ConfigOf<typeof gatewayConfigSpec>;

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  return loadConfig(gatewayConfigSpec, env);
}
