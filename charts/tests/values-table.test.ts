// The README's table of every value is the one values.yaml and values.schema.json produce (one source).
import { readFileSync } from 'node:fs';
import { README, readmeWithTable, valuesRows } from './lib/values-table';

it('the chart README lists every value as values.yaml and the schema give it (npm run chart:values-table)', () => {
  const readme = readFileSync(README, 'utf8');
  expect(readme).toBe(readmeWithTable(readme));
  const rows = valuesRows();
  expect(rows.length).toBeGreaterThan(100);
  for (const value of [
    'postgres.synchronous.dataDurability',
    'serviceMonitor.enabled',
    'networkPolicy.kubeApiServer.anyAddressWhenUnknown',
    'services.replication.enabled',
  ]) {
    expect(rows.some((row) => row.startsWith(`| \`${value}\` |`))).toBe(true);
  }
});
