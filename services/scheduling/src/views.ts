// Rows to proto messages, and the request checks every handler shares.
import { InvalidArgumentError } from '../../common/src/errors';
import { Appointment } from '../../common/src/gen/mch/scheduling/v1/scheduling';
import { appointmentStatusOf } from './domain/appointment-status';
import { serviceTypeOf } from './domain/service-types';
import type { InstitutionInfo } from './identity-client';
import type { AppointmentRow } from './repository';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function requireId(value: string, field: string): string {
  if (!UUID.test(value)) throw InvalidArgumentError.field(field, 'must be an id (UUID)');
  return value.toLowerCase();
}

export function toAppointment(row: AppointmentRow, institutions: ReadonlyMap<string, InstitutionInfo>): Appointment {
  return {
    id: row.id,
    patientId: row.patient_id,
    institutionId: row.institution_id,
    service: serviceTypeOf(row.service),
    status: appointmentStatusOf(row.status),
    start: row.starts_at,
    end: row.ends_at,
    referralId: row.referral_id,
    bookedBy: row.booked_by,
    cancellationReason: row.cancellation_reason,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    institutionName: institutions.get(row.institution_id)?.name ?? '',
    rescheduleCount: row.reschedule_count,
  };
}
