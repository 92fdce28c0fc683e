// Scheduling's gRPC handlers: each method to the service that owns it.
import type { UnaryHandlers } from '../../common/src/grpc/adapter';
import { SchedulingServiceService } from '../../common/src/gen/mch/scheduling/v1/scheduling';
import type { AppointmentImport } from './appointment-import';
import type { BookingService } from './booking-service';
import type { DueCheckService } from './due-checks';
import type { FollowUpService } from './follow-ups';
import type { ScheduleService } from './schedule-service';

export interface SchedulingServices {
  readonly schedules: ScheduleService;
  readonly bookings: BookingService;
  readonly dueChecks: DueCheckService;
  readonly followUps: FollowUpService;
  readonly imports: AppointmentImport;
}

export function schedulingHandlers({
  schedules,
  bookings,
  dueChecks,
  followUps,
  imports,
}: SchedulingServices): UnaryHandlers<typeof SchedulingServiceService> {
  return {
    publishSchedule: (request, ctx) => schedules.publish(request, ctx),
    getSchedule: (request) => schedules.get(request),
    searchSlots: (request) => schedules.search(request),
    bookAppointment: (request, ctx) => bookings.book(request, ctx),
    getAppointment: (request, ctx) => bookings.get(request, ctx),
    cancelAppointment: (request, ctx) => bookings.cancel(request, ctx),
    rescheduleAppointment: (request, ctx) => bookings.reschedule(request, ctx),
    markArrived: (request, ctx) => bookings.markArrived(request, ctx),
    markFulfilled: (request, ctx) => bookings.markFulfilled(request, ctx),
    markNoShow: (request, ctx) => bookings.markNoShow(request, ctx),
    listPatientAppointments: (request, ctx) => bookings.listForPatient(request, ctx),
    listInstitutionAppointments: (request, ctx) => bookings.dayList(request, ctx),
    listDueChecks: (request, ctx) => dueChecks.list(request, ctx),
    listFollowUps: (request, ctx) => followUps.list(request, ctx),
    listAuditEvents: (request, ctx) => followUps.auditEvents(request, ctx),
    importAppointments: (request, ctx) => imports.importAppointments(request, ctx),
  };
}
