// Load shedding: each class of route has a bound on the requests the gateway works on at once. Past it a request
// is answered 503 with Retry-After at once, before any backend call, instead of joining a queue that grows until
// every request in it times out. A shed request costs the gateway microseconds; a queued one holds memory and a
// backend call slot for up to GATEWAY_CALL_TIMEOUT_MS and still fails. Limits are per gateway replica (in-process
// counts, no Redis round trip): a replica sheds by its own load.
//
// Why static bounds: the backends' capacity is measured (BENCHMARKS.md: ~1,000–1,200 record reads/s over gRPC at
// 20–60 ms), so by Little's law a few hundred reads in flight is already seconds of queue. Clients retry a 503
// after Retry-After; writes carry idempotency keys, so a retried write is safe.

/** The classes of route, each with its own bound. */
export const ROUTE_CLASSES = ['read', 'write', 'heavy', 'stream'] as const;
export type RouteClass = (typeof ROUTE_CLASSES)[number];

/** What each class holds: how it is chosen and why it has its own bound. */
export const ROUTE_CLASS_RULES: readonly {
  readonly routeClass: RouteClass;
  readonly pattern: RegExp;
  readonly why: string;
}[] = [
  // Server-sent events hold a connection and a gRPC stream for minutes; they must not starve unary calls.
  {
    routeClass: 'stream',
    pattern: /^\/v1\/(consultations\/[^/]+\/events|replication\/events|high-risk-cases\/events)\/?$/,
    why: 'long-lived server-sent event streams',
  },
  // Objects move megabytes; statistics and exports scan many rows: few at once, so they cannot crowd out the rest.
  {
    routeClass: 'heavy',
    pattern: /^\/(v1\/objects|v1\/statistics|v1\/reports|fhir\/R4\/(\$export|Group\/[^/]+\/\$export))(\/|\?|$)/,
    why: 'object transfers, statistics, the annual tables and bulk exports',
  },
];

/**
 * Probes and scrapes are never shed nor rate limited: an overloaded gateway must still answer its load balancer and
 * Prometheus.
 */
export const PROBE_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

/** The class of a request, or undefined for probes and scrapes. Unary GETs are reads; every other verb a write. */
export function routeClassOf(method: string, url: string): RouteClass | undefined {
  const path = url.split('?')[0] ?? '';
  if (PROBE_PATHS.has(path)) return undefined;
  for (const rule of ROUTE_CLASS_RULES) if (rule.pattern.test(path)) return rule.routeClass;
  return method === 'GET' || method === 'HEAD' ? 'read' : 'write';
}

export type ClassLimits = Readonly<Record<RouteClass, number>>;

/** Seconds a shed client is told to wait: a unary call frees its slot within a call's time; a stream much later. */
export const RETRY_AFTER_SECONDS: ClassLimits = { read: 1, write: 1, heavy: 2, stream: 5 };

/** In-flight counts against each class's bound (0: unbounded). */
export class ConcurrencyLimits {
  private readonly inFlight: Record<RouteClass, number> = { read: 0, write: 0, heavy: 0, stream: 0 };

  constructor(private readonly limits: ClassLimits) {}

  /** Takes a slot of the class, or returns false when the class is at its bound. */
  tryAcquire(routeClass: RouteClass): boolean {
    const limit = this.limits[routeClass];
    if (limit > 0 && this.inFlight[routeClass] >= limit) return false;
    this.inFlight[routeClass] += 1;
    return true;
  }

  release(routeClass: RouteClass): void {
    this.inFlight[routeClass] = Math.max(0, this.inFlight[routeClass] - 1);
  }

  /** Every class's requests in flight and bound, for /readyz and the metrics. */
  state(): Record<RouteClass, { inFlight: number; limit: number }> {
    const entry = (routeClass: RouteClass) => ({ inFlight: this.inFlight[routeClass], limit: this.limits[routeClass] });
    return { read: entry('read'), write: entry('write'), heavy: entry('heavy'), stream: entry('stream') };
  }
}
