// Appointment states (FHIR Appointment.status) and the moves between them this service allows.
import { FailedPreconditionError } from '../../../common/src/errors';
import { AppointmentStatus } from '../../../common/src/gen/mch/scheduling/v1/scheduling';

export const APPOINTMENT_STATUSES = [
  'proposed',
  'pending',
  'booked',
  'arrived',
  'checked-in',
  'fulfilled',
  'cancelled',
  'noshow',
  'entered-in-error',
  'waitlist',
] as const;
export type AppointmentStatusCode = (typeof APPOINTMENT_STATUSES)[number];

/** States that hold a place in a slot and time in the patient's day (the database's exclusion constraint agrees). */
export const ACTIVE_STATUSES: readonly AppointmentStatusCode[] = ['pending', 'booked', 'arrived', 'checked-in'];

const TO_PROTO: Readonly<Record<AppointmentStatusCode, AppointmentStatus>> = {
  proposed: AppointmentStatus.APPOINTMENT_STATUS_PROPOSED,
  pending: AppointmentStatus.APPOINTMENT_STATUS_PENDING,
  booked: AppointmentStatus.APPOINTMENT_STATUS_BOOKED,
  arrived: AppointmentStatus.APPOINTMENT_STATUS_ARRIVED,
  'checked-in': AppointmentStatus.APPOINTMENT_STATUS_CHECKED_IN,
  fulfilled: AppointmentStatus.APPOINTMENT_STATUS_FULFILLED,
  cancelled: AppointmentStatus.APPOINTMENT_STATUS_CANCELLED,
  noshow: AppointmentStatus.APPOINTMENT_STATUS_NOSHOW,
  'entered-in-error': AppointmentStatus.APPOINTMENT_STATUS_ENTERED_IN_ERROR,
  waitlist: AppointmentStatus.APPOINTMENT_STATUS_WAITLIST,
};

export function appointmentStatusOf(code: string): AppointmentStatus {
  return TO_PROTO[code as AppointmentStatusCode] ?? AppointmentStatus.APPOINTMENT_STATUS_UNSPECIFIED;
}

export type AppointmentMove = 'cancel' | 'reschedule' | 'arrive' | 'fulfil' | 'no-show';

const MOVES: Readonly<
  Record<
    AppointmentMove,
    { readonly from: readonly AppointmentStatusCode[]; readonly to: AppointmentStatusCode; readonly verb: string }
  >
> = {
  cancel: { from: ['proposed', 'pending', 'booked', 'waitlist'], to: 'cancelled', verb: 'cancelled' },
  reschedule: { from: ['pending', 'booked'], to: 'booked', verb: 'rescheduled' },
  arrive: { from: ['booked'], to: 'arrived', verb: 'marked arrived' },
  fulfil: { from: ['booked', 'arrived', 'checked-in'], to: 'fulfilled', verb: 'marked fulfilled' },
  'no-show': { from: ['booked'], to: 'noshow', verb: 'marked no-show' },
};

/**
 * The state after `move`, or FAILED_PRECONDITION naming the state it cannot leave. A no-show needs the appointment
 * to have begun: nobody misses an appointment that has not started.
 */
export function nextStatus(current: string, move: AppointmentMove, start: Date, now: Date): AppointmentStatusCode {
  const rule = MOVES[move];
  if (!(rule.from as readonly string[]).includes(current)) {
    throw new FailedPreconditionError(`an appointment that is ${current} cannot be ${rule.verb}`, 'APPOINTMENT_STATE');
  }
  if (move === 'no-show' && start > now)
    throw new FailedPreconditionError(
      'an appointment cannot be marked no-show before it starts',
      'APPOINTMENT_NOT_STARTED',
    );
  return rule.to;
}
