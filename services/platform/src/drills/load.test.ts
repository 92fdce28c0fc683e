import { backoffMs, DEFAULT_CLIENT_POLICY, drillNamePrefix, isDefinitive, newRegistration } from './load';

describe('what settles a write', () => {
  const answer = (status: number) => ({ kind: 'answer' as const, status, body: '', ms: 1 });
  it('treats 2xx as acknowledged and 4xx as refused, except 401 (nothing was done: log in again)', () => {
    expect([200, 400, 403, 409, 429].map((status) => isDefinitive(answer(status)))).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(isDefinitive(answer(401))).toBe(false);
  });
  it('leaves 5xx, timeouts and network errors unknown: retried with the same key', () => {
    expect([500, 503, 504].map((status) => isDefinitive(answer(status)))).toEqual([false, false, false]);
    expect(isDefinitive({ kind: 'timeout', ms: 12_000 })).toBe(false);
    expect(isDefinitive({ kind: 'network', error: 'ECONNRESET', ms: 3 })).toBe(false);
  });
});

describe('backoff', () => {
  it('draws between half and all of a ceiling that doubles up to the maximum', () => {
    for (let retry = 1; retry <= 10; retry++) {
      const ceiling = Math.min(
        DEFAULT_CLIENT_POLICY.maxBackoffMs,
        DEFAULT_CLIENT_POLICY.firstBackoffMs * 2 ** (retry - 1),
      );
      for (let draw = 0; draw < 50; draw++) {
        const delay = backoffMs(DEFAULT_CLIENT_POLICY, retry);
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2 - 1);
        expect(delay).toBeLessThanOrEqual(ceiling + 1);
      }
    }
  });
});

describe('drill registrations', () => {
  it('are unique names under the drill prefix, stored as typed (lower-case letters), with a past birth date', () => {
    const prefix = drillNamePrefix();
    const names = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const registration = newRegistration(prefix);
      expect(registration.name).toMatch(new RegExp(`^${prefix}[a-z]{14}$`));
      expect(registration.name.length).toBeLessThanOrEqual(50);
      expect(registration.birthDate).toMatch(/^(19[7-9]\d|200[0-7])-\d\d-\d\d$/);
      names.add(registration.name);
    }
    expect(names.size).toBe(1000);
  });
});
