// Login, refresh, logout, who-am-I and the published keys.
import { AccessClaims } from '../../common/src/auth/principal';
import { verifyServiceCredential } from '../../common/src/auth/service-identity';
import { InvalidArgumentError, PermissionDeniedError, UnauthenticatedError } from '../../common/src/errors';
import { firstMetadataValue, METADATA } from '../../common/src/grpc/context';
import type { CallContext } from '../../common/src/grpc/context';
import type { Database, PoolClient } from '../../common/src/pg/database';
import { Jwk, TokenPair } from '../../common/src/gen/mch/identity/v1/identity';
import type { AccountRow, AccountsRepository } from './accounts-repository';
import { decideRefresh } from './domain/refresh';
import { ACCESS_TOKEN_TTL_SECONDS, KeyStore } from './keys';
import { verifyPassword } from './passwords';
import { failureDelayMs, LoginThrottle } from './throttle';
import { toAccount } from './views';

export function claimsOf(account: AccountRow): AccessClaims {
  const claims: AccessClaims = { kind: account.kind, roles: account.kind === 'staff' ? account.roles : [] };
  if (account.institution_id) claims.inst = account.institution_id;
  if (account.analyst_scope) claims.scope = account.analyst_scope;
  if (account.patient_id) claims.pid = account.patient_id;
  if (account.kind === 'resident') claims.children = account.child_patient_ids ?? [];
  return claims;
}

export class AuthService {
  constructor(
    private readonly db: Database,
    private readonly accounts: AccountsRepository,
    private readonly keys: KeyStore,
    private readonly throttle: LoginThrottle,
    /** The platform's service secret; without it no service token is issued. */
    private readonly serviceSecret?: string,
  ) {}

  /** A new access token and a refresh token of `familyId` (a new login when undefined), inside `tx`. */
  async issueTokens(tx: PoolClient, account: AccountRow, familyId?: string): Promise<TokenPair> {
    const refreshToken = await this.accounts.issueRefreshToken(tx, account.id, familyId);
    const accessToken = await this.keys.signAccessToken(account.id, claimsOf(account));
    return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: ACCESS_TOKEN_TTL_SECONDS };
  }

  async login(request: { username: string; password: string }, ctx: CallContext): Promise<{ tokens: TokenPair }> {
    const violations = [];
    if (!request.username.trim()) violations.push({ field: 'username', description: 'is required' });
    if (!request.password) violations.push({ field: 'password', description: 'is required' });
    if (request.password.length > 256)
      violations.push({ field: 'password', description: 'must be at most 256 characters' });
    if (violations.length > 0) throw new InvalidArgumentError(violations);
    const address = firstMetadataValue(ctx.metadata, METADATA.clientAddress) ?? 'unknown';
    await this.throttle.check(request.username, address);
    const account = await this.accounts.findByUsername(request.username.trim());
    const valid = await verifyPassword(account?.password_hash, request.password);
    if (!account || !valid || !account.active) {
      const failures = await this.throttle.fail(request.username, address);
      await new Promise((resolve) => setTimeout(resolve, failureDelayMs(failures)));
      // One message for every failure: which part was wrong is not the caller's to learn.
      throw new UnauthenticatedError('username or password is wrong, or the account is deactivated', 'LOGIN_FAILED');
    }
    await this.throttle.succeed(request.username);
    return { tokens: await this.db.withTransaction((tx) => this.issueTokens(tx, account)) };
  }

  async refresh(request: { refreshToken: string }): Promise<{ tokens: TokenPair }> {
    if (!request.refreshToken) throw InvalidArgumentError.field('refreshToken', 'is required');
    const outcome = await this.db.withTransaction(async (tx) => {
      const token = await this.accounts.lockRefreshToken(tx, request.refreshToken);
      const decision = decideRefresh(
        token && {
          expiresAt: token.expires_at,
          spentAt: token.spent_at ?? undefined,
          revokedAt: token.revoked_at ?? undefined,
          accountActive: token.active,
        },
        new Date(),
      );
      if (!token || decision.kind === 'reject')
        return { error: decision.kind === 'reject' ? decision.reason : 'unknown refresh token' } as const;
      if (decision.kind === 'revoke-family') {
        await this.accounts.revokeFamily(tx, token.family_id);
        return { error: decision.reason } as const;
      }
      await this.accounts.spendRefreshToken(tx, token.id);
      const account = (await this.accounts.findById(token.account_id, tx)) as AccountRow;
      return { tokens: await this.issueTokens(tx, account, token.family_id) } as const;
    });
    // The revocation above must commit before the refusal is sent, so it is raised outside the transaction.
    if (outcome.tokens === undefined) throw new UnauthenticatedError(outcome.error, 'REFRESH_REJECTED');
    return { tokens: outcome.tokens };
  }

  async logout(request: { refreshToken: string }): Promise<Record<string, never>> {
    if (!request.refreshToken) throw InvalidArgumentError.field('refreshToken', 'is required');
    await this.db.withTransaction(async (tx) => {
      const token = await this.accounts.lockRefreshToken(tx, request.refreshToken);
      if (token) await this.accounts.revokeFamily(tx, token.family_id);
    });
    return {};
  }

  async me(ctx: CallContext): Promise<{ account: ReturnType<typeof toAccount> }> {
    const principal = ctx.principal;
    if (!principal) throw new UnauthenticatedError('a bearer token is required', 'TOKEN_MISSING');
    if (principal.kind === 'service')
      throw new PermissionDeniedError('a service token belongs to no account', 'SERVICE_TOKEN');
    const account = await this.accounts.findById(principal.subject);
    if (!account || !account.active)
      throw new UnauthenticatedError('account not found or deactivated', 'ACCOUNT_INACTIVE');
    return { account: toAccount(account) };
  }

  /** A service's own access token, for work it does as itself; the credential is checked in constant time. */
  async issueServiceToken(
    request: { serviceName: string; credential: string },
    ctx: CallContext,
  ): Promise<{ accessToken: string; expiresIn: number }> {
    const violations = [];
    if (!request.serviceName) violations.push({ field: 'serviceName', description: 'is required' });
    if (!request.credential) violations.push({ field: 'credential', description: 'is required' });
    if (violations.length > 0) throw new InvalidArgumentError(violations);
    if (!this.serviceSecret || !verifyServiceCredential(this.serviceSecret, request.serviceName, request.credential)) {
      ctx.logger.warn(
        { service: request.serviceName.slice(0, 40) },
        'service token refused: unknown service or wrong credential',
      );
      throw new UnauthenticatedError('unknown service or wrong credential', 'SERVICE_CREDENTIAL_REJECTED');
    }
    const accessToken = await this.keys.signAccessToken(`service:${request.serviceName}`, {
      kind: 'service',
      roles: [],
      svc: request.serviceName,
    });
    return { accessToken, expiresIn: ACCESS_TOKEN_TTL_SECONDS };
  }

  async jwks(): Promise<{ keys: Jwk[] }> {
    const jwks = await this.keys.jwks();
    return {
      keys: jwks.keys.map((key) => ({
        kty: key.kty ?? '',
        crv: String(key.crv ?? ''),
        x: String(key.x ?? ''),
        kid: key.kid ?? '',
        alg: key.alg ?? '',
        use: key.use ?? '',
      })),
    };
  }
}
