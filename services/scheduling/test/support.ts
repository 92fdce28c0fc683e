// Test support for scheduling through the gateway: patients registered in parallel batches, local times, fields.
import { randomInt } from 'node:crypto';
import { Api, fieldsOf, ok, residentId } from '../../identity/test/support';
export { fieldsOf, ok };

export const TREATMENT = { 'x-mch-purpose': 'treatment' };
const DAY_MS = 86_400_000;

/** The local (Asia/Shanghai) date `days` from today. */
export function localDate(days: number): string {
  return new Date(Date.now() + 8 * 3_600_000 + days * DAY_MS).toISOString().slice(0, 10);
}

/** The RFC 3339 instant of a local date and wall-clock time. */
export function at(date: string, clock: string): string {
  return new Date(`${date}T${clock}:00+08:00`).toISOString();
}

/**
 * Registers `count` women (distinct resident IDs no other test uses: random birth dates in the 1980s) through
 * identity's route, `batch` at a time; returns their patient ids in order.
 */
export async function registerWomen(
  api: Api,
  token: string,
  count: number,
  countyCode = 'lufeng',
  batch = 25,
): Promise<string[]> {
  const ids: string[] = [];
  const used = new Set<string>();
  for (let start = 0; start < count; start += batch) {
    const size = Math.min(batch, count - start);
    const answers = await Promise.all(
      Array.from({ length: size }, () => {
        let nationalId: string;
        do {
          const birth = new Date(Date.UTC(1980, 0, 1) + randomInt(0, 3650) * DAY_MS).toISOString().slice(0, 10);
          nationalId = residentId(birth, randomInt(1, 499) * 2);
        } while (used.has(nationalId));
        used.add(nationalId);
        return ok(
          api.call('POST', '/v1/patients', {
            token,
            body: { nationalId, name: '王芳', countyCode },
            headers: TREATMENT,
          }),
        );
      }),
    );
    ids.push(...answers.map((body) => body.patient.id as string));
  }
  return ids;
}
