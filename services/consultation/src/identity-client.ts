// What consultation asks identity: whether an institution is a member and at which level, and whether a patient
// exists (staff open threads about any alliance patient). Levels change with the seed, so they are kept a while.
import { status as GrpcStatus, type Client } from '@grpc/grpc-js';
import type { InstitutionLevelName } from '../../common/src/auth/policy';
import { InvalidArgumentError, NotFoundError, PermissionDeniedError, UnavailableError } from '../../common/src/errors';
import { callUnary, createChannelClient, isServiceError } from '../../common/src/grpc/client';
import type { CallContext } from '../../common/src/grpc/context';
import { IdentityServiceService, InstitutionLevel } from '../../common/src/gen/mch/identity/v1/identity';

const LEVELS: Partial<Record<InstitutionLevel, InstitutionLevelName>> = {
  [InstitutionLevel.INSTITUTION_LEVEL_PREFECTURE]: 'prefecture',
  [InstitutionLevel.INSTITUTION_LEVEL_COUNTY]: 'county',
  [InstitutionLevel.INSTITUTION_LEVEL_TOWNSHIP]: 'township',
};

const LEVEL_TTL_MS = 5 * 60_000;

function unavailable(what: string): UnavailableError {
  return new UnavailableError(`identity could not be asked about ${what}; retry with the same Idempotency-Key`);
}

export class IdentityDirectory {
  private readonly client: Client;
  private readonly levels = new Map<string, { level: InstitutionLevelName | undefined; at: number }>();

  constructor(address: string) {
    this.client = createChannelClient(address);
  }

  /** The level of a member institution; INVALID_ARGUMENT naming `field` when there is no such institution. */
  async institutionLevel(institutionId: string, field: string, ctx: CallContext): Promise<InstitutionLevelName | undefined> {
    const cached = this.levels.get(institutionId);
    if (cached && Date.now() - cached.at < LEVEL_TTL_MS) return cached.level;
    try {
      const response = await callUnary(this.client, IdentityServiceService.getInstitution, { id: institutionId }, { parent: ctx, idempotent: true });
      const level = response.institution ? LEVELS[response.institution.level] : undefined;
      this.levels.set(institutionId, { level, at: Date.now() });
      return level;
    } catch (error) {
      if (isServiceError(error) && (error.code === GrpcStatus.NOT_FOUND || error.code === GrpcStatus.INVALID_ARGUMENT)) {
        throw InvalidArgumentError.field(field, 'is not a member institution');
      }
      throw unavailable(`institution ${institutionId}`);
    }
  }

  /** Fails NOT_FOUND when identity has no such patient (read with the caller's token, so identity audits it). */
  async requirePatient(patientId: string, ctx: CallContext): Promise<void> {
    try {
      const response = await callUnary(this.client, IdentityServiceService.getPatient, { id: patientId }, { parent: ctx, idempotent: true });
      if (!response.patient) throw new NotFoundError(`patient ${patientId} not found`);
    } catch (error) {
      if (error instanceof NotFoundError) throw error;
      if (isServiceError(error)) {
        if (error.code === GrpcStatus.NOT_FOUND) throw new NotFoundError(`patient ${patientId} not found`);
        if (error.code === GrpcStatus.PERMISSION_DENIED) throw new PermissionDeniedError(error.details, 'ACCESS_DENIED');
      }
      throw unavailable(`patient ${patientId}`);
    }
  }

  close(): void {
    this.client.close();
  }
}
