// What scheduling asks identity over gRPC: the member institutions (coordinates, level, county, capabilities),
// kept in process because they change with the seed, not with traffic; and a patient (that she exists, her county).
import { status as GrpcStatus, type Client } from '@grpc/grpc-js';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, PermissionDeniedError, UnauthenticatedError, UnavailableError } from '../../common/src/errors';
import { callUnary, createChannelClient, isServiceError } from '../../common/src/grpc/client';
import type { CallContext } from '../../common/src/grpc/context';
import { IdentityServiceService, InstitutionLevel, Patient } from '../../common/src/gen/mch/identity/v1/identity';
import type { InstitutionLevelName } from './domain/demo-schedule';
import type { Point } from './domain/geo';

export interface InstitutionInfo {
  readonly id: string;
  readonly code: string;
  readonly name: string;
  readonly countyCode: string;
  readonly level: InstitutionLevelName | undefined;
  readonly location: Point;
  readonly capabilities: readonly string[];
}

const LEVELS: Partial<Record<InstitutionLevel, InstitutionLevelName>> = {
  [InstitutionLevel.INSTITUTION_LEVEL_PREFECTURE]: 'prefecture',
  [InstitutionLevel.INSTITUTION_LEVEL_COUNTY]: 'county',
  [InstitutionLevel.INSTITUTION_LEVEL_TOWNSHIP]: 'township',
};

const DIRECTORY_TTL_MS = 5 * 60_000;

export class InstitutionDirectory {
  private loaded: { at: number; byId: Map<string, InstitutionInfo> } | undefined;
  private loading: Promise<Map<string, InstitutionInfo>> | undefined;

  constructor(private readonly client: Client) {}

  /** Every member institution by id; served from memory, refreshed every few minutes (a stale copy beats none). */
  async all(): Promise<Map<string, InstitutionInfo>> {
    const loaded = this.loaded;
    if (loaded && Date.now() - loaded.at < DIRECTORY_TTL_MS) return loaded.byId;
    this.loading ??= this.fetch().finally(() => (this.loading = undefined));
    try {
      return await this.loading;
    } catch (error) {
      if (loaded) return loaded.byId;
      throw new UnavailableError('the institution directory (identity) cannot be read; retry');
    }
  }

  async get(id: string): Promise<InstitutionInfo | undefined> {
    return (await this.all()).get(id);
  }

  /** By id or by code (`CX-LFS-MCH`). */
  async find(idOrCode: string): Promise<InstitutionInfo | undefined> {
    const all = await this.all();
    return all.get(idOrCode.toLowerCase()) ?? [...all.values()].find((institution) => institution.code === idOrCode.toUpperCase());
  }

  private async fetch(): Promise<Map<string, InstitutionInfo>> {
    const byId = new Map<string, InstitutionInfo>();
    let pageToken = '';
    do {
      // A public method: asked without a caller's token, so background work can use it too.
      const page = await callUnary(
        this.client,
        IdentityServiceService.listInstitutions,
        { county: '', level: '', capability: '', near: '', pageSize: 200, pageToken },
        { timeoutMs: 5_000, idempotent: true },
      );
      for (const institution of page.institutions) {
        byId.set(institution.id, {
          id: institution.id,
          code: institution.code,
          name: institution.name,
          countyCode: institution.countyCode,
          level: LEVELS[institution.level],
          location: { latitude: institution.location?.latitude ?? 0, longitude: institution.location?.longitude ?? 0 },
          capabilities: institution.capabilities,
        });
      }
      pageToken = page.nextPageToken;
    } while (pageToken);
    this.loaded = { at: Date.now(), byId };
    return byId;
  }
}

export class IdentityClient {
  readonly institutions: InstitutionDirectory;
  private readonly client: Client;

  constructor(address: string) {
    this.client = createChannelClient(address);
    this.institutions = new InstitutionDirectory(this.client);
  }

  /** The patient as the caller may see her (her token and purpose are forwarded); merged records are refused. */
  async patient(patientId: string, ctx: CallContext): Promise<Patient> {
    let patient: Patient | undefined;
    try {
      patient = (await callUnary(this.client, IdentityServiceService.getPatient, { id: patientId }, { parent: ctx, idempotent: true, timeoutMs: 5_000 })).patient;
    } catch (error) {
      if (isServiceError(error)) {
        if (error.code === GrpcStatus.NOT_FOUND) throw new NotFoundError(`patient ${patientId} not found`);
        if (error.code === GrpcStatus.PERMISSION_DENIED) throw new PermissionDeniedError(error.details, 'ACCESS_DENIED');
        if (error.code === GrpcStatus.UNAUTHENTICATED) throw new UnauthenticatedError(error.details);
        if (error.code === GrpcStatus.INVALID_ARGUMENT) throw InvalidArgumentError.field('patientId', error.details);
      }
      throw new UnavailableError(`identity could not be asked about patient ${patientId}; retry with the same Idempotency-Key`);
    }
    if (!patient) throw new NotFoundError(`patient ${patientId} not found`);
    if (patient.mergedInto) throw new FailedPreconditionError(`patient ${patientId} was merged into ${patient.mergedInto}; use that record`, 'PATIENT_MERGED');
    return patient;
  }

  close(): void {
    this.client.close();
  }
}
