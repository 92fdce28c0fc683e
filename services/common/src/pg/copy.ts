// Bulk writes with COPY FROM STDIN (text format) inside a caller's transaction: the bulk import paths of each
// service write thousands of rows in one round trip per table instead of one INSERT per row.
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { from as copyFrom } from 'pg-copy-streams';
import type { PoolClient } from './database';

/** A value for a jsonb column: an array would otherwise be read as a text[] literal (`[]` as `{}`). */
export class JsonValue {
  constructor(readonly value: unknown) {}
}

export const json = (value: unknown): JsonValue => new JsonValue(value);

/** A column value: text, number, boolean, a date, a text array, a JSON document (`json(...)`), or NULL. */
export type CopyValue = string | number | boolean | Date | readonly string[] | JsonValue | null | undefined;

const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function escapeText(text: string): string {
  return text.replace(/[\\\t\n\r]/g, (character) => ESCAPES[character] as string);
}

/** An array literal (`{"a","b"}`) for a text[] column. */
function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((value) => `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}

/** One value in COPY's text format. */
export function copyField(value: CopyValue): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'string') return escapeText(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`COPY of a non-finite number (${value})`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (value instanceof Date) return value.toISOString();
  if (value instanceof JsonValue) return escapeText(JSON.stringify(value.value));
  return escapeText(arrayLiteral(value));
}

/** One row in COPY's text format, newline-terminated. */
export function copyLine(row: readonly CopyValue[]): string {
  return `${row.map(copyField).join('\t')}\n`;
}

/**
 * Writes `rows` into `table (columns)` with COPY FROM STDIN on the transaction's connection. Rows are streamed in
 * chunks of about 64 KiB, so a large batch is never one string in memory. Returns the number of rows written.
 */
export async function copyRows(
  tx: PoolClient,
  table: string,
  columns: readonly string[],
  rows: Iterable<readonly CopyValue[]>,
): Promise<number> {
  let count = 0;
  function* chunks(): Generator<string> {
    let chunk = '';
    for (const row of rows) {
      if (row.length !== columns.length)
        throw new Error(`COPY into ${table}: a row has ${row.length} values for ${columns.length} columns`);
      chunk += copyLine(row);
      count++;
      if (chunk.length >= 65_536) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk !== '') yield chunk;
  }
  const sink: Writable = tx.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  await pipeline(Readable.from(chunks()), sink);
  return count;
}
