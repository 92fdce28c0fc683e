// The `fhir-export` row of the benchmark (#24 §2): one system-level FHIR Bulk Data export of the whole database,
// as the prefecture's health administrator starts it, from kick-off to the last byte of the last NDJSON file;
// resources per second over that time (latency columns: the downloads of the files).
// `node dist/loadtest/bench/fhir-export.js` runs this row alone against a running platform (MCH_GATEWAY_URL).
import { summarise, withId, type Row } from './figures';
import { analystToken } from './statistics';

const POLL_MS = 250;

export async function fhirExportRow(gatewayUrl: string): Promise<Row | undefined> {
  const headers = { authorization: `Bearer ${await analystToken(gatewayUrl)}` };
  const began = Date.now();
  const kickOff = await fetch(`${gatewayUrl}/fhir/R4/$export`, {
    headers: { ...headers, prefer: 'respond-async', accept: 'application/fhir+json' },
  });
  const statusUrl = kickOff.headers.get('content-location');
  if (kickOff.status !== 202 || !statusUrl) {
    process.stderr.write(`fhir-export row skipped: kick-off answered ${kickOff.status} ${await kickOff.text()}\n`);
    return undefined;
  }
  let manifest: { output: { url: string; count: number }[] } | undefined;
  while (!manifest) {
    const status = await fetch(statusUrl, { headers });
    if (status.status === 200) manifest = (await status.json()) as typeof manifest;
    else if (status.status === 202) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    else throw new Error(`export status ${status.status}: ${await status.text()}`);
  }
  const latencies: number[] = [];
  let resources = 0;
  let errors = 0;
  for (const output of manifest?.output ?? []) {
    const started = process.hrtime.bigint();
    const file = await fetch(output.url, { headers: { ...headers, accept: 'application/fhir+ndjson' } });
    const text = await file.text();
    if (file.status !== 200) {
      errors += 1;
      continue;
    }
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    resources += text.split('\n').filter((line) => line.length > 0).length;
  }
  const seconds = (Date.now() - began) / 1000;
  const row = summarise(
    `FHIR $export, system level: resources/s kick-off to last file (${resources.toLocaleString('en')} resources, ${(manifest?.output ?? []).length} files, ${seconds.toFixed(1)} s)`,
    latencies,
    seconds,
    errors,
    0,
  );
  row.requestsPerSecond = Math.round(resources / seconds);
  return withId('fhir-export', row);
}

async function main(): Promise<void> {
  const gatewayUrl = process.env.MCH_GATEWAY_URL ?? 'http://127.0.0.1:8080';
  const row = await fhirExportRow(gatewayUrl);
  process.stdout.write(`${JSON.stringify(row)}\n`);
}

if (require.main === module) void main();
