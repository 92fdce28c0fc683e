// Test support for identity through the gateway: log in as the demo accounts, make residents, call routes.
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { TEST_PLATFORM_ENV } from '../../platform/test/platform-env';

export const DEMO_PASSWORD = 'mch-demo-2026!';

export interface HttpAnswer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** The fields an error answer's google.rpc.BadRequest names, in order. */
export function fieldsOf(answer: HttpAnswer): string[] {
  return (answer.body?.details ?? []).flatMap((detail: { fieldViolations?: { field: string }[] }) =>
    (detail.fieldViolations ?? []).map((v) => v.field),
  );
}

/** The body of a 200 answer; anything else fails the test with the status and body. */
export async function ok(answer: Promise<HttpAnswer>): Promise<any> {
  const settled = await answer;
  if (settled.status !== 200) throw new Error(`${settled.status} ${JSON.stringify(settled.body)}`);
  return settled.body;
}

export class Api {
  constructor(readonly baseUrl: string) {}

  async call(
    method: string,
    route: string,
    options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<HttpAnswer> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && !headers['idempotency-key']) headers['idempotency-key'] = `test-${randomUUID()}`;
    const response = await fetch(`${this.baseUrl}${route}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  async login(username: string, password = DEMO_PASSWORD): Promise<{ accessToken: string; refreshToken: string }> {
    const answer = await this.call('POST', '/v1/auth/login', { body: { username, password } });
    if (answer.status !== 200) throw new Error(`login ${username}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body.tokens;
  }
}

/** A valid resident ID for a birth date, with sequence `seq` (odd = male, even = female). */
export function residentId(birthDate: string, seq: number, region = '532301'): string {
  const first17 = `${region}${birthDate.replace(/-/g, '')}${String(seq).padStart(3, '0')}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((total, digit, i) => total + Number(digit) * (weights[i] as number), 0);
  return first17 + '10X98765432'[sum % 11];
}

/**
 * The region code of this test file's resident IDs. Files share one platform and each starts its own module
 * state, so a counter alone repeats IDs across files (the second file "registers" the first one's woman and
 * finds her pregnancy); every file claims a region of its own instead, by creating a marker file beside the
 * run's platform description (53 4000–53 8999: apart from the fixed codes other tests use).
 */
function claimRegion(): string {
  const beside = process.env[TEST_PLATFORM_ENV];
  const dir = join(beside ? dirname(beside) : tmpdir(), 'test-resident-regions');
  mkdirSync(dir, { recursive: true });
  for (let n = 0; n < 5000; n += 1) {
    try {
      closeSync(openSync(join(dir, String(n)), 'wx'));
      return `53${String(4000 + n)}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  throw new Error(`no free test region left in ${dir}`);
}

let region: string | undefined;
let sequence = 0;
/** A fresh, unused resident ID of a woman born on `birthDate`. */
export function nextFemaleId(birthDate = '1995-03-08'): string {
  sequence += 2;
  if (region === undefined || sequence > 998) {
    region = claimRegion();
    sequence = 2;
  }
  return residentId(birthDate, sequence, region);
}
