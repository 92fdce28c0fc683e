// Prometheus metrics of the gateway: requests by route and status, latency, and the process defaults.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'mch_gateway_requests_total',
    help: 'HTTP requests answered, by route template, method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'mch_gateway_request_duration_seconds',
    help: 'HTTP request latency, by route template and method.',
    labelNames: ['route', 'method'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: 'mch_gateway_rate_limited_total',
    help: 'Requests refused with 429, by the limit that refused them (address or token).',
    labelNames: ['scope'] as const,
    registers: [this.registry],
  });
  readonly slowClients = new Counter({
    name: 'mch_gateway_slow_clients_total',
    help: 'Clients cut off for being slow: a request body not received in time (body), a server-sent event subscriber too far behind (stream).',
    labelNames: ['phase'] as const,
    registers: [this.registry],
  });

  readonly shed = new Counter({
    name: 'mch_gateway_shed_total',
    help: 'Requests answered 503 at once because their class of route was at its concurrency bound, by class.',
    labelNames: ['class'] as const,
    registers: [this.registry],
  });
  readonly inFlight = new Gauge({
    name: 'mch_gateway_in_flight',
    help: 'Requests being worked on, by class of route (the load-shedding counts).',
    labelNames: ['class'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'mch_gateway_' });
  }
}
