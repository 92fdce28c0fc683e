// One HTTP row of the benchmark, measured with autocannon (p95 from every answer's latency).
import autocannon from 'autocannon';
import { summarise, type Row } from './figures';

export interface Target {
  readonly method?: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly connections?: number;
  readonly requests?: autocannon.Request[];
}

/** An HTTP row by autocannon: 2 s of warm-up, then `durationSeconds` with every 2xx answer's latency kept. */
export async function measureHttp(
  name: string,
  url: string,
  target: Target,
  run: { durationSeconds: number; connections: number },
): Promise<Row> {
  const { durationSeconds, connections } = run;
  const options = {
    url,
    connections: target.connections ?? connections,
    method: target.method ?? 'GET',
    headers: target.headers,
    body: target.body,
    ...(target.requests ? { requests: target.requests } : {}),
  };
  // Warm up caches and connections, then measure; every answer's latency is kept for p95 (autocannon has p90, p97.5).
  await autocannon({ ...options, duration: 2 });
  const latencies: number[] = [];
  const began = Date.now();
  const instance = autocannon({ ...options, duration: durationSeconds }) as unknown as NodeJS.EventEmitter;
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
  });
  const result = await (instance as unknown as Promise<autocannon.Result>);
  const row = summarise(name, latencies, (Date.now() - began) / 1000, result.errors + result.timeouts, result.non2xx);
  row.requestsPerSecond = Math.round(result.requests.average);
  return row;
}
