// The gateway as the apps see it: login and sessions that renew themselves, JSON calls by route template (the
// template becomes the request's `name` tag, so metrics group by route, not by patient id), an Idempotency-Key on
// every POST (one retry of an unknown outcome with the same key), the X-MCH-Purpose staff must state, checks that
// look at status and body, and builders that make test data through the public API.
import http from 'k6/http';
import { check, fail, sleep } from 'k6';
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';
import { BASE_URL } from './config.js';

/**
 * A logged-in account. `password` is kept so that a VU can log in again when the 10-minute access token nears
 * its end (identity's ACCESS_TOKEN_TTL_SECONDS).
 * @typedef {{ username: string, password: string, accessToken: string, refreshToken: string, expiresAt: number }} Session
 */

/** @typedef {'treatment' | 'referral' | 'consultation' | 'follow-up' | 'registration'} Purpose */

/**
 * @typedef {object} CallOptions
 * @property {Record<string, string>} [params] values for the route template's `{name}` segments
 * @property {Record<string, string | number | boolean | undefined>} [query]
 * @property {Purpose} [purpose] sent as X-MCH-Purpose (staff need one to touch patient data)
 * @property {string} [idempotencyKey] POST only; a fresh key when absent
 * @property {string} [accept] default application/json
 * @property {number[]} [expected] statuses that are a normal answer here (default: 200 only)
 * @property {string} [op] the `op` tag: read | write | auth (default from the method)
 */

/** Requests repeated after an unknown outcome (503/504/no answer) under the same Idempotency-Key. */
const unknownOutcomeRetries = new Counter('mch_unknown_outcome_retries');

const DAY_MS = 86400000;

/** @param {string} route @param {Record<string, string>} params */
function fillRoute(route, params) {
  return route.replace(/\{([a-z_.]+)\}/g, (_whole, /** @type {string} */ name) => {
    const value = params[name];
    if (value === undefined || value === '') throw new Error(`route ${route}: no value for {${name}}`);
    return encodeURIComponent(value);
  });
}

/** @param {Record<string, string | number | boolean | undefined>} query */
function queryString(query) {
  const parts = [];
  for (const key of Object.keys(query)) {
    const value = query[key];
    if (value === undefined || value === '') continue;
    parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
  }
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

/** A key unique to this request: 8-128 printable characters without spaces, as the gateway requires. */
export function newIdempotencyKey() {
  return `k6-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * One call through the gateway. `route` is the template as written in the proto's google.api.http annotation
 * (routes.test.ts holds every template used here to the protos), e.g. `/v1/patients/{patient_id}/record`.
 * @param {Session | null} session
 * @param {'GET' | 'POST'} method
 * @param {string} route
 * @param {unknown} body
 * @param {CallOptions} [options]
 * @returns {import('k6/http').Response}
 */
function call(session, method, route, body, options) {
  const opts = options || {};
  const url = `${BASE_URL}${fillRoute(route, opts.params || {})}${queryString(opts.query || {})}`;
  /** @type {Record<string, string>} */
  const headers = { accept: opts.accept || 'application/json' };
  if (session) headers.authorization = `Bearer ${session.accessToken}`;
  if (opts.purpose) headers['x-mch-purpose'] = opts.purpose;
  if (method === 'POST') {
    headers['content-type'] = 'application/json';
    headers['idempotency-key'] = opts.idempotencyKey || newIdempotencyKey();
  }
  /** @type {import('k6/http').Params} */
  const params = {
    headers,
    tags: { name: `${method} ${route}`, op: opts.op || (method === 'GET' ? 'read' : 'write') },
  };
  if (opts.expected) params.responseCallback = http.expectedStatuses(...opts.expected);
  const payload = body === undefined ? null : JSON.stringify(body);
  let res = http.request(method, url, payload, params);
  // A POST whose outcome is unknown (the commit may or may not have happened) is retried once with the same key:
  // the service answers the first result again or does the work now, never twice (DESIGN.md §3).
  if (method === 'POST' && (res.status === 0 || res.status === 503 || res.status === 504)) {
    unknownOutcomeRetries.add(1, { name: `${method} ${route}` });
    sleep(0.2 + Math.random() * 0.3);
    res = http.request(method, url, payload, params);
  }
  return res;
}

/** @param {Session | null} session @param {string} route @param {CallOptions} [options] */
export function apiGet(session, route, options) {
  return call(session, 'GET', route, undefined, options);
}

/** @param {Session | null} session @param {string} route @param {unknown} body @param {CallOptions} [options] */
export function apiPost(session, route, body, options) {
  return call(session, 'POST', route, body, options);
}

/**
 * The JSON body, or undefined when there is none or it is not JSON (a CSV export, an HTML error page).
 * @param {import('k6/http').Response} res
 * @returns {any}
 */
export function bodyOf(res) {
  if (typeof res.body !== 'string' || res.body === '') return undefined;
  try {
    return JSON.parse(res.body);
  } catch (_error) {
    return undefined;
  }
}

/** Status, gRPC status name and message of a failed call, for the log (never the request: it may hold identifiers). @param {import('k6/http').Response} res */
export function describeFailure(res) {
  const body = bodyOf(res);
  const detail = body && typeof body === 'object' ? `${body.status || ''} ${body.message || ''}`.trim() : res.error;
  return `${res.request.method} ${res.url.split('?')[0]} -> ${res.status} ${detail}`;
}

/**
 * Checks that `res` is a 200 whose body has the expected shape; returns the body, or undefined when either check
 * failed (the caller ends its iteration there). Check names carry no ids, so they aggregate across iterations.
 * @param {import('k6/http').Response} res
 * @param {string} label
 * @param {(body: any) => unknown} [shape]
 * @returns {any}
 */
export function expectOk(res, label, shape) {
  const body = bodyOf(res);
  /** @type {Record<string, () => boolean>} */
  const checks = {};
  checks[`${label}: status 200`] = () => res.status === 200;
  if (shape) checks[`${label}: body`] = () => res.status === 200 && body !== undefined && holds(shape, body);
  const passed = check(res, checks);
  if (!passed) console.warn(`${label}: ${describeFailure(res)}`);
  return passed ? body : undefined;
}

/** @param {(body: any) => unknown} shape @param {any} body */
function holds(shape, body) {
  try {
    return Boolean(shape(body));
  } catch (_error) {
    return false;
  }
}

/**
 * For setup(): a value the test cannot run without; aborts the whole run with `what` when it is missing.
 * @template T
 * @param {T | undefined} value
 * @param {string} what
 * @returns {T}
 */
export function required(value, what) {
  if (value === undefined) fail(`setup could not ${what}; see the warnings above`);
  return value;
}

// --- sessions -------------------------------------------------------------------------------------------------

/**
 * Logs in through the gateway; undefined (with a failed check) when the platform refuses.
 * @param {import('./config.js').Credentials} credentials
 * @returns {Session | undefined}
 */
export function login(credentials) {
  const res = apiPost(
    null,
    '/v1/auth/login',
    { username: credentials.username, password: credentials.password },
    { op: 'auth' },
  );
  const body = expectOk(res, 'login', (b) => b.tokens.accessToken && b.tokens.refreshToken);
  if (!body) return undefined;
  return sessionFrom(credentials, body.tokens);
}

/**
 * @param {import('./config.js').Credentials} credentials
 * @param {{ accessToken: string, refreshToken: string, expiresIn?: number }} tokens
 * @returns {Session}
 */
export function sessionFrom(credentials, tokens) {
  const lifetimeMs = (tokens.expiresIn || 600) * 1000;
  return {
    username: credentials.username,
    password: credentials.password,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    expiresAt: Date.now() + lifetimeMs,
  };
}

/** Sessions this VU renewed, by username (each VU has its own copy of this module). @type {Record<string, Session>} */
const renewed = {};

/**
 * The session to use now: the one given (from setup()) while its access token has more than a minute left, else a
 * new login by this VU, kept for its later iterations. Long runs therefore need no refresh-token bookkeeping across
 * VUs (a refresh token is single-use and VUs do not share state).
 * @param {Session} session
 * @returns {Session}
 */
export function freshSession(session) {
  const current = renewed[session.username] || session;
  if (current.expiresAt - Date.now() > 60000) return current;
  const next = login(current);
  if (!next) fail(`could not log in again as ${session.username}`);
  renewed[session.username] = next;
  return next;
}

// --- dates ----------------------------------------------------------------------------------------------------

/** The local date (Asia/Shanghai, +08:00, where the alliance is) `days` from today, YYYY-MM-DD. @param {number} days */
export function chinaDate(days) {
  return new Date(Date.now() + 8 * 3600000 + days * DAY_MS).toISOString().slice(0, 10);
}

/** @param {number} fromYear @param {number} toYear */
function randomBirthDate(fromYear, toYear) {
  const start = Date.UTC(fromYear, 0, 1);
  const days = Math.floor((Date.UTC(toYear, 11, 31) - start) / DAY_MS) + 1;
  return new Date(start + Math.floor(Math.random() * days) * DAY_MS).toISOString().slice(0, 10);
}

/** @param {number} min @param {number} max inclusive */
export function randomInt(min, max) {
  return min + Math.floor(Math.random() * (max - min + 1));
}

/** @template T @param {T[]} items @returns {T} */
export function pickOne(items) {
  return items[Math.floor(Math.random() * items.length)];
}

// --- test data through the public API ----------------------------------------------------------------------------

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/**
 * A valid 18-digit resident ID (ISO 7064 MOD 11-2 check digit) for a birth date and a 3-digit sequence (odd: male,
 * even: female); the same rule as residentId() in services/identity/test/support.ts.
 * @param {string} birthDate YYYY-MM-DD
 * @param {number} seq 0-999
 * @param {string} [region] six-digit administrative division code (532301: Chuxiong city)
 */
export function residentId(birthDate, seq, region) {
  const first17 = `${region || '532301'}${birthDate.replace(/-/g, '')}${String(seq).padStart(3, '0')}`;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17.charAt(i)) * WEIGHTS[i];
  return first17 + '10X98765432'.charAt(sum % 11);
}

/**
 * A resident ID of a woman born between the given years, drawn at random: about 3.6 million combinations per
 * region for 20 years, so runs rarely meet an ID used before (registerWoman draws again when one does).
 * @param {number} [fromYear] @param {number} [toYear]
 */
export function randomFemaleId(fromYear, toYear) {
  return residentId(randomBirthDate(fromYear || 1988, toYear || 2001), randomInt(1, 499) * 2);
}

const NAMES = ['王芳', '李秀英', '张丽华', '刘桂英', '陈静', '杨敏', '赵燕', '黄艳'];

/**
 * Registers a new woman (a fresh resident ID; identity answers an existing patient for a known one, so it draws
 * again) and returns the patient, or undefined after a failed check.
 * @param {Session} staff
 * @param {{ countyCode?: string, bornFrom?: number, bornTo?: number }} [options]
 * @returns {any}
 */
export function registerWoman(staff, options) {
  const opts = options || {};
  for (let attempt = 0; attempt < 3; attempt++) {
    const res = apiPost(
      staff,
      '/v1/patients',
      {
        nationalId: randomFemaleId(opts.bornFrom, opts.bornTo),
        name: pickOne(NAMES),
        countyCode: opts.countyCode || 'lufeng',
      },
      { purpose: 'registration' },
    );
    const body = expectOk(
      res,
      'register patient',
      (b) => typeof b.patient.id === 'string' && typeof b.outcome === 'string',
    );
    if (!body) return undefined;
    if (body.outcome !== 'REGISTRATION_OUTCOME_MATCHED') return body.patient;
  }
  console.warn('register patient: three random resident IDs were all taken');
  return undefined;
}

/**
 * Registers a pregnancy dated by an LMP `weeks` weeks ago; returns the pregnancy or undefined.
 * @param {Session} staff @param {string} patientId @param {number} weeks
 * @returns {any}
 */
export function registerPregnancy(staff, patientId, weeks) {
  const res = apiPost(
    staff,
    '/v1/patients/{patient_id}/pregnancies',
    { lmp: chinaDate(-weeks * 7) },
    { params: { patient_id: patientId }, purpose: 'treatment' },
  );
  const body = expectOk(
    res,
    'register pregnancy',
    (b) => typeof b.pregnancy.id === 'string' && b.pregnancy.status === 'active' && b.recordVersion >= 1,
  );
  return body ? body.pregnancy : undefined;
}

/**
 * Records a routine antenatal visit today (normal blood pressure: the township screen stays negative).
 * @param {Session} staff @param {string} pregnancyId
 * @returns {any} the response body
 */
export function recordVisit(staff, pregnancyId) {
  const res = apiPost(
    staff,
    '/v1/pregnancies/{pregnancy_id}/visits',
    {
      visitDate: chinaDate(0),
      systolicBp: randomInt(105, 125),
      diastolicBp: randomInt(65, 80),
      weightKg: randomInt(550, 680) / 10,
    },
    { params: { pregnancy_id: pregnancyId }, purpose: 'treatment' },
  );
  return expectOk(res, 'record visit', (b) => typeof b.visit.id === 'string' && b.recordVersion >= 2);
}

/**
 * Staff issue an activation code (handed over in person) and the woman creates her account with it; returns her
 * session from the activation's tokens, or undefined.
 * @param {Session} staff @param {string} patientId @param {string} username @param {string} password
 * @returns {Session | undefined}
 */
export function activateResident(staff, patientId, username, password) {
  const issued = expectOk(
    apiPost(
      staff,
      '/v1/patients/{patient_id}/activation-codes',
      { delivery: 'handover' },
      { params: { patient_id: patientId }, purpose: 'registration' },
    ),
    'issue activation code',
    (b) => typeof b.code === 'string' && b.code.length > 0,
  );
  if (!issued) return undefined;
  const activated = expectOk(
    apiPost(null, '/v1/residents/activate', { code: issued.code, username, password }, { op: 'auth' }),
    'activate resident',
    (b) =>
      b.account.kind === 'resident' && b.account.patientId === patientId && typeof b.tokens.accessToken === 'string',
  );
  return activated ? sessionFrom({ username, password }, activated.tokens) : undefined;
}

/**
 * Every member institution by code (a public route).
 * @returns {Record<string, any>}
 */
export function institutionsByCode() {
  const body = expectOk(
    apiGet(null, '/v1/institutions', { query: { pageSize: 200 } }),
    'list institutions',
    (b) => b.institutions.length > 100,
  );
  /** @type {Record<string, any>} */
  const byCode = {};
  if (body) for (const institution of body.institutions) byCode[institution.code] = institution;
  return byCode;
}

/**
 * The id of the institution with `code`; aborts setup when it is not seeded.
 * @param {Record<string, any>} institutions @param {string} code
 * @returns {string}
 */
export function institutionId(institutions, code) {
  const institution = institutions[code];
  if (!institution) fail(`institution ${code} is not in GET /v1/institutions`);
  return institution.id;
}

/** A label unique to this run, for usernames (lowercase letters and digits). */
export function runLabel() {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/**
 * Round robin over `items` by the scenario's iteration number, so that iterations running at the same time use
 * different items (a woman, an account) as long as there are more items than VUs busy at once.
 * @template T @param {T[]} items @returns {T}
 */
export function inTurn(items) {
  return items[exec.scenario.iterationInTest % items.length];
}
