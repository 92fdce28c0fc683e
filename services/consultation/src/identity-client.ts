// What consultation asks identity: whether an institution is a member and at which level (the kit's directory), and
// whether a patient exists (staff open threads about any alliance patient).
import { status as GrpcStatus, type Client } from '@grpc/grpc-js';
import type { InstitutionLevelName } from '../../common/src/auth/policy';
import { InvalidArgumentError, NotFoundError, PermissionDeniedError, UnavailableError } from '../../common/src/errors';
import { callUnary, createChannelClient, isServiceError } from '../../common/src/grpc/client';
import type { CallContext } from '../../common/src/grpc/context';
import { IdentityServiceService } from '../../common/src/gen/mch/identity/v1/identity';
import { InstitutionDirectory } from '../../common/src/institution-directory';

function unavailable(what: string): UnavailableError {
  return new UnavailableError(`identity could not be asked about ${what}; retry with the same Idempotency-Key`);
}

export class IdentityDirectory {
  private readonly client: Client;
  private readonly institutions: InstitutionDirectory;

  constructor(address: string) {
    this.client = createChannelClient(address);
    this.institutions = new InstitutionDirectory(this.client);
  }

  /** The level of a member institution; INVALID_ARGUMENT naming `field` when there is no such institution. */
  async institutionLevel(institutionId: string, field: string): Promise<InstitutionLevelName | undefined> {
    const institution = await this.institutions.get(institutionId);
    if (!institution) throw InvalidArgumentError.field(field, 'is not a member institution');
    return institution.level;
  }

  /** Fails NOT_FOUND when identity has no such patient (read with the caller's token, so identity audits it). */
  async requirePatient(patientId: string, ctx: CallContext): Promise<void> {
    try {
      const response = await callUnary(
        this.client,
        IdentityServiceService.getPatient,
        { id: patientId },
        { parent: ctx, idempotent: true },
      );
      if (!response.patient) throw new NotFoundError(`patient ${patientId} not found`);
    } catch (error) {
      if (error instanceof NotFoundError) throw error;
      if (isServiceError(error)) {
        if (error.code === GrpcStatus.NOT_FOUND) throw new NotFoundError(`patient ${patientId} not found`);
        if (error.code === GrpcStatus.PERMISSION_DENIED)
          throw new PermissionDeniedError(error.details, 'ACCESS_DENIED');
      }
      throw unavailable(`patient ${patientId}`);
    }
  }

  close(): void {
    this.client.close();
  }
}
