// Who is calling: the verified claims of an access token, as every service sees them.
/** `service`: a platform service acting as itself (auth/service-identity.ts); it holds no role. */
export type PrincipalKind = 'staff' | 'resident' | 'service';

export const ROLES = ['clinician', 'midwife', 'institution-admin', 'analyst', 'platform-admin'] as const;
export type RoleName = (typeof ROLES)[number];

export interface Principal {
  /** Account id. */
  readonly subject: string;
  readonly kind: PrincipalKind;
  readonly roles: readonly RoleName[];
  /** Staff: their institution. */
  readonly institutionId: string | undefined;
  /** Analysts: `prefecture` or a county code. */
  readonly analystScope: string | undefined;
  /** Residents: their own patient record. */
  readonly patientId: string | undefined;
  /** Residents: children linked to them as guardian when the token was issued. */
  readonly childPatientIds: readonly string[];
  /** Token id, for audit. */
  readonly tokenId: string;
  /** Services: which one (`referral`, ...). */
  readonly serviceName?: string;
}

/** Token claims beyond the registered ones (iss, aud, sub, exp, iat, jti). */
export interface AccessClaims {
  kind: PrincipalKind;
  roles: RoleName[];
  inst?: string;
  scope?: string;
  pid?: string;
  children?: string[];
  /** Service tokens: the service's name. */
  svc?: string;
}

export const TOKEN_ISSUER = 'mch-identity';
export const TOKEN_AUDIENCE = 'mch-alliance';
export const TOKEN_ALGORITHM = 'EdDSA';

/** A platform service acting as itself, optionally one of `names`. */
export function isService(principal: Principal | undefined, ...names: string[]): boolean {
  return (
    principal?.kind === 'service' &&
    principal.serviceName !== undefined &&
    (names.length === 0 || names.includes(principal.serviceName))
  );
}

export function hasRole(principal: Principal | undefined, ...roles: RoleName[]): boolean {
  return principal !== undefined && principal.roles.some((role) => roles.includes(role));
}

export function isClinical(principal: Principal | undefined): boolean {
  return hasRole(principal, 'clinician', 'midwife');
}
