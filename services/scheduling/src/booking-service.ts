// Appointments: booking, cancelling, moving, arrival, fulfilment and no-shows, and the lists that show them. The
// database decides every conflict: the appointments trigger counts a booking into its slot's occupancy row, whose
// CHECK refuses one too many (concurrent bookings of a slot queue on that row's lock), and an exclusion constraint
// refuses a patient's second overlapping appointment. Each attempt runs under a savepoint, so "earliest free slot"
// moves on to the next slot instead of failing.
import { randomUUID } from 'node:crypto';
import { enforce, recordAudit, recordAudits } from '../../common/src/audit';
import { canAccessPatient, canBookForPatient, canWorkAppointmentsAt } from '../../common/src/auth/policy';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, Violations } from '../../common/src/errors';
import type { CallContext } from '../../common/src/grpc/context';
import { previousAnswer, runIdempotent, scopeFromContext } from '../../common/src/idempotency';
import { checkPageSize, decodeOffsetToken, nextOffsetToken } from '../../common/src/paging';
import type { Database, PoolClient } from '../../common/src/pg/database';
import {
  BookAppointmentRequest,
  BookAppointmentResponse,
  CancelAppointmentRequest,
  CancelAppointmentResponse,
  GetAppointmentRequest,
  GetAppointmentResponse,
  ListInstitutionAppointmentsRequest,
  ListInstitutionAppointmentsResponse,
  ListPatientAppointmentsRequest,
  ListPatientAppointmentsResponse,
  MarkArrivedRequest,
  MarkArrivedResponse,
  MarkFulfilledRequest,
  MarkFulfilledResponse,
  MarkNoShowRequest,
  MarkNoShowResponse,
  RescheduleAppointmentRequest,
  RescheduleAppointmentResponse,
  ServiceType,
} from '../../common/src/gen/mch/scheduling/v1/scheduling';
import { AppointmentMove, nextStatus } from './domain/appointment-status';
import { addLocalDays, formatClock, instantAt, localDateOf, localMinuteOf, parseLocalDate } from './domain/local-time';
import { expandSlots, slotStartingAt, SlotTime } from './domain/schedule';
import { ServiceCode, serviceCodeOf } from './domain/service-types';
import type { IdentityClient, InstitutionInfo } from './identity-client';
import type { AppointmentRow, SchedulingRepository } from './repository';
import type { SlotFinder } from './slot-finder';
import { requireId, toAppointment } from './views';

const DAY_MS = 86_400_000;
/** How far "earliest free slot at or after" looks. */
export const EARLIEST_FREE_HORIZON_DAYS = 28;
/** Slots tried, at most, in one "earliest free" booking. */
const MAX_ATTEMPTS = 60;
const REMINDER_LEAD_MS = DAY_MS;

const SERVICE_LABEL_ZH: Readonly<Record<ServiceCode, string>> = {
  'antenatal-check': '产前检查',
  ultrasound: 'B超检查',
  'child-health-check': '儿童健康检查',
  vaccination: '预防接种',
  consultation: '门诊咨询',
  'delivery-assessment': '分娩评估',
};

function pgError(error: unknown): { code?: string; constraint?: string } {
  return typeof error === 'object' && error !== null ? error : {};
}

function startOf(violations: Violations, start: Date | undefined, earliest: boolean, now: Date): void {
  if (!start) violations.add('start', 'is required');
  else if (!earliest && start <= now) violations.add('start', 'must be in the future (a past slot cannot be booked)');
}

export class BookingService {
  constructor(
    private readonly db: Database,
    private readonly repository: SchedulingRepository,
    private readonly identity: IdentityClient,
    private readonly finder: SlotFinder,
  ) {}

  private async institutionsById(): Promise<ReadonlyMap<string, InstitutionInfo>> {
    return this.identity.institutions.all();
  }

  /** The slots a booking may take, in order: the exact one, or the free ones from `start` on. */
  private async candidates(
    institution: InstitutionInfo,
    service: ServiceCode,
    start: Date,
    earliest: boolean,
    now: Date,
  ): Promise<SlotTime[]> {
    const schedule = (await this.repository.currentSchedules([institution.id])).get(institution.id);
    if (!schedule) throw new FailedPreconditionError(`${institution.name} publishes no schedule`, 'NO_SCHEDULE');
    if (!earliest) {
      const slot = slotStartingAt(schedule.rules, service, start);
      if (!slot)
        throw InvalidArgumentError.field(
          'start',
          `is not the start of a ${service} slot at ${institution.code} (search GET /v1/slots)`,
        );
      return [slot];
    }
    const from = new Date(Math.max(start.getTime(), now.getTime() + 1));
    const to = new Date(from.getTime() + EARLIEST_FREE_HORIZON_DAYS * DAY_MS);
    const occupancy = await this.repository.occupancy([institution.id], service, from, to);
    const full = new Set(occupancy.filter((row) => row.booked >= row.capacity).map((row) => row.starts_at.getTime()));
    const slots = expandSlots(schedule.rules, service, from, to).filter((slot) => !full.has(slot.start.getTime()));
    if (slots.length === 0)
      throw new FailedPreconditionError(
        `no free ${service} slot at ${institution.code} within ${EARLIEST_FREE_HORIZON_DAYS} days of ${from.toISOString()}`,
        'NO_FREE_SLOT',
      );
    return slots.slice(0, MAX_ATTEMPTS);
  }

  /**
   * Takes the first candidate the database accepts. `place` inserts or moves the appointment; a full slot or an
   * overlap with another of her appointments rolls back to the savepoint and, in "earliest" mode, tries the next.
   */
  private async take(
    tx: PoolClient,
    institutionId: string,
    patientId: string,
    candidates: readonly SlotTime[],
    exact: boolean,
    place: (slot: SlotTime) => Promise<AppointmentRow>,
    exceptId?: string,
  ): Promise<AppointmentRow> {
    let overlap: AppointmentRow | undefined;
    for (const slot of candidates) {
      await tx.query('SAVEPOINT take_slot');
      try {
        await this.repository.ensureOccupancy(tx, institutionId, slot);
        const row = await place(slot);
        await tx.query('RELEASE SAVEPOINT take_slot');
        return row;
      } catch (error) {
        const { code, constraint } = pgError(error);
        const full = code === '23514' && constraint === 'slot_occupancy_within_capacity';
        const overlapping = code === '23P01' && constraint === 'appointments_patient_no_overlap';
        if (!full && !overlapping) throw error;
        await tx.query('ROLLBACK TO SAVEPOINT take_slot');
        if (overlapping) overlap = await this.repository.overlapping(tx, patientId, slot.start, slot.end, exceptId);
        if (!exact) continue;
        if (full)
          throw new FailedPreconditionError(`the slot at ${slot.start.toISOString()} is fully booked`, 'SLOT_FULL');
      }
    }
    if (overlap) {
      throw new FailedPreconditionError(
        `the patient already holds appointment ${overlap.id} (${overlap.service}, ${overlap.starts_at.toISOString()} to ${overlap.ends_at.toISOString()}) overlapping that time`,
        'APPOINTMENT_OVERLAP',
      );
    }
    throw new FailedPreconditionError('every candidate slot was taken meanwhile', 'NO_FREE_SLOT');
  }

  /** The reminder text of an appointment and when to send it (a day ahead, or now when nearer). */
  reminderFor(
    row: Pick<AppointmentRow, 'institution_id' | 'service' | 'starts_at'>,
    institutions: ReadonlyMap<string, InstitutionInfo>,
  ): { message: string; sendAfter: Date } {
    const institution = institutions.get(row.institution_id);
    const local = `${localDateOf(row.starts_at)} ${formatClock(localMinuteOf(row.starts_at))}`;
    const message = `【妇幼联盟】您预约的${SERVICE_LABEL_ZH[row.service as ServiceCode] ?? row.service}在${local}，地点：${institution?.name ?? ''}。如需改约请在手册中操作。`;
    return { message, sendAfter: new Date(Math.max(Date.now(), row.starts_at.getTime() - REMINDER_LEAD_MS)) };
  }

  async book(request: BookAppointmentRequest, ctx: CallContext): Promise<BookAppointmentResponse> {
    const now = new Date();
    const violations = new Violations();
    const patientId = violations.check(() => requireId(request.patientId, 'patientId'));
    const institutionId = violations.check(() => requireId(request.institutionId, 'institutionId'));
    const service = violations.check(() => serviceCodeOf(request.service, 'service'));
    startOf(violations, request.start, request.earliestFreeAtOrAfter, now);
    if (request.referralId.length > 100) violations.add('referralId', 'must be at most 100 characters');
    violations.throwIfAny();
    const scope = scopeFromContext(ctx);
    const bytes = BookAppointmentRequest.encode(request).finish();
    const replay = await previousAnswer(this.db, scope, bytes, BookAppointmentResponse);
    if (replay) return replay;
    const patient = patientId as string;
    await enforce(this.db, ctx, canBookForPatient(ctx.principal, patient, ctx.purpose), patient, 'appointment.book');
    const institutions = await this.institutionsById();
    const institution = institutions.get(institutionId as string);
    if (!institution) throw InvalidArgumentError.field('institutionId', 'is not a member institution');
    // The referral service books as itself for a patient it already knows; identity is asked for everyone else.
    const [candidates, countyCode] = await Promise.all([
      this.candidates(institution, service as ServiceCode, request.start as Date, request.earliestFreeAtOrAfter, now),
      ctx.principal?.kind === 'service'
        ? Promise.resolve('')
        : this.identity.patient(patient, ctx).then((person) => person.countyCode),
    ]);
    const response = await runIdempotent(this.db, scope, bytes, BookAppointmentResponse, async (tx) => {
      const row = await this.take(tx, institution.id, patient, candidates, !request.earliestFreeAtOrAfter, (slot) =>
        this.repository.insertAppointment(tx, {
          id: randomUUID(),
          patient_id: patient,
          institution_id: institution.id,
          service: slot.service,
          starts_at: slot.start,
          ends_at: slot.end,
          status: 'booked',
          referral_id: request.referralId,
          booked_by: ctx.caller,
          county_code: countyCode,
        }),
      );
      const reminder = this.reminderFor(row, institutions);
      await this.repository.upsertAppointmentReminder(tx, row, reminder.message, reminder.sendAfter);
      await this.repository.resolveNoShows(tx, patient, row.service);
      await recordAudit(tx, ctx, {
        patientId: patient,
        action: 'appointment.book',
        outcome: 'allowed',
        reason: request.referralId ? `referral ${request.referralId}` : undefined,
      });
      return { appointment: toAppointment(row, institutions) };
    });
    await this.finder.capacityChanged([{ institutionId: institution.id, service: service as ServiceCode }]);
    return response;
  }

  /** The appointment and the caller's right to act on it as the patient's side (book/cancel/move). */
  private async forPatientSide(appointmentId: string, ctx: CallContext, action: string): Promise<AppointmentRow> {
    const row = await this.repository.appointment(appointmentId);
    if (!row) throw new NotFoundError(`appointment ${appointmentId} not found`);
    await enforce(this.db, ctx, canBookForPatient(ctx.principal, row.patient_id, ctx.purpose), row.patient_id, action);
    return row;
  }

  private async locked(tx: PoolClient, appointmentId: string): Promise<AppointmentRow> {
    const row = await this.repository.appointment(appointmentId, tx, true);
    if (!row) throw new NotFoundError(`appointment ${appointmentId} not found`);
    return row;
  }

  async get(request: GetAppointmentRequest, ctx: CallContext): Promise<GetAppointmentResponse> {
    const appointmentId = requireId(request.appointmentId, 'appointmentId');
    const row = await this.repository.appointment(appointmentId);
    if (!row) throw new NotFoundError(`appointment ${appointmentId} not found`);
    const atItsInstitution = canWorkAppointmentsAt(ctx.principal, row.institution_id);
    if (!atItsInstitution.allowed)
      await enforce(
        this.db,
        ctx,
        canAccessPatient(ctx.principal, row.patient_id, ctx.purpose),
        row.patient_id,
        'appointment.read',
      );
    await recordAudit(this.db, ctx, { patientId: row.patient_id, action: 'appointment.read', outcome: 'allowed' });
    return { appointment: toAppointment(row, await this.institutionsById()) };
  }

  async cancel(request: CancelAppointmentRequest, ctx: CallContext): Promise<CancelAppointmentResponse> {
    const appointmentId = requireId(request.appointmentId, 'appointmentId');
    if (request.reason.length > 500) throw InvalidArgumentError.field('reason', 'must be at most 500 characters');
    const scope = scopeFromContext(ctx);
    const bytes = CancelAppointmentRequest.encode(request).finish();
    const replay = await previousAnswer(this.db, scope, bytes, CancelAppointmentResponse);
    if (replay) return replay;
    const before = await this.forPatientSide(appointmentId, ctx, 'appointment.cancel');
    const institutions = await this.institutionsById();
    const response = await runIdempotent(this.db, scope, bytes, CancelAppointmentResponse, async (tx) => {
      const row = await this.locked(tx, appointmentId);
      const status = nextStatus(row.status, 'cancel', row.starts_at, new Date());
      const cancelled = await this.repository.setStatus(tx, appointmentId, status, request.reason || 'cancelled');
      await this.repository.cancelReminders(tx, appointmentId);
      await recordAudit(tx, ctx, {
        patientId: row.patient_id,
        action: 'appointment.cancel',
        outcome: 'allowed',
        reason: request.reason,
      });
      return { appointment: toAppointment(cancelled, institutions) };
    });
    await this.finder.capacityChanged([{ institutionId: before.institution_id, service: before.service }]);
    return response;
  }

  async reschedule(request: RescheduleAppointmentRequest, ctx: CallContext): Promise<RescheduleAppointmentResponse> {
    const now = new Date();
    const violations = new Violations();
    const appointmentId = violations.check(() => requireId(request.appointmentId, 'appointmentId'));
    const targetId = request.institutionId
      ? violations.check(() => requireId(request.institutionId, 'institutionId'))
      : undefined;
    startOf(violations, request.start, request.earliestFreeAtOrAfter, now);
    if (request.reason.length > 500) violations.add('reason', 'must be at most 500 characters');
    violations.throwIfAny();
    const scope = scopeFromContext(ctx);
    const bytes = RescheduleAppointmentRequest.encode(request).finish();
    const replay = await previousAnswer(this.db, scope, bytes, RescheduleAppointmentResponse);
    if (replay) return replay;
    const before = await this.forPatientSide(appointmentId as string, ctx, 'appointment.reschedule');
    const institutions = await this.institutionsById();
    const target = institutions.get(targetId ?? before.institution_id);
    if (!target) throw InvalidArgumentError.field('institutionId', 'is not a member institution');
    const candidates = await this.candidates(
      target,
      before.service as ServiceCode,
      request.start as Date,
      request.earliestFreeAtOrAfter,
      now,
    );
    const response = await runIdempotent(this.db, scope, bytes, RescheduleAppointmentResponse, async (tx) => {
      const row = await this.locked(tx, before.id);
      nextStatus(row.status, 'reschedule', row.starts_at, now);
      // One transaction frees the old slot and takes the new one (the trigger moves the count); no window between.
      const moved = await this.take(
        tx,
        target.id,
        row.patient_id,
        candidates,
        !request.earliestFreeAtOrAfter,
        (slot) => this.repository.move(tx, row.id, target.id, slot),
        row.id,
      );
      const reminder = this.reminderFor(moved, institutions);
      await this.repository.upsertAppointmentReminder(tx, moved, reminder.message, reminder.sendAfter);
      await recordAudit(tx, ctx, {
        patientId: row.patient_id,
        action: 'appointment.reschedule',
        outcome: 'allowed',
        reason: request.reason,
      });
      return { appointment: toAppointment(moved, institutions) };
    });
    await this.finder.capacityChanged([
      { institutionId: before.institution_id, service: before.service },
      { institutionId: target.id, service: before.service },
    ]);
    return response;
  }

  /** Arrival, fulfilment and no-show: staff of the appointment's institution. */
  private async mark(
    appointmentIdRaw: string,
    move: AppointmentMove,
    ctx: CallContext,
    bytes: Uint8Array,
    codec: typeof MarkArrivedResponse,
  ): Promise<MarkArrivedResponse> {
    const appointmentId = requireId(appointmentIdRaw, 'appointmentId');
    const scope = scopeFromContext(ctx);
    const replay = await previousAnswer(this.db, scope, bytes, codec);
    if (replay) return replay;
    const before = await this.repository.appointment(appointmentId);
    if (!before) throw new NotFoundError(`appointment ${appointmentId} not found`);
    const action = `appointment.${move}`;
    await enforce(this.db, ctx, canWorkAppointmentsAt(ctx.principal, before.institution_id), before.patient_id, action);
    const institutions = await this.institutionsById();
    const response = await runIdempotent(this.db, scope, bytes, codec, async (tx) => {
      const row = await this.locked(tx, appointmentId);
      const status = nextStatus(row.status, move, row.starts_at, new Date());
      const updated = await this.repository.setStatus(tx, appointmentId, status);
      if (move !== 'arrive') await this.repository.cancelReminders(tx, appointmentId);
      if (move === 'no-show') {
        await this.repository.openFollowUp(tx, {
          patient_id: row.patient_id,
          reason_key: `noshow:${row.id}`,
          kind: 'lost-to-follow-up',
          item_id: '',
          label_zh: `未按预约就诊：${SERVICE_LABEL_ZH[row.service as ServiceCode] ?? row.service}`,
          label_en: `missed ${row.service} appointment`,
          service: row.service,
          overdue_on: localDateOf(row.starts_at),
          appointment_id: row.id,
          institution_id: row.institution_id,
          county_code: row.county_code || institutions.get(row.institution_id)?.countyCode || '',
        });
      }
      await recordAudit(tx, ctx, { patientId: row.patient_id, action, outcome: 'allowed' });
      return { appointment: toAppointment(updated, institutions) };
    });
    if (move === 'no-show')
      await this.finder.capacityChanged([{ institutionId: before.institution_id, service: before.service }]);
    return response;
  }

  markArrived(request: MarkArrivedRequest, ctx: CallContext): Promise<MarkArrivedResponse> {
    return this.mark(
      request.appointmentId,
      'arrive',
      ctx,
      MarkArrivedRequest.encode(request).finish(),
      MarkArrivedResponse,
    );
  }

  markFulfilled(request: MarkFulfilledRequest, ctx: CallContext): Promise<MarkFulfilledResponse> {
    return this.mark(
      request.appointmentId,
      'fulfil',
      ctx,
      MarkFulfilledRequest.encode(request).finish(),
      MarkFulfilledResponse,
    );
  }

  markNoShow(request: MarkNoShowRequest, ctx: CallContext): Promise<MarkNoShowResponse> {
    return this.mark(
      request.appointmentId,
      'no-show',
      ctx,
      MarkNoShowRequest.encode(request).finish(),
      MarkNoShowResponse,
    );
  }

  async listForPatient(
    request: ListPatientAppointmentsRequest,
    ctx: CallContext,
  ): Promise<ListPatientAppointmentsResponse> {
    const patientId = requireId(request.patientId, 'patientId');
    const limit = checkPageSize(request.pageSize, 200, 50);
    const filters = { patientId, includePast: request.includePast };
    const offset = decodeOffsetToken(request.pageToken, filters);
    await enforce(this.db, ctx, canAccessPatient(ctx.principal, patientId, ctx.purpose), patientId, 'appointment.list');
    const rows = await this.repository.patientAppointments(
      patientId,
      request.includePast,
      new Date(),
      limit + 1,
      offset,
    );
    await recordAudit(this.db, ctx, { patientId, action: 'appointment.list', outcome: 'allowed' });
    const institutions = await this.institutionsById();
    return {
      appointments: rows.slice(0, limit).map((row) => toAppointment(row, institutions)),
      nextPageToken: nextOffsetToken(filters, offset, limit, rows.length),
    };
  }

  async dayList(
    request: ListInstitutionAppointmentsRequest,
    ctx: CallContext,
  ): Promise<ListInstitutionAppointmentsResponse> {
    const violations = new Violations();
    const institutionId = violations.check(() => requireId(request.institutionId, 'institutionId'));
    const date = request.date ? violations.check(() => parseLocalDate(request.date, 'date')) : localDateOf(new Date());
    const service =
      request.service === ServiceType.SERVICE_TYPE_UNSPECIFIED
        ? undefined
        : violations.check(() => serviceCodeOf(request.service, 'service'));
    const limit = violations.check(() => checkPageSize(request.pageSize, 500, 100));
    violations.throwIfAny();
    await enforce(
      this.db,
      ctx,
      canWorkAppointmentsAt(ctx.principal, institutionId as string),
      '',
      'appointment.day-list',
    );
    const filters = { institutionId, date, service };
    const offset = decodeOffsetToken(request.pageToken, filters);
    const pageSize = limit as number;
    const rows = await this.repository.institutionDay(
      institutionId as string,
      instantAt(date as string, 0),
      instantAt(addLocalDays(date as string, 1), 0),
      service,
      pageSize + 1,
      offset,
    );
    const page = rows.slice(0, pageSize);
    await recordAudits(
      this.db,
      ctx,
      page.map((row) => ({
        patientId: row.patient_id,
        action: 'appointment.day-list.read',
        outcome: 'allowed' as const,
      })),
    );
    const institutions = await this.institutionsById();
    return {
      appointments: page.map((row) => toAppointment(row, institutions)),
      nextPageToken: nextOffsetToken(filters, offset, pageSize, rows.length),
    };
  }
}
