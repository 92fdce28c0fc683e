// What referral asks other services over gRPC: identity (institutions, the patient's county), records (her risk
// colour and a record snapshot, the risk outbox) and scheduling (booking on acceptance). A call is made either
// for the user being served (`parent`: her token, purpose, deadline) or by a background worker as the service.
import { Metadata, status as GrpcStatus, type Client } from '@grpc/grpc-js';
import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  UnavailableError,
} from '../../common/src/errors';
import { callUnary, createChannelClient, isServiceError } from '../../common/src/grpc/client';
import { CallContext, METADATA } from '../../common/src/grpc/context';
import { ConsultationKind, ConsultationServiceService } from '../../common/src/gen/mch/consultation/v1/consultation';
import { IdentityServiceService } from '../../common/src/gen/mch/identity/v1/identity';
import { InstitutionDirectory, type InstitutionInfo } from '../../common/src/institution-directory';
import {
  ListRiskEventsResponse,
  PatientRecord,
  RecordsServiceService,
} from '../../common/src/gen/mch/records/v1/records';
import { SchedulingServiceService, ServiceType } from '../../common/src/gen/mch/scheduling/v1/scheduling';
import type { CandidateInstitution } from './domain/routing';

/** Who a child call is made for: the user being served, or the service itself (a worker). */
export type CallAuth = { readonly parent: CallContext } | { readonly metadata: Metadata };

function optionsFor(
  auth: CallAuth,
  timeoutMs?: number,
): { parent?: CallContext; metadata?: Metadata; timeoutMs?: number } {
  return 'parent' in auth
    ? { parent: auth.parent, ...(timeoutMs ? { timeoutMs } : {}), metadata: purposeDefault(auth.parent) }
    : { metadata: auth.metadata, ...(timeoutMs ? { timeoutMs } : {}) };
}

/** Referral's routes are themselves a purpose of use: a caller who stated none reads the record for "referral". */
function purposeDefault(ctx: CallContext): Metadata {
  const metadata = new Metadata();
  if (!ctx.purpose) metadata.set(METADATA.purpose, 'referral');
  return metadata;
}

/** Passes through refusals the caller should see as they are; anything else is a transient failure. */
function translate(error: unknown, what: string): never {
  if (isServiceError(error)) {
    if (error.code === GrpcStatus.NOT_FOUND) throw new NotFoundError(`${what} not found`);
    if (error.code === GrpcStatus.PERMISSION_DENIED || error.code === GrpcStatus.UNAUTHENTICATED) throw error;
  }
  throw new UnavailableError(`${what} could not be read; retry`);
}

/** A member institution as a routing candidate; undefined without a level or a location (it cannot be ranked). */
function asCandidate(institution: InstitutionInfo): CandidateInstitution | undefined {
  const { level, location } = institution;
  return level && location ? { ...institution, level, location } : undefined;
}

/** The alliance's institutions (the kit's directory of identity's public list) and the patient's county. */
export class IdentityDirectory {
  private readonly client: Client;
  private readonly directory: InstitutionDirectory;

  constructor(address: string) {
    this.client = createChannelClient(address);
    this.directory = new InstitutionDirectory(this.client);
  }

  /** The institutions a referral can be routed to: those with a level and a location. */
  async institutions(): Promise<CandidateInstitution[]> {
    return [...(await this.directory.all()).values()].flatMap((institution) => asCandidate(institution) ?? []);
  }

  async institution(id: string, field: string): Promise<CandidateInstitution> {
    const found = await this.directory.get(id);
    const candidate = found && asCandidate(found);
    if (!candidate) throw InvalidArgumentError.field(field, `no member institution ${id}`);
    return candidate;
  }

  /** The patient's county of residence (statistics count by it); NOT_FOUND for an unknown patient. */
  async patientCounty(patientId: string, auth: CallAuth): Promise<{ id: string; countyCode: string }> {
    try {
      const response = await callUnary(
        this.client,
        IdentityServiceService.getPatient,
        { id: patientId },
        { ...optionsFor(auth), idempotent: true },
      );
      if (!response.patient) throw new NotFoundError(`patient ${patientId} not found`);
      return { id: response.patient.id, countyCode: response.patient.countyCode };
    } catch (error) {
      if (error instanceof NotFoundError) throw error;
      return translate(error, `patient ${patientId}`);
    }
  }

  close(): void {
    this.client.close();
  }
}

/** Records: the whole record (with what the caller may see) and the risk outbox. */
export class RecordsReader {
  private readonly client: Client;

  constructor(address: string) {
    this.client = createChannelClient(address);
  }

  async record(patientId: string, auth: CallAuth): Promise<PatientRecord> {
    try {
      const response = await callUnary(
        this.client,
        RecordsServiceService.getPatientRecord,
        { patientId },
        { ...optionsFor(auth), idempotent: true },
      );
      if (!response.record) throw new NotFoundError(`record of ${patientId} not found`);
      return response.record;
    } catch (error) {
      if (error instanceof NotFoundError) throw error;
      return translate(error, `the record of ${patientId}`);
    }
  }

  async riskEvents(afterCursor: string, limit: number, auth: CallAuth): Promise<ListRiskEventsResponse> {
    return callUnary(
      this.client,
      RecordsServiceService.listRiskEvents,
      { afterCursor, limit },
      { ...optionsFor(auth, 5_000), idempotent: true },
    );
  }

  close(): void {
    this.client.close();
  }
}

export interface BookingOrder {
  readonly referralId: string;
  readonly patientId: string;
  readonly institutionId: string;
  readonly service: ServiceType;
  readonly start: Date;
  readonly earliestAtOrAfter: boolean;
  /** The same on every attempt, so that scheduling books once. */
  readonly idempotencyKey: string;
}

export interface BookedAppointment {
  readonly appointmentId: string;
  readonly start: Date | undefined;
}

/** Scheduling refused the booking for good (no free slot, bad service): retrying with the same order will not help. */
export class BookingRefusedError extends FailedPreconditionError {
  constructor(
    message: string,
    readonly field: string | undefined,
  ) {
    super(message, 'BOOKING_REFUSED');
  }
}

/**
 * Books (and cancels) the appointment of a referral. Throws BookingRefusedError, or UnavailableError when it may be
 * retried with the same key.
 */
export interface AppointmentBooker {
  book(order: BookingOrder, auth: CallAuth): Promise<BookedAppointment>;
  cancel(appointmentId: string, idempotencyKey: string, reason: string, auth: CallAuth): Promise<void>;
}

export const BOOKING_TIMEOUT_MS = 4_000;

/** Scheduling's BookAppointment over gRPC, under the order's idempotency key. */
export class SchedulingBooker implements AppointmentBooker {
  private readonly client: Client | undefined;

  constructor(address: string | undefined) {
    this.client = address ? createChannelClient(address) : undefined;
  }

  private prepare(
    auth: CallAuth,
    idempotencyKey: string,
  ): { client: Client; options: ReturnType<typeof optionsFor> & { metadata: Metadata } } {
    if (!this.client) throw new UnavailableError('scheduling is not configured (SCHEDULING_SERVICE_ADDR)');
    const base = optionsFor(auth, BOOKING_TIMEOUT_MS);
    const metadata = base.metadata?.clone() ?? new Metadata();
    metadata.set(METADATA.idempotencyKey, idempotencyKey);
    return { client: this.client, options: { ...base, metadata } };
  }

  async cancel(appointmentId: string, idempotencyKey: string, reason: string, auth: CallAuth): Promise<void> {
    const { client, options } = this.prepare(auth, idempotencyKey);
    try {
      await callUnary(
        client,
        SchedulingServiceService.cancelAppointment,
        { appointmentId, reason: reason.slice(0, 500) },
        { ...options, idempotent: true },
      );
    } catch (error) {
      schedulingFailure(error, 'cancellation');
    }
  }

  async book(order: BookingOrder, auth: CallAuth): Promise<BookedAppointment> {
    const { client, options } = this.prepare(auth, order.idempotencyKey);
    try {
      const response = await callUnary(
        client,
        SchedulingServiceService.bookAppointment,
        {
          patientId: order.patientId,
          institutionId: order.institutionId,
          service: order.service,
          start: order.start,
          referralId: order.referralId,
          earliestFreeAtOrAfter: order.earliestAtOrAfter,
        },
        { ...options, idempotent: true },
      );
      if (!response.appointment?.id) throw new UnavailableError('scheduling answered without an appointment');
      return { appointmentId: response.appointment.id, start: response.appointment.start };
    } catch (error) {
      return schedulingFailure(error, 'booking');
    }
  }
}

/** A definite refusal from scheduling is BookingRefusedError; anything else may be retried (UnavailableError). */
function schedulingFailure(error: unknown, what: 'booking' | 'cancellation'): never {
  if (isServiceError(error)) {
    const definite = [
      GrpcStatus.INVALID_ARGUMENT,
      GrpcStatus.FAILED_PRECONDITION,
      GrpcStatus.NOT_FOUND,
      GrpcStatus.ALREADY_EXISTS,
      GrpcStatus.OUT_OF_RANGE,
      GrpcStatus.PERMISSION_DENIED,
      GrpcStatus.UNAUTHENTICATED,
    ];
    if (definite.includes(error.code))
      throw new BookingRefusedError(`scheduling refused the ${what}: ${error.details}`, undefined);
  }
  if (error instanceof UnavailableError) throw error;
  throw new UnavailableError(`scheduling could not be reached; the ${what} will be completed later`);
}

export interface ConsultationOrder {
  readonly referralId: string;
  readonly patientId: string;
  readonly receiverInstitutionId: string;
  readonly subject: string;
  /** The referral's text accompanies a sensitive fact of hers: so does the thread's. */
  readonly accompaniesSensitive: boolean;
}

/**
 * Opens the clinician–specialist thread of an up-referral, as the sender (consultation lets the lower-level
 * institution open a thread to a higher one). Best effort: without consultation, or refused, the referral stands
 * without a thread. The key derived from the referral makes a retried request open one thread.
 */
export class ConsultationOpener {
  private readonly client: Client | undefined;

  constructor(address: string | undefined) {
    this.client = address ? createChannelClient(address) : undefined;
  }

  async open(order: ConsultationOrder, ctx: CallContext): Promise<string | undefined> {
    if (!this.client) return undefined;
    const metadata = purposeDefault(ctx);
    metadata.set(METADATA.idempotencyKey, `referral-consultation-${order.referralId}`);
    try {
      const response = await callUnary(
        this.client,
        ConsultationServiceService.createConsultation,
        {
          kind: ConsultationKind.CONSULTATION_KIND_CLINICIAN_SPECIALIST,
          patientId: order.patientId,
          addressedInstitutionId: order.receiverInstitutionId,
          subject: order.subject.slice(0, 200),
          referralId: order.referralId,
          text: '',
          attachments: [],
          textNotSensitive: false,
          accompaniesSensitive: order.accompaniesSensitive,
        },
        { parent: ctx, metadata, timeoutMs: 3_000, idempotent: true },
      );
      return response.consultation?.id;
    } catch (error) {
      ctx.logger.warn({ err: error, referralId: order.referralId }, 'no consultation thread opened for the referral');
      return undefined;
    }
  }
}
