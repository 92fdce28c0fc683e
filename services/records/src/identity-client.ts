// What records asks identity over gRPC: the patient (birth date, county, resident ID for a newborn's link),
// the caller's institution level, registering newborns and linking them to their mother.
import { status as GrpcStatus, type Client } from '@grpc/grpc-js';
import { InvalidArgumentError, NotFoundError, UnavailableError } from '../../common/src/errors';
import { callUnary, createChannelClient, isServiceError } from '../../common/src/grpc/client';
import type { CallContext } from '../../common/src/grpc/context';
import type { InstitutionLevelName } from '../../common/src/auth/policy';
import { IdentityServiceService, Patient, Sex } from '../../common/src/gen/mch/identity/v1/identity';
import { InstitutionDirectory, InstitutionInfo } from '../../common/src/institution-directory';

export type { InstitutionLevelName };

export interface NewbornRegistration {
  readonly motherNationalId: string;
  readonly birthDate: string;
  readonly birthOrder: number;
  readonly birthCertificateNumber: string;
  readonly name: string;
  readonly sex: 'female' | 'male';
  readonly countyCode: string;
}

/** Maps identity's answer to what records' caller should see: NOT_FOUND stays, transient failures are UNAVAILABLE. */
function translate(error: unknown, what: string): never {
  if (isServiceError(error)) {
    if (error.code === GrpcStatus.NOT_FOUND) throw new NotFoundError(`${what} not found`);
    if (error.code === GrpcStatus.INVALID_ARGUMENT)
      throw InvalidArgumentError.field('newborns', `identity refused the newborn registration: ${error.details}`);
    if (error.code === GrpcStatus.ALREADY_EXISTS) throw InvalidArgumentError.field('newborns', error.details);
    if (error.code === GrpcStatus.PERMISSION_DENIED || error.code === GrpcStatus.UNAUTHENTICATED) throw error;
  }
  throw new UnavailableError(`identity could not be asked about ${what}; retry with the same Idempotency-Key`);
}

export class IdentityClient {
  private readonly client: Client;
  private readonly institutions: InstitutionDirectory;

  constructor(address: string) {
    this.client = createChannelClient(address);
    this.institutions = new InstitutionDirectory(this.client);
  }

  async patient(patientId: string, ctx: CallContext): Promise<Patient> {
    try {
      const response = await callUnary(
        this.client,
        IdentityServiceService.getPatient,
        { id: patientId },
        { parent: ctx, idempotent: true },
      );
      if (!response.patient) throw new NotFoundError(`patient ${patientId} not found`);
      return response.patient;
    } catch (error) {
      if (error instanceof NotFoundError) throw error;
      return translate(error, `patient ${patientId}`);
    }
  }

  /** The level of an institution, from the kit's directory (undefined for an id the alliance does not know). */
  async institutionLevel(institutionId: string | undefined): Promise<InstitutionLevelName | undefined> {
    return institutionId ? (await this.institutions.get(institutionId))?.level : undefined;
  }

  /** The institution's level and county from the kit's directory (undefined for an id the alliance does not know). */
  async institution(
    institutionId: string | undefined,
  ): Promise<{ level: InstitutionLevelName | undefined; countyCode: string } | undefined> {
    const found = institutionId ? await this.institutions.get(institutionId) : undefined;
    return found ? { level: found.level, countyCode: found.countyCode } : undefined;
  }

  /** Every member institution by id, from the kit's directory (the annual tables name them by code and name). */
  async institutionDirectory(): Promise<ReadonlyMap<string, InstitutionInfo>> {
    return this.institutions.all();
  }

  /** Registers (or finds again, on a retry) a newborn by the newborn link, and links the mother as guardian. */
  async registerNewborn(newborn: NewbornRegistration, motherPatientId: string, ctx: CallContext): Promise<string> {
    try {
      const registered = await callUnary(
        this.client,
        IdentityServiceService.registerPatient,
        {
          nationalId: '',
          name: newborn.name,
          sex: newborn.sex === 'female' ? Sex.SEX_FEMALE : Sex.SEX_MALE,
          birthDate: newborn.birthDate,
          phone: '',
          countyCode: newborn.countyCode,
          address: '',
          newborn: {
            motherNationalId: newborn.motherNationalId,
            birthDate: newborn.birthDate,
            birthOrder: newborn.birthOrder,
            birthCertificateNumber: newborn.birthCertificateNumber,
          },
        },
        // Registration by the newborn link is idempotent by nature: a retry matches the child registered first.
        { parent: ctx, idempotent: true },
      );
      const childId = registered.patient?.id;
      if (!childId) throw new UnavailableError('identity returned no patient for the newborn');
      await callUnary(
        this.client,
        IdentityServiceService.linkGuardian,
        { patientId: childId, guardianPatientId: motherPatientId, relationship: 'mother' },
        { parent: ctx, idempotent: true },
      );
      return childId;
    } catch (error) {
      if (error instanceof UnavailableError) throw error;
      return translate(error, 'the newborn');
    }
  }

  close(): void {
    this.client.close();
  }
}
