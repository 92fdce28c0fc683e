import { decideRefresh, REFRESH_RETRY_GRACE_MS } from './refresh';

const now = new Date('2026-11-25T10:00:00Z');
const later = new Date(now.getTime() + 86_400_000);
const state = (overrides: Partial<Parameters<typeof decideRefresh>[0] & object> = {}) => ({
  expiresAt: later,
  spentAt: undefined,
  revokedAt: undefined,
  accountActive: true,
  ...overrides,
});

describe('decideRefresh', () => {
  it('rotates a fresh token', () => expect(decideRefresh(state(), now)).toEqual({ kind: 'rotate' }));
  it('tolerates a retry within the grace', () =>
    expect(decideRefresh(state({ spentAt: new Date(now.getTime() - REFRESH_RETRY_GRACE_MS + 1) }), now)).toEqual({
      kind: 'rotate-retry',
    }));
  it('revokes the family on reuse after the grace', () =>
    expect(decideRefresh(state({ spentAt: new Date(now.getTime() - REFRESH_RETRY_GRACE_MS - 1) }), now).kind).toBe(
      'revoke-family',
    ));
  it.each([
    ['unknown', undefined],
    ['revoked', state({ revokedAt: now })],
    ['expired', state({ expiresAt: now })],
    ['deactivated account', state({ accountActive: false })],
  ])('rejects a %s token', (_label, token) => expect(decideRefresh(token, now).kind).toBe('reject'));
});
