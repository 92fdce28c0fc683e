// What presenting a refresh token means: rotate it, tolerate a client retrying the same refresh within a
// few seconds, or treat its reuse as theft and revoke the whole login.
export const REFRESH_RETRY_GRACE_MS = 10_000;

export interface RefreshTokenState {
  readonly expiresAt: Date;
  readonly spentAt: Date | undefined;
  readonly revokedAt: Date | undefined;
  readonly accountActive: boolean;
}

export type RefreshDecision =
  | { readonly kind: 'rotate' }
  /** A retry of a refresh already answered: issue another successor in the same family, revoke nothing. */
  | { readonly kind: 'rotate-retry' }
  | { readonly kind: 'reject'; readonly reason: string }
  /** Reuse after the grace: someone else holds a copy. */
  | { readonly kind: 'revoke-family'; readonly reason: string };

export function decideRefresh(token: RefreshTokenState | undefined, now: Date): RefreshDecision {
  if (!token) return { kind: 'reject', reason: 'unknown refresh token' };
  if (token.revokedAt) return { kind: 'reject', reason: 'refresh token revoked' };
  if (!token.accountActive) return { kind: 'reject', reason: 'account deactivated' };
  if (token.expiresAt.getTime() <= now.getTime()) return { kind: 'reject', reason: 'refresh token expired' };
  if (token.spentAt) {
    return now.getTime() - token.spentAt.getTime() <= REFRESH_RETRY_GRACE_MS
      ? { kind: 'rotate-retry' }
      : { kind: 'revoke-family', reason: 'refresh token reused; every token of this login is revoked' };
  }
  return { kind: 'rotate' };
}
