// What scheduling asks identity over gRPC: the member institutions (the kit's directory: coordinates, level, county,
// capabilities) and a patient (that she exists, her county).
import { status as GrpcStatus, type Client } from '@grpc/grpc-js';
import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  UnauthenticatedError,
  UnavailableError,
} from '../../common/src/errors';
import { callUnary, createChannelClient, isServiceError } from '../../common/src/grpc/client';
import type { CallContext } from '../../common/src/grpc/context';
import { IdentityServiceService, Patient } from '../../common/src/gen/mch/identity/v1/identity';
import { InstitutionDirectory } from '../../common/src/institution-directory';

export type { InstitutionInfo } from '../../common/src/institution-directory';
export { InstitutionDirectory };

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
      patient = (
        await callUnary(
          this.client,
          IdentityServiceService.getPatient,
          { id: patientId },
          { parent: ctx, idempotent: true, timeoutMs: 5_000 },
        )
      ).patient;
    } catch (error) {
      if (isServiceError(error)) {
        if (error.code === GrpcStatus.NOT_FOUND) throw new NotFoundError(`patient ${patientId} not found`);
        if (error.code === GrpcStatus.PERMISSION_DENIED)
          throw new PermissionDeniedError(error.details, 'ACCESS_DENIED');
        if (error.code === GrpcStatus.UNAUTHENTICATED) throw new UnauthenticatedError(error.details);
        if (error.code === GrpcStatus.INVALID_ARGUMENT) throw InvalidArgumentError.field('patientId', error.details);
      }
      throw new UnavailableError(
        `identity could not be asked about patient ${patientId}; retry with the same Idempotency-Key`,
      );
    }
    if (!patient) throw new NotFoundError(`patient ${patientId} not found`);
    if (patient.mergedInto)
      throw new FailedPreconditionError(
        `patient ${patientId} was merged into ${patient.mergedInto}; use that record`,
        'PATIENT_MERGED',
      );
    return patient;
  }

  close(): void {
    this.client.close();
  }
}
