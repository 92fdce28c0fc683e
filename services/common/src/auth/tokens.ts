// Verifies access tokens in every service: signature against the identity service's published keys
// (cached, refetched on an unknown key id), issuer, audience, expiry, and the shape of the claims.
import { createLocalJWKSet, errors as joseErrors, JSONWebKeySet, jwtVerify, JWTPayload } from 'jose';
import { UnauthenticatedError, UnavailableError } from '../errors';
import { AccessClaims, Principal, ROLES, RoleName, TOKEN_ALGORITHM, TOKEN_AUDIENCE, TOKEN_ISSUER } from './principal';

/** Where the public keys come from: identity's own key store, or identity's GetJwks over gRPC elsewhere. */
export type JwksSource = () => Promise<JSONWebKeySet>;

const JWKS_TTL_MS = 5 * 60_000;
const JWKS_MIN_REFRESH_MS = 5_000;

export class TokenVerifier {
  private keySet: ReturnType<typeof createLocalJWKSet> | undefined;
  private fetchedAt = 0;
  private refreshing: Promise<void> | undefined;

  constructor(private readonly source: JwksSource) {}

  private async refresh(force: boolean): Promise<void> {
    const age = Date.now() - this.fetchedAt;
    if (this.keySet && (force ? age < JWKS_MIN_REFRESH_MS : age < JWKS_TTL_MS)) return;
    this.refreshing ??= this.source()
      .then((jwks) => {
        this.keySet = createLocalJWKSet(jwks);
        this.fetchedAt = Date.now();
      })
      .finally(() => (this.refreshing = undefined));
    await this.refreshing;
  }

  /** The principal of a bearer token; UnauthenticatedError for anything not valid. */
  async verify(token: string): Promise<Principal> {
    try {
      await this.refresh(false);
    } catch (error) {
      // Not the caller's fault (identity unreachable, e.g. during a failover): retryable, and the session is kept.
      if (!this.keySet) throw new UnavailableError('token keys are unavailable; try again', 'KEYS_UNAVAILABLE');
    }
    let payload: JWTPayload & Partial<AccessClaims>;
    try {
      payload = await this.verifyWithKeys(token);
    } catch (error) {
      if (error instanceof joseErrors.JWKSNoMatchingKey) {
        await this.refresh(true).catch(() => undefined);
        payload = await this.verifyWithKeys(token).catch((retryError: unknown) => {
          throw describe(retryError);
        });
      } else {
        throw describe(error);
      }
    }
    return toPrincipal(payload);
  }

  private async verifyWithKeys(token: string): Promise<JWTPayload & Partial<AccessClaims>> {
    if (!this.keySet) throw new UnavailableError('token keys are unavailable', 'KEYS_UNAVAILABLE');
    const { payload } = await jwtVerify(token, this.keySet, {
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      algorithms: [TOKEN_ALGORITHM],
      clockTolerance: 5,
      requiredClaims: ['sub', 'exp', 'iat', 'jti'],
    });
    return payload;
  }
}

function describe(error: unknown): UnauthenticatedError | UnavailableError {
  if (error instanceof UnauthenticatedError || error instanceof UnavailableError) return error;
  if (error instanceof joseErrors.JWTExpired) return new UnauthenticatedError('access token expired', 'TOKEN_EXPIRED');
  if (error instanceof joseErrors.JWTClaimValidationFailed)
    return new UnauthenticatedError(`access token rejected: ${error.claim} claim`, 'TOKEN_INVALID');
  return new UnauthenticatedError('access token is not valid', 'TOKEN_INVALID');
}

function toPrincipal(payload: JWTPayload & Partial<AccessClaims>): Principal {
  const roles = Array.isArray(payload.roles)
    ? payload.roles.filter((role): role is RoleName => (ROLES as readonly string[]).includes(role))
    : [];
  if (
    typeof payload.sub !== 'string' ||
    (payload.kind !== 'staff' && payload.kind !== 'resident' && payload.kind !== 'service') ||
    typeof payload.jti !== 'string'
  ) {
    throw new UnauthenticatedError('access token is not valid', 'TOKEN_INVALID');
  }
  if (payload.kind === 'service') {
    if (typeof payload.svc !== 'string' || payload.svc === '')
      throw new UnauthenticatedError('access token is not valid', 'TOKEN_INVALID');
    return {
      subject: payload.sub,
      kind: 'service',
      roles: [],
      institutionId: undefined,
      analystScope: undefined,
      patientId: undefined,
      childPatientIds: [],
      tokenId: payload.jti,
      serviceName: payload.svc,
    };
  }
  return {
    subject: payload.sub,
    kind: payload.kind,
    roles: payload.kind === 'staff' ? roles : [],
    institutionId: typeof payload.inst === 'string' ? payload.inst : undefined,
    analystScope: typeof payload.scope === 'string' ? payload.scope : undefined,
    patientId: typeof payload.pid === 'string' ? payload.pid : undefined,
    childPatientIds: Array.isArray(payload.children)
      ? payload.children.filter((id): id is string => typeof id === 'string')
      : [],
    tokenId: payload.jti,
  };
}

/** Extracts the token from an `authorization: Bearer ...` value; undefined when absent. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(header.trim());
  if (!match) throw new UnauthenticatedError('authorization must be "Bearer <token>"', 'TOKEN_MALFORMED');
  return match[1];
}
