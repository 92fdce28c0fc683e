// Scheduling straight over gRPC, past the gateway: the nearest-free-slot search (cached) under one
// constant-arrival-rate scenario, and booking-then-cancelling (two synchronously replicated commits that take and give
// back a slot's capacity under a row lock) under another. Protos from the repository's proto/ tree; the token from a
// login through the gateway in setup().
//   k6 run loadtest/k6/grpc-scheduling.js
//   MCH_SCHEDULING_GRPC=10.0.0.5:50053 MCH_GRPC_SEARCHES_PER_SECOND=50 k6 run loadtest/k6/grpc-scheduling.js
import grpc from 'k6/net/grpc';
import { check } from 'k6';
import { Rate } from 'k6/metrics';
import {
  account,
  envNumber,
  envString,
  latencyBudget,
  PLACES,
  PROTO_IMPORT_PATHS,
  SCHEDULING_GRPC,
} from './lib/config.js';
import { inTurn, login, newIdempotencyKey, pickOne, registerWoman, required } from './lib/api.js';
import { connectOnce, expectStatusOk, grpcParams, invokeWrite } from './lib/grpc.js';

const client = new grpc.Client();
client.load(PROTO_IMPORT_PATHS, 'mch/scheduling/v1/scheduling.proto');
const SERVICE = 'mch.scheduling.v1.SchedulingService';
const SERVICE_TYPE = 'SERVICE_TYPE_ANTENATAL_CHECK';

const DURATION = envString('MCH_DURATION', '2m');
const SEARCHES_PER_SECOND = envNumber('MCH_GRPC_SEARCHES_PER_SECOND', 20);
const BOOKINGS_PER_SECOND = envNumber('MCH_GRPC_BOOKINGS_PER_SECOND', 2);

/** Bookings refused because the slot filled (or the woman already holds that time) since the search. */
const bookingConflicts = new Rate('mch_booking_conflicts');

/**
 * Budgets in ms (times MCH_LATENCY_SCALE), from what this machine measured on 2026-11-25 with the rates below (2
 * cores, load average ~10 from other engineers' platforms), p95 / p99: SearchSlots at 20/s 84 / 304 (the search
 * window starts at "now", so most searches recompute free slots from the nearest institutions' schedules instead of
 * hitting the cache); BookAppointment 139 / 218 and CancelAppointment 106 / 295 at 2/s (replicated commits under a
 * row lock on the slot).
 */
/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    search: {
      executor: 'constant-arrival-rate',
      exec: 'search',
      rate: SEARCHES_PER_SECOND,
      timeUnit: '1s',
      duration: DURATION,
      preAllocatedVUs: Math.max(2, Math.ceil(SEARCHES_PER_SECOND / 10)),
      maxVUs: Math.max(10, Math.ceil(SEARCHES_PER_SECOND)),
    },
    bookings: {
      executor: 'constant-arrival-rate',
      exec: 'bookings',
      rate: BOOKINGS_PER_SECOND,
      timeUnit: '1s',
      duration: DURATION,
      preAllocatedVUs: Math.max(1, Math.ceil(BOOKINGS_PER_SECOND / 2)),
      maxVUs: Math.max(5, BOOKINGS_PER_SECOND * 3),
    },
  },
  thresholds: {
    checks: ['rate>0.99'],
    'checks{scenario:search}': ['rate>0.99'],
    'checks{scenario:bookings}': ['rate>0.99'],
    'grpc_req_duration{scenario:search}': [latencyBudget('p(95)', 150), latencyBudget('p(99)', 500)],
    'grpc_req_duration{scenario:bookings,op:write}': [latencyBudget('p(95)', 300), latencyBudget('p(99)', 500)],
    mch_booking_conflicts: ['rate<0.05'],
  },
  setupTimeout: '5m',
};

/**
 * @typedef {import('./lib/api.js').Session} Session
 * @typedef {{ session: Session, patients: string[] }} TestData
 */

/**
 * Women to book for (registered through the gateway) and the Lufeng county clinician who books for them; more
 * women than booking VUs, so that no two bookings for the same woman run at once.
 * @returns {TestData}
 */
export function setup() {
  const midwife = required(login(account('LUFENG_MIDWIFE')), 'log in as the Lufeng midwife');
  const clinician = required(login(account('LUFENG_CLINICIAN')), 'log in as the Lufeng clinician');
  const patients = [];
  for (let i = 0; i < envNumber('MCH_GRPC_PATIENTS', Math.max(5, BOOKINGS_PER_SECOND * 4)); i++)
    patients.push(required(registerWoman(midwife), 'register a woman').id);
  return { session: clinician, patients };
}

/** The free slots of a nearest-first search from the Lufeng county seat, or undefined after a failed check. @param {TestData} data @returns {any[] | undefined} */
function freeSlots(data) {
  const res = client.invoke(
    `${SERVICE}/SearchSlots`,
    { service: SERVICE_TYPE, near: PLACES.lufeng, pageSize: 20 },
    grpcParams(data.session, 'read'),
  );
  const found = expectStatusOk(
    res,
    'SearchSlots',
    (m) => m.slots.length > 0 && m.slots.every((/** @type {any} */ s) => s.service === SERVICE_TYPE),
  );
  return found ? found.slots.filter((/** @type {any} */ s) => s.free > 0) : undefined;
}

/** @param {TestData} data */
export function search(data) {
  connectOnce(client, SCHEDULING_GRPC);
  freeSlots(data);
}

/** Search, book one of the nearest free slots, cancel it again. @param {TestData} data */
export function bookings(data) {
  connectOnce(client, SCHEDULING_GRPC);
  const free = freeSlots(data);
  if (!free || !check(free, { 'SearchSlots: a free slot': (slots) => slots.length > 0 })) return;
  const slot = pickOne(free);
  const patientId = inTurn(data.patients);
  const res = invokeWrite(
    client,
    `${SERVICE}/BookAppointment`,
    { patientId, institutionId: slot.institutionId, service: SERVICE_TYPE, start: slot.start },
    grpcParams(data.session, 'write', newIdempotencyKey()),
  );
  if (res.status === grpc.StatusFailedPrecondition) {
    bookingConflicts.add(true);
    return;
  }
  bookingConflicts.add(false);
  const booked = expectStatusOk(
    res,
    'BookAppointment',
    (m) => m.appointment.status === 'APPOINTMENT_STATUS_BOOKED' && m.appointment.patientId === patientId,
  );
  if (!booked) return;
  const cancelled = invokeWrite(
    client,
    `${SERVICE}/CancelAppointment`,
    { appointmentId: booked.appointment.id, reason: 'k6 gRPC: frees the slot again' },
    grpcParams(data.session, 'write', newIdempotencyKey()),
  );
  expectStatusOk(cancelled, 'CancelAppointment', (m) => m.appointment.status === 'APPOINTMENT_STATUS_CANCELLED');
}
