// One row of the benchmark table and the ways rows are measured: autocannon's own numbers, or a closed loop of
// `concurrency` callers for a fixed time (gRPC, bookings), each reduced to requests per second and p50/p95/p99.

export interface Row {
  /** A stable id for the rows checks read (raw-http, raw-grpc, composed-floor, institution-cached, record-gateway, record-grpc, booking, pgbench, fhir-export). */
  id?: string;
  name: string;
  requestsPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  ratio?: string;
  /** Computed from other rows, not measured: no latencies. */
  computed?: boolean;
}

export function percentile(sorted: readonly number[], p: number): number {
  return Math.round((sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0) * 100) / 100;
}

/** A row from latencies (ms) of the calls that succeeded over `elapsedSeconds`. */
export function summarise(
  name: string,
  latencies: number[],
  elapsedSeconds: number,
  errors: number,
  non2xx: number,
): Row {
  latencies.sort((a, b) => a - b);
  return {
    name,
    requestsPerSecond: Math.round(latencies.length / elapsedSeconds),
    p50Ms: percentile(latencies, 0.5),
    p95Ms: percentile(latencies, 0.95),
    p99Ms: percentile(latencies, 0.99),
    errors,
    non2xx,
  };
}

export type CallOutcome = 'ok' | 'refused';

/**
 * `concurrency` callers each calling `once` back to back for `durationSeconds` (or until it returns undefined:
 * out of work). A thrown error counts as an error, 'refused' as a non-2xx answer; only 'ok' calls give latencies.
 */
export async function closedLoop(
  name: string,
  concurrency: number,
  durationSeconds: number,
  once: () => Promise<CallOutcome | undefined>,
): Promise<Row> {
  const latencies: number[] = [];
  let errors = 0;
  let refused = 0;
  const began = Date.now();
  const until = began + durationSeconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < until) {
        const started = process.hrtime.bigint();
        try {
          const outcome = await once();
          if (outcome === undefined) return;
          if (outcome === 'ok') latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
          else refused++;
        } catch {
          errors++;
        }
      }
    }),
  );
  return summarise(name, latencies, (Date.now() - began) / 1000, errors, refused);
}

/** "12.3% of raw HTTP". */
export function share(row: Row, base: Row | undefined, of: string): string | undefined {
  if (!base || base.requestsPerSecond === 0) return undefined;
  return `${((row.requestsPerSecond / base.requestsPerSecond) * 100).toFixed(1)}% of ${of}`;
}

/** The row with its stable id. */
export function withId(id: string, row: Row): Row {
  row.id = id;
  return row;
}

/**
 * The floor of one gateway hop: an HTTP request in and one gRPC call out, each at its raw ceiling, take
 * 1/raw HTTP + 1/raw gRPC seconds of the machine, so no gateway row can beat 1/(1/raw HTTP + 1/raw gRPC).
 */
export function composedFloor(rawHttp: Row, rawGrpc: Row): Row {
  const perSecond =
    rawHttp.requestsPerSecond > 0 && rawGrpc.requestsPerSecond > 0
      ? 1 / (1 / rawHttp.requestsPerSecond + 1 / rawGrpc.requestsPerSecond)
      : 0;
  return {
    id: 'composed-floor',
    name: 'composed floor of one gateway hop: 1/(1/raw HTTP + 1/raw gRPC)',
    requestsPerSecond: Math.round(perSecond),
    p50Ms: 0,
    p95Ms: 0,
    p99Ms: 0,
    errors: 0,
    non2xx: 0,
    computed: true,
  };
}
