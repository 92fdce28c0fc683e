// The alliance's member institutions as every service sees them: identity's public directory, kept in process
// because it changes with the reference data, not with traffic. One copy per process, refreshed every few minutes;
// an id it does not know makes it look again (at most every few seconds), so an institution added since the last
// load is found without waiting for the refresh. When identity cannot be read, a stale copy beats none.
import type { Client } from '@grpc/grpc-js';
import type { InstitutionLevelName } from './auth/policy';
import { UnavailableError } from './errors';
import { IdentityServiceService, InstitutionLevel } from './gen/mch/identity/v1/identity';
import { callUnary } from './grpc/client';

export interface InstitutionInfo {
  readonly id: string;
  readonly code: string;
  readonly name: string;
  readonly countyCode: string;
  readonly level: InstitutionLevelName | undefined;
  /** WGS 84 degrees; undefined when identity holds no location for it. */
  readonly location: { readonly latitude: number; readonly longitude: number } | undefined;
  readonly capabilities: readonly string[];
}

export const INSTITUTION_LEVELS: Readonly<Partial<Record<InstitutionLevel, InstitutionLevelName>>> = {
  [InstitutionLevel.INSTITUTION_LEVEL_PREFECTURE]: 'prefecture',
  [InstitutionLevel.INSTITUTION_LEVEL_COUNTY]: 'county',
  [InstitutionLevel.INSTITUTION_LEVEL_TOWNSHIP]: 'township',
};

export interface InstitutionDirectoryOptions {
  /** How long a loaded copy is served before it is loaded again. */
  readonly ttlMs?: number;
  /** The shortest time between two loads caused by an unknown id. */
  readonly missRefreshMs?: number;
  readonly timeoutMs?: number;
}

export class InstitutionDirectory {
  private loaded: { at: number; byId: Map<string, InstitutionInfo> } | undefined;
  private loading: Promise<Map<string, InstitutionInfo>> | undefined;
  private readonly ttlMs: number;
  private readonly missRefreshMs: number;
  private readonly timeoutMs: number;

  /** `identity` is a channel to the identity service; the directory is public, so no caller's token is sent. */
  constructor(
    private readonly identity: Client,
    options: InstitutionDirectoryOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 5 * 60_000;
    this.missRefreshMs = options.missRefreshMs ?? 5_000;
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  /** Every member institution by id. UNAVAILABLE only when identity cannot be read and nothing was loaded before. */
  async all(): Promise<ReadonlyMap<string, InstitutionInfo>> {
    const loaded = this.loaded;
    if (loaded && Date.now() - loaded.at < this.ttlMs) return loaded.byId;
    return this.load();
  }

  /** The institution with this id, or undefined when the alliance has no such member. */
  async get(id: string): Promise<InstitutionInfo | undefined> {
    const found = (await this.all()).get(id);
    if (found || !this.loaded || Date.now() - this.loaded.at < this.missRefreshMs) return found;
    return (await this.load()).get(id);
  }

  /** By id or by code (`CX-LFS-MCH`). */
  async find(idOrCode: string): Promise<InstitutionInfo | undefined> {
    const byId = await this.get(idOrCode.toLowerCase());
    if (byId) return byId;
    const code = idOrCode.toUpperCase();
    return [...(await this.all()).values()].find((institution) => institution.code === code);
  }

  private async load(): Promise<Map<string, InstitutionInfo>> {
    const previous = this.loaded;
    this.loading ??= this.fetch().finally(() => (this.loading = undefined));
    try {
      return await this.loading;
    } catch {
      if (previous) return previous.byId;
      throw new UnavailableError('the institution directory (identity) cannot be read; retry');
    }
  }

  private async fetch(): Promise<Map<string, InstitutionInfo>> {
    const byId = new Map<string, InstitutionInfo>();
    let pageToken = '';
    do {
      const page = await callUnary(
        this.identity,
        IdentityServiceService.listInstitutions,
        { county: '', level: '', capability: '', near: '', pageSize: 200, pageToken },
        { timeoutMs: this.timeoutMs, idempotent: true },
      );
      for (const institution of page.institutions) {
        byId.set(institution.id, {
          id: institution.id,
          code: institution.code,
          name: institution.name,
          countyCode: institution.countyCode,
          level: INSTITUTION_LEVELS[institution.level],
          location: institution.location
            ? { latitude: institution.location.latitude, longitude: institution.location.longitude }
            : undefined,
          capabilities: institution.capabilities,
        });
      }
      pageToken = page.nextPageToken;
    } while (pageToken);
    this.loaded = { at: Date.now(), byId };
    return byId;
  }
}
