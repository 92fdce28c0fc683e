// Who may attach an object to something and who may read it: the right follows what references it. A patient
// reference uses the shared policy (as records does, audited); a consultation reference asks the consultation
// service whether the caller may read that thread, with the caller's own token.
import type { Client } from '@grpc/grpc-js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { enforce } from '../../../common/src/audit';
import { canAccessPatient, canWriteRecord, Decision } from '../../../common/src/auth/policy';
import {
  NotFoundError,
  PermissionDeniedError,
  UnauthenticatedError,
  UnavailableError,
} from '../../../common/src/errors';
import { callUnary, createChannelClient, isServiceError } from '../../../common/src/grpc/client';
import type { CallContext } from '../../../common/src/grpc/context';
import { ConsultationServiceService } from '../../../common/src/gen/mch/consultation/v1/consultation';
import type { Database } from '../../../common/src/pg/database';
import type { ObjectReference } from '../domain/objects';

export type ThreadAccess = 'allowed' | 'denied' | 'not-found';

/** Whether the caller may read a consultation thread (and so its attachments). */
export interface ConsultationAccess {
  check(ctx: CallContext, consultationId: string): Promise<ThreadAccess>;
}

/** Asks the consultation service's GetConsultation as the caller (forwarded token, purpose, deadline). */
export class GrpcConsultationAccess implements ConsultationAccess {
  private readonly client: Client | undefined;

  constructor(address: string | undefined) {
    this.client = address ? createChannelClient(address) : undefined;
  }

  async check(ctx: CallContext, consultationId: string): Promise<ThreadAccess> {
    if (!this.client)
      throw new UnavailableError(
        'the consultation service is not configured: consultation attachments cannot be checked',
        'CONSULTATION_UNAVAILABLE',
      );
    try {
      await callUnary(
        this.client,
        ConsultationServiceService.getConsultation,
        { consultationId },
        { parent: ctx, timeoutMs: 3_000, idempotent: true },
      );
      return 'allowed';
    } catch (error) {
      if (isServiceError(error)) {
        if (error.code === GrpcStatus.PERMISSION_DENIED || error.code === GrpcStatus.UNAUTHENTICATED) return 'denied';
        if (error.code === GrpcStatus.NOT_FOUND) return 'not-found';
      }
      throw new UnavailableError(
        'the consultation service could not say who may read this thread',
        'CONSULTATION_UNAVAILABLE',
      );
    }
  }

  close(): void {
    this.client?.close();
  }
}

export class ObjectAccess {
  constructor(
    private readonly db: Database,
    private readonly consultations: ConsultationAccess,
  ) {}

  /** The caller may attach an object to `reference`; a denial about a patient is audited. */
  async allowAttach(ctx: CallContext, reference: ObjectReference): Promise<void> {
    if (reference.kind === 'patient') {
      await enforce(this.db, ctx, canWriteRecord(ctx.principal, reference.id, ctx.purpose), reference.id, 'object.put');
      return;
    }
    this.answer(ctx, await this.consultations.check(ctx, reference.id), 'consultation');
  }

  /**
   * The caller may read an object when any of its references allows it. Returns the patient references that
   * allowed the read (each gets an audit entry); refuses with 403 (or 404 when every thread is unknown to the caller).
   */
  async allowRead(ctx: CallContext, references: readonly ObjectReference[]): Promise<ObjectReference[]> {
    const patientsAllowed: ObjectReference[] = [];
    const denials: Array<{ reference: ObjectReference; decision: Decision }> = [];
    let allowed = false;
    let threadsFound = false;
    for (const reference of references) {
      if (reference.kind === 'patient') {
        const decision = canAccessPatient(ctx.principal, reference.id, ctx.purpose);
        if (decision.allowed) {
          allowed = true;
          patientsAllowed.push(reference);
        } else denials.push({ reference, decision });
      } else if (!allowed) {
        const access = await this.consultations.check(ctx, reference.id);
        if (access === 'allowed') allowed = true;
        if (access !== 'not-found') threadsFound = true;
      }
    }
    if (allowed) return patientsAllowed;
    // Every denial about a patient is audited, then the first one answers.
    for (const { reference, decision } of denials)
      await enforce(this.db, ctx, decision, reference.id, 'object.read').catch(() => undefined);
    if (!ctx.principal) throw new UnauthenticatedError('a bearer token is required', 'TOKEN_MISSING');
    if (denials.length === 0 && !threadsFound) throw new NotFoundError('no such object', 'OBJECT_NOT_FOUND');
    throw new PermissionDeniedError(
      denials[0]?.decision.allowed === false
        ? denials[0].decision.reason
        : 'only participants of the consultation read its attachments',
      'ACCESS_DENIED',
    );
  }

  private answer(ctx: CallContext, access: ThreadAccess, what: string): void {
    if (access === 'allowed') return;
    if (!ctx.principal) throw new UnauthenticatedError('a bearer token is required', 'TOKEN_MISSING');
    if (access === 'not-found') throw new NotFoundError(`no such ${what}`, 'CONSULTATION_NOT_FOUND');
    throw new PermissionDeniedError(`only participants of the ${what} attach objects to it`, 'ACCESS_DENIED');
  }
}
