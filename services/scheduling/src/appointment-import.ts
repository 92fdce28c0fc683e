// ImportAppointments: the data generator's bulk path. Each appointment must start on a slot of its institution's
// published schedule; past ones are fulfilled, no-show or cancelled, future ones booked. The batch is written with
// COPY in one transaction: the occupancy trigger counts the booked ones against each slot's capacity (a batch that
// would overbook a slot is refused whole), booked ones get their reminder, every patient an audit event.
import { recordAudits } from '../../common/src/audit';
import { admitBatch, runBulkImport } from '../../common/src/bulk-import';
import { FailedPreconditionError, InvalidArgumentError, Violations, withFieldPrefix } from '../../common/src/errors';
import {
  AppointmentStatus,
  ImportAppointmentsRequest,
  ImportAppointmentsResponse,
} from '../../common/src/gen/mch/scheduling/v1/scheduling';
import type { CallContext } from '../../common/src/grpc/context';
import { requireId } from '../../common/src/ids';
import type { CopyValue } from '../../common/src/pg/copy';
import type { Database } from '../../common/src/pg/database';
import { slotStartingAt, SlotTime } from './domain/schedule';
import { serviceCodeOf } from './domain/service-types';
import type { InstitutionInfo } from './identity-client';
import type { AppointmentImportRepository, SchedulingRepository } from './repository';

export const MAX_IMPORTED_APPOINTMENTS = 10_000;

const PAST: ReadonlyMap<AppointmentStatus, string> = new Map([
  [AppointmentStatus.APPOINTMENT_STATUS_FULFILLED, 'fulfilled'],
  [AppointmentStatus.APPOINTMENT_STATUS_NOSHOW, 'noshow'],
  [AppointmentStatus.APPOINTMENT_STATUS_CANCELLED, 'cancelled'],
]);

export class AppointmentImport {
  constructor(
    private readonly db: Database,
    private readonly schedules: SchedulingRepository,
    private readonly repository: AppointmentImportRepository,
    private readonly institutions: () => Promise<ReadonlyMap<string, InstitutionInfo>>,
    private readonly reminderFor: (
      appointment: { institution_id: string; service: string; starts_at: Date },
      institutions: ReadonlyMap<string, InstitutionInfo>,
    ) => { message: string; sendAfter: Date },
    private readonly capacityChanged: (
      changes: Array<{ institutionId: string; service: SlotTime['service'] }>,
    ) => Promise<void>,
  ) {}

  async importAppointments(request: ImportAppointmentsRequest, ctx: CallContext): Promise<ImportAppointmentsResponse> {
    admitBatch(ctx, 'appointments', request.appointments.length, MAX_IMPORTED_APPOINTMENTS);
    const now = new Date();
    const institutions = await this.institutions();
    const ids = [...new Set(request.appointments.map((a) => a.institutionId.toLowerCase()))].filter((id) =>
      institutions.has(id),
    );
    const schedules = await this.schedules.currentSchedules(ids);
    const violations = new Violations();
    const rows: CopyValue[][] = [];
    const booked: Array<{ institutionId: string; slot: SlotTime; index: number }> = [];
    for (const [index, item] of request.appointments.entries()) {
      if (violations.count() >= 20) break;
      const row = violations.check(() =>
        withFieldPrefix(`appointments[${index}].`, () => {
          const id = requireId(item.id, 'id');
          const patientId = requireId(item.patientId, 'patientId');
          const institutionId = requireId(item.institutionId, 'institutionId');
          const service = serviceCodeOf(item.service, 'service');
          if (!institutions.has(institutionId))
            throw InvalidArgumentError.field('institutionId', 'is not a member institution');
          const rules = schedules.get(institutionId)?.rules;
          if (!rules) throw InvalidArgumentError.field('institutionId', 'publishes no schedule');
          if (!item.startsAt) throw InvalidArgumentError.field('startsAt', 'is required');
          const slot = slotStartingAt(rules, service, item.startsAt);
          if (!slot)
            throw InvalidArgumentError.field(
              'startsAt',
              `is not the start of a ${service} slot of the institution's schedule`,
            );
          const future = slot.start > now;
          let status: string;
          if (future) {
            if (item.status !== AppointmentStatus.APPOINTMENT_STATUS_BOOKED)
              throw InvalidArgumentError.field('status', 'a future appointment is BOOKED');
            status = 'booked';
            booked.push({ institutionId, slot, index });
          } else {
            const past = PAST.get(item.status);
            if (!past)
              throw InvalidArgumentError.field('status', 'a past appointment is FULFILLED, NOSHOW or CANCELLED');
            status = past;
          }
          if (item.countyCode.length > 40)
            throw InvalidArgumentError.field('countyCode', 'must be at most 40 characters');
          // Made a fortnight before it starts (or now, for one that near), as a booking would have been.
          const madeAt = new Date(Math.min(now.getTime(), slot.start.getTime() - 14 * 86_400_000));
          return [
            id,
            patientId,
            institutionId,
            service,
            slot.start,
            slot.end,
            status,
            ctx.caller,
            item.countyCode.trim(),
            status === 'cancelled' ? 'cancelled by the patient' : '',
            madeAt,
          ];
        }),
      );
      if (row) rows.push(row);
    }
    violations.throwIfAny();
    if (new Set(rows.map((row) => row[0])).size !== rows.length)
      throw InvalidArgumentError.field('appointments', 'holds one id twice');

    const response = await runBulkImport(
      this.db,
      ctx,
      ImportAppointmentsRequest.encode(request).finish(),
      ImportAppointmentsResponse,
      async (tx) => {
        await this.repository.ensureOccupancy(tx, booked);
        // Bookings made since the generator planned its batch may have filled a slot: those items are left out.
        const left = await this.repository.placesLeft(tx, booked);
        const full = new Set<string>();
        for (const { institutionId, slot, index } of booked) {
          const key = `${institutionId}|${slot.service}|${slot.start.getTime()}`;
          const places = left.get(key) ?? 0;
          if (places > 0) left.set(key, places - 1);
          else full.add(String(request.appointments[index]?.id.toLowerCase()));
        }
        const placed = rows.filter((row) => !full.has(row[0] as string));
        let created: Set<string>;
        try {
          created = await this.repository.insertAppointments(tx, placed);
        } catch (error) {
          const constraint = (error as { constraint?: string }).constraint ?? '';
          if (constraint === 'slot_occupancy_within_capacity')
            throw new FailedPreconditionError('the batch books a slot beyond its capacity', 'SLOT_FULL');
          if (constraint === 'appointments_patient_no_overlap')
            throw new FailedPreconditionError(
              'the batch gives a patient two overlapping appointments',
              'APPOINTMENT_OVERLAP',
            );
          throw error;
        }
        const reminders = booked
          .map(({ slot, institutionId, index }) => ({ item: request.appointments[index], slot, institutionId }))
          .filter(({ item }) => item !== undefined && created.has(item.id.toLowerCase()))
          .map(({ item, slot, institutionId }) => ({
            appointmentId: (item as { id: string }).id.toLowerCase(),
            patientId: (item as { patientId: string }).patientId.toLowerCase(),
            ...this.reminderFor(
              { institution_id: institutionId, service: slot.service, starts_at: slot.start },
              institutions,
            ),
          }));
        await this.repository.insertReminders(tx, reminders);
        const patients = new Set(rows.filter((row) => created.has(row[0] as string)).map((row) => row[1] as string));
        await recordAudits(
          tx,
          ctx,
          [...patients].map((patientId) => ({
            patientId,
            action: 'appointment.import',
            outcome: 'allowed',
            reason: 'bulk import',
          })),
        );
        return { created: created.size, existing: placed.length - created.size, slotFull: full.size };
      },
    );
    const changed = new Map(
      booked.map(({ institutionId, slot }) => [
        `${institutionId}:${slot.service}`,
        { institutionId, service: slot.service },
      ]),
    );
    await this.capacityChanged([...changed.values()]);
    return response;
  }
}
