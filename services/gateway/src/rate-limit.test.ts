import { decide, limiterKey } from './rate-limit';

describe('rate limit decisions', () => {
  it('allows up to the limit and refuses the next, with the seconds left in the window', () => {
    expect(decide([{ scope: 'address', count: 10, ttlMs: 4_000, limit: 10 }])).toEqual({ allowed: true });
    expect(decide([{ scope: 'address', count: 11, ttlMs: 4_001, limit: 10 }])).toEqual({
      allowed: false,
      scope: 'address',
      limit: 10,
      retryAfterSeconds: 5,
    });
  });

  it('names the first limit exceeded, and never says retry after 0 s', () => {
    expect(
      decide([
        { scope: 'address', count: 3, ttlMs: 100, limit: 10 },
        { scope: 'token', count: 6, ttlMs: 100, limit: 5 },
      ]),
    ).toEqual({ allowed: false, scope: 'token', limit: 5, retryAfterSeconds: 1 });
  });

  it('treats a limit of 0 as off', () => {
    expect(decide([{ scope: 'token', count: 1_000_000, ttlMs: 100, limit: 0 }])).toEqual({ allowed: true });
  });

  it('keys counters by a hash, never by the token or the address itself', () => {
    const token = 'Bearer eyJhbGciOiJFZERTQSJ9.payload.signature';
    const key = limiterKey('token', token);
    expect(key).toMatch(/^mch:gateway:rate:token:[A-Za-z0-9_-]{22}$/);
    expect(key).not.toContain('eyJ');
    expect(limiterKey('address', '10.0.0.1')).not.toContain('10.0.0.1');
    expect(limiterKey('address', '10.0.0.1')).not.toBe(limiterKey('address', '10.0.0.2'));
  });
});
