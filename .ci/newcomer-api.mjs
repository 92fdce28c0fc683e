// The newcomer phase's API steps, through the gateway only, as a newcomer would try the README's start:
//   node .ci/newcomer-api.mjs register <gateway URL> <state file>   log in as the demo midwife, register a woman,
//                                                                    read her record back, remember her id
//   node .ci/newcomer-api.mjs read <gateway URL> <state file>       log in again and read the same woman back
// Exit 0 when every step answered as the HTTP contract says; otherwise the step, status and body, exit 1.
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

const [step, gateway, stateFile] = process.argv.slice(2);
if (!['register', 'read'].includes(step ?? '') || !gateway || !stateFile) {
  console.error('usage: node .ci/newcomer-api.mjs register|read <gateway URL> <state file>');
  process.exit(2);
}

async function call(method, path, { token, body, headers = {} } = {}) {
  const response = await fetch(`${gateway}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text };
}

function expectStatus(what, answer, status) {
  if (answer.status !== status) {
    console.error(`newcomer: ${what}: HTTP ${answer.status}, expected ${status}: ${answer.text.slice(0, 500)}`);
    process.exit(1);
  }
  console.log(`newcomer: ${what}: HTTP ${answer.status}`);
}

/** A valid resident ID (GB 11643 check digit) of a woman born 1996-05-17 in Lufeng, new on every run. */
function residentId() {
  const sequence = String(2 * Math.floor(Math.random() * 499) + 2).padStart(3, '0'); // even: a woman
  const first17 = `532331${'19960517'}${sequence}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((total, digit, i) => total + Number(digit) * weights[i], 0);
  return first17 + '10X98765432'[sum % 11];
}

const login = await call('POST', '/v1/auth/login', {
  body: { username: 'lufeng.midwife', password: 'mch-demo-2026!' },
});
expectStatus('login as lufeng.midwife', login, 200);
const token = login.json.tokens.accessToken;

let patient;
if (step === 'register') {
  const nationalId = residentId();
  const created = await call('POST', '/v1/patients', {
    token,
    body: { nationalId, name: '新手测试', countyCode: 'lufeng' },
    headers: { 'idempotency-key': randomUUID() },
  });
  if (created.status !== 200 && created.status !== 201) expectStatus('register a woman', created, 201);
  patient = created.json.patient ?? created.json;
  if (typeof patient?.id !== 'string') {
    console.error(`newcomer: register answered without an id: ${created.text.slice(0, 500)}`);
    process.exit(1);
  }
  console.log(`newcomer: registered ${patient.id} (HTTP ${created.status})`);
  writeFileSync(stateFile, JSON.stringify({ id: patient.id, nationalId }));
  patient = { id: patient.id, nationalId };
} else {
  patient = JSON.parse(readFileSync(stateFile, 'utf8'));
}

const read = await call('GET', `/v1/patients/${patient.id}`, { token, headers: { 'x-mch-purpose': 'treatment' } });
expectStatus(`read woman ${patient.id}`, read, 200);
const woman = read.json?.patient;
if (woman?.id !== patient.id || woman?.name !== '新手测试' || woman?.nationalId !== patient.nationalId) {
  console.error(`newcomer: read back a different woman: ${read.text.slice(0, 500)}`);
  process.exit(1);
}
const record = await call('GET', `/v1/patients/${patient.id}/record`, {
  token,
  headers: { 'x-mch-purpose': 'treatment' },
});
expectStatus(`read her record ${patient.id}`, record, 200);
