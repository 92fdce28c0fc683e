// Records straight over gRPC, past the gateway: what the service itself costs. Reads (the whole record, and the
// handbook that Redis caches under the record version) and antenatal-visit writes (each a synchronously replicated
// commit under an Idempotency-Key), each under its own constant-arrival-rate scenario. The protos are loaded from the
// repository's proto/ tree; the token comes from a login through the gateway in setup(), as every app gets one.
//   k6 run loadtest/k6/grpc-records.js
//   MCH_RECORDS_GRPC=10.0.0.5:50052 MCH_GRPC_READS_PER_SECOND=50 k6 run loadtest/k6/grpc-records.js
import grpc from 'k6/net/grpc';
import exec from 'k6/execution';
import { account, envNumber, envString, latencyBudget, PROTO_IMPORT_PATHS, RECORDS_GRPC } from './lib/config.js';
import {
  chinaDate,
  inTurn,
  login,
  newIdempotencyKey,
  recordVisit,
  registerPregnancy,
  registerWoman,
  required,
} from './lib/api.js';
import { connectOnce, expectStatusOk, grpcParams, invokeWrite } from './lib/grpc.js';

const client = new grpc.Client();
client.load(PROTO_IMPORT_PATHS, 'mch/records/v1/records.proto');
const SERVICE = 'mch.records.v1.RecordsService';

const DURATION = envString('MCH_DURATION', '2m');
const READS_PER_SECOND = envNumber('MCH_GRPC_READS_PER_SECOND', 20);
const WRITES_PER_SECOND = envNumber('MCH_GRPC_WRITES_PER_SECOND', 2);

/**
 * Budgets in ms (times MCH_LATENCY_SCALE), about twice what this machine measured on 2026-11-25 with the rates
 * below, paced as here (2 cores, load average ~10 from other engineers' platforms), p95 / p99: GetPatientRecord and
 * GetHandbook alternating at 20/s 29 / 46 (each read commits its audit row on the synchronous pair); visits at 2/s
 * 58 / 94 (a replicated commit).
 */
/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    reads: {
      executor: 'constant-arrival-rate',
      exec: 'reads',
      rate: READS_PER_SECOND,
      timeUnit: '1s',
      duration: DURATION,
      preAllocatedVUs: Math.max(2, Math.ceil(READS_PER_SECOND / 10)),
      maxVUs: Math.max(10, Math.ceil(READS_PER_SECOND)),
    },
    writes: {
      executor: 'constant-arrival-rate',
      exec: 'writes',
      rate: WRITES_PER_SECOND,
      timeUnit: '1s',
      duration: DURATION,
      preAllocatedVUs: Math.max(1, Math.ceil(WRITES_PER_SECOND / 4)),
      maxVUs: Math.max(5, WRITES_PER_SECOND * 2),
    },
  },
  thresholds: {
    checks: ['rate>0.99'],
    'checks{scenario:reads}': ['rate>0.99'],
    'checks{scenario:writes}': ['rate>0.99'],
    'grpc_req_duration{scenario:reads}': [latencyBudget('p(95)', 75), latencyBudget('p(99)', 150)],
    'grpc_req_duration{scenario:writes}': [latencyBudget('p(95)', 200), latencyBudget('p(99)', 400)],
  },
  setupTimeout: '5m',
};

/**
 * @typedef {import('./lib/api.js').Session} Session
 * @typedef {{ session: Session, pregnancies: Array<{ patientId: string, pregnancyId: string }> }} TestData
 */

/** Women with a pregnancy and one visit, made through the gateway. @returns {TestData} */
export function setup() {
  const midwife = required(login(account('LUFENG_MIDWIFE')), 'log in as the Lufeng midwife');
  const pregnancies = [];
  for (let i = 0; i < envNumber('MCH_GRPC_PATIENTS', 20); i++) {
    const woman = required(registerWoman(midwife), 'register a woman');
    const pregnancy = required(registerPregnancy(midwife, woman.id, 20), 'register her pregnancy');
    required(recordVisit(midwife, pregnancy.id), 'record a visit');
    pregnancies.push({ patientId: woman.id, pregnancyId: pregnancy.id });
  }
  return { session: midwife, pregnancies };
}

/** One read per iteration: the whole record and the handbook in turn. @param {TestData} data */
export function reads(data) {
  connectOnce(client, RECORDS_GRPC);
  const { patientId } = inTurn(data.pregnancies);
  if (exec.scenario.iterationInTest % 2 === 0) {
    const res = client.invoke(`${SERVICE}/GetPatientRecord`, { patientId }, grpcParams(data.session, 'read'));
    expectStatusOk(
      res,
      'GetPatientRecord',
      (m) => m.record.patientId === patientId && m.record.pregnancies.length === 1,
    );
  } else {
    const res = client.invoke(`${SERVICE}/GetHandbook`, { patientId }, grpcParams(data.session, 'read'));
    expectStatusOk(res, 'GetHandbook', (m) => m.patientId === patientId && m.sections.length > 0);
  }
}

/** One antenatal visit per iteration, on one of the prepared pregnancies. @param {TestData} data */
export function writes(data) {
  connectOnce(client, RECORDS_GRPC);
  const { pregnancyId } = inTurn(data.pregnancies);
  const request = {
    pregnancyId,
    visitDate: chinaDate(0),
    systolicBp: 116,
    diastolicBp: 74,
    weightKg: 61.5,
    reason: 'k6 gRPC write',
  };
  const res = invokeWrite(
    client,
    `${SERVICE}/RecordAntenatalVisit`,
    request,
    grpcParams(data.session, 'write', newIdempotencyKey()),
  );
  expectStatusOk(
    res,
    'RecordAntenatalVisit',
    (m) => typeof m.visit.id === 'string' && m.visit.id !== '' && m.recordVersion > 1,
  );
}
