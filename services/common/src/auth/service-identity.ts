// A platform service acting as itself (an outbox reader, a retried booking): its credential, derived from the
// platform's service secret, buys a short-lived access token from identity; the token rides in the call's metadata
// like a user's, and the policy grants a service principal only what is granted to it by name.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Metadata } from '@grpc/grpc-js';
import { IdentityServiceService } from '../gen/mch/identity/v1/identity';
import { callUnary, createChannelClient } from '../grpc/client';
import { METADATA } from '../grpc/context';

/** The services that may hold a service identity; `seeder` is the data generator (loadtest/seed), no service of its own. */
export const SERVICE_PRINCIPALS = [
  'identity',
  'records',
  'scheduling',
  'referral',
  'consultation',
  'replication',
  'gateway',
  'seeder',
] as const;
export type ServicePrincipalName = (typeof SERVICE_PRINCIPALS)[number];

export function isServicePrincipalName(name: string): name is ServicePrincipalName {
  return (SERVICE_PRINCIPALS as readonly string[]).includes(name);
}

/** The credential of one service: HMAC-SHA256 of its name under the platform's secret (identity recomputes it). */
export function deriveServiceCredential(masterSecret: string, serviceName: string): string {
  return createHmac('sha256', masterSecret).update(`mch-service-credential:${serviceName}`).digest('base64url');
}

/** Whether `credential` is the one `serviceName` holds, compared in constant time. */
export function verifyServiceCredential(masterSecret: string, serviceName: string, credential: string): boolean {
  if (!isServicePrincipalName(serviceName)) return false;
  const expected = Buffer.from(deriveServiceCredential(masterSecret, serviceName));
  const given = Buffer.from(credential);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface ServiceIdentityOptions {
  readonly serviceName: string;
  readonly credential: string;
  readonly identityAddress: string;
  /** Ask for a new token when less than this fraction of its life is left. */
  readonly renewAtFraction?: number;
  readonly now?: () => number;
}

/** Holds the service's current token and renews it before it expires; one request in flight at a time. */
export class ServiceIdentity {
  private current: { token: string; renewAt: number; expiresAt: number } | undefined;
  private pending: Promise<string> | undefined;
  private client: ReturnType<typeof createChannelClient> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: ServiceIdentityOptions) {
    this.now = options.now ?? Date.now;
  }

  get name(): string {
    return this.options.serviceName;
  }

  /** A valid access token; throws UnavailableError (from the client kit) when identity cannot be reached. */
  async token(): Promise<string> {
    const now = this.now();
    if (this.current && now < this.current.renewAt) return this.current.token;
    // Past the renewal point but still valid: renew in the background and use the one we have.
    if (this.current && now < this.current.expiresAt - 5_000) {
      this.renew().catch(() => undefined);
      return this.current.token;
    }
    return this.renew();
  }

  /** Metadata for a call made as this service: its token and, optionally, an idempotency key. */
  async metadata(options: { idempotencyKey?: string; requestId?: string } = {}): Promise<Metadata> {
    const metadata = new Metadata();
    metadata.set(METADATA.authorization, `Bearer ${await this.token()}`);
    if (options.idempotencyKey !== undefined) metadata.set(METADATA.idempotencyKey, options.idempotencyKey);
    if (options.requestId !== undefined) metadata.set(METADATA.requestId, options.requestId);
    return metadata;
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }

  private renew(): Promise<string> {
    this.pending ??= this.fetch().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async fetch(): Promise<string> {
    this.client ??= createChannelClient(this.options.identityAddress);
    const requestedAt = this.now();
    const response = await callUnary(
      this.client,
      IdentityServiceService.issueServiceToken,
      { serviceName: this.options.serviceName, credential: this.options.credential },
      { timeoutMs: 3_000, idempotent: true },
    );
    const lifeMs = response.expiresIn * 1000;
    const renewAtFraction = this.options.renewAtFraction ?? 1 / 3;
    this.current = {
      token: response.accessToken,
      renewAt: requestedAt + lifeMs * (1 - renewAtFraction),
      expiresAt: requestedAt + lifeMs,
    };
    return response.accessToken;
  }
}
