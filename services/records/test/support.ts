// Test support for records through the gateway: the demo accounts' tokens, calls with a treatment purpose, dates
// relative to today in China, mothers with a resident ID, reading a record, the field names of a 400.
import { randomBytes, randomInt } from 'node:crypto';
import { Metadata } from '@grpc/grpc-js';
import { callUnary, createChannelClient } from '../../common/src/grpc/client';
import { AuditEvent } from '../../common/src/gen/mch/common/v1/audit';
import { RecordsServiceService } from '../../common/src/gen/mch/records/v1/records';
import { readTestPlatform } from '../../platform/test/platform-env';
import { Api, HttpAnswer, nextFemaleId, fieldsOf, ok } from '../../identity/test/support';
export { fieldsOf, ok };
import { todayInChina } from '../src/domain/record-inputs';

export const platform = readTestPlatform();
export const api = new Api(platform.gatewayUrl);
const treatment = { 'x-mch-purpose': 'treatment' };
export const tokens: Record<string, string> = {};

const DAY = 86_400_000;
export const today = todayInChina();
export const daysBefore = (days: number): string =>
  new Date(Date.parse(`${today}T00:00:00Z`) - days * DAY).toISOString().slice(0, 10);

export async function loginAll(users: readonly string[]): Promise<void> {
  for (const user of users) tokens[user] = (await api.login(user)).accessToken;
}

export async function call(
  user: string,
  method: string,
  route: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  return api.call(method, route, { token: tokens[user], body, headers: { ...treatment, ...headers } });
}

/** A woman of `countyCode` (Lufeng by default) with a fresh resident ID (born on `birthDate`), registered by the Lufeng midwife. */
export async function newMother(birthDate = '1994-05-12', countyCode = 'lufeng'): Promise<string> {
  const body = await ok(
    call('lufeng.midwife', 'POST', '/v1/patients', { nationalId: nextFemaleId(birthDate), name: '李秀英', countyCode }),
  );
  return body.patient.id;
}

export function certificate(): string {
  return `O${String(randomInt(100_000_000, 999_999_999))}`;
}

export async function recordOf(user: string, patientId: string, headers: Record<string, string> = {}): Promise<any> {
  return (await ok(call(user, 'GET', `/v1/patients/${patientId}/record`, undefined, headers))).record;
}

/** Records' own audit trail of a patient, read straight over gRPC as an institution admin. */
export async function recordsAuditOf(patientId: string): Promise<AuditEvent[]> {
  const records = createChannelClient(platform.serviceAddresses.records as string);
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${(await api.login('lufeng.admin')).accessToken}`);
  try {
    return (await callUnary(records, RecordsServiceService.listAuditEvents, { patientId, pageSize: 200 }, { metadata }))
      .events;
  } finally {
    records.close();
  }
}

/** Stores a small PNG in the object store for the patient (reference `patient:<id>`); returns its id. */
export async function uploadFor(user: string, patientId: string, bytes: Buffer = randomBytes(64)): Promise<string> {
  const response = await fetch(`${platform.gatewayUrl}/v1/objects?reference=patient:${patientId}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${tokens[user]}`,
      'content-type': 'image/png',
      'x-mch-purpose': 'treatment',
      'idempotency-key': randomBytes(8).toString('hex'),
    },
    body: new Uint8Array(bytes),
  });
  const body = (await response.json()) as { object?: { id: string } };
  if (response.status !== 201 || !body.object) throw new Error(`upload: ${response.status} ${JSON.stringify(body)}`);
  return body.object.id;
}
