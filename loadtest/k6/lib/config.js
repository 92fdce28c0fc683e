// Where the platform is and who logs in: every address and credential comes from the environment and defaults to
// the local platform that `npm start` runs (ports from services/platform/src/ports.ts, demo accounts from identity's
// seed). Only k6 built-ins are available at run time: no npm imports anywhere under loadtest/k6.

/** @param {string} name @param {string} fallback @returns {string} */
export function envString(name, fallback) {
  const value = __ENV[name];
  return value === undefined || value === '' ? fallback : value;
}

/** A positive number from the environment; a malformed value stops the run before it starts. @param {string} name @param {number} fallback */
export function envNumber(name, fallback) {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!isFinite(value) || value < 0) throw new Error(`${name}=${raw} is not a non-negative number`);
  return value;
}

/** The gateway (HTTP/JSON), without a trailing slash. */
export const BASE_URL = envString('MCH_BASE_URL', 'http://127.0.0.1:8080').replace(/\/+$/, '');

/** gRPC addresses of the services the gRPC scripts call directly (DEFAULT_PORTS.records / .scheduling). */
export const RECORDS_GRPC = envString('MCH_RECORDS_GRPC', '127.0.0.1:50052');
export const SCHEDULING_GRPC = envString('MCH_SCHEDULING_GRPC', '127.0.0.1:50053');
/** The services listen in plaintext on the local platform; set MCH_GRPC_TLS=1 for a TLS endpoint. */
export const GRPC_PLAINTEXT = envString('MCH_GRPC_TLS', '') === '';

/**
 * Import paths for `grpc.Client.load`. k6 resolves them against the directory of the script given to `k6 run`
 * (grafana/k6#2781, #3857), which for every entry script here is loadtest/k6: `../../proto` is the repository's
 * proto tree. MCH_PROTO_DIR (absolute) points elsewhere.
 */
const PROTO_DIR = envString('MCH_PROTO_DIR', '../../proto').replace(/\/+$/, '');
export const PROTO_IMPORT_PATHS = [PROTO_DIR, `${PROTO_DIR}/third_party`];

/** Password of every demo account unless MCH_PASSWORD_<USER> says otherwise (identity's seed). */
export const DEMO_PASSWORD = envString('MCH_DEMO_PASSWORD', 'mch-demo-2026!');

/** Password the resident accounts created in setup() are given (identity asks for at least 12 characters). */
export const RESIDENT_PASSWORD = envString('MCH_RESIDENT_PASSWORD', 'k6 resident passphrase');

/**
 * The demo accounts by the part they play. Each username can be replaced with MCH_USER_<KEY> and its password with
 * MCH_PASSWORD_<KEY>, e.g. MCH_USER_LUFENG_CLINICIAN=wang.li MCH_PASSWORD_LUFENG_CLINICIAN=...
 * @typedef {'PLATFORM_ADMIN' | 'PREF_CLINICIAN' | 'PREF_ADMIN' | 'PREF_ANALYST' | 'LUFENG_CLINICIAN' | 'LUFENG_ADMIN' | 'LUFENG_ANALYST' | 'LUFENG_MIDWIFE' | 'SHUANGBAI_MIDWIFE'} AccountKey
 */
/** @type {Record<AccountKey, string>} */
const DEMO_USERNAMES = {
  PLATFORM_ADMIN: 'platform.admin',
  PREF_CLINICIAN: 'pref.clinician',
  PREF_ADMIN: 'pref.admin',
  PREF_ANALYST: 'pref.analyst',
  LUFENG_CLINICIAN: 'lufeng.clinician',
  LUFENG_ADMIN: 'lufeng.admin',
  LUFENG_ANALYST: 'lufeng.analyst',
  LUFENG_MIDWIFE: 'lufeng.midwife',
  SHUANGBAI_MIDWIFE: 'shuangbai.midwife',
};

/** @typedef {{ username: string, password: string }} Credentials */

/** @param {AccountKey} key @returns {Credentials} */
export function account(key) {
  return {
    username: envString(`MCH_USER_${key}`, DEMO_USERNAMES[key]),
    password: envString(`MCH_PASSWORD_${key}`, DEMO_PASSWORD),
  };
}

/** Seeded institutions the scripts act at (codes from services/identity/seed/institutions.json). */
export const INSTITUTIONS = {
  prefecture: 'CX-PREF-MCH',
  lufengCounty: 'CX-LFS-MCH',
  guangtongTownship: 'CX-LFS-GUANGTONG-THC',
};

/** County seats as `lat,lon` for slot searches (DESIGN.md §1). */
export const PLACES = {
  lufeng: '25.155,102.08',
  chuxiong: '25.03,101.55',
};

/**
 * Every latency budget in the thresholds is multiplied by this (default 1): raise it on a slower or busier machine
 * instead of editing the scripts, and say so when quoting the result.
 */
export const LATENCY_SCALE = envNumber('MCH_LATENCY_SCALE', 1) || 1;

/** `p(95)<X` with X scaled by MCH_LATENCY_SCALE. @param {string} percentile e.g. 'p(95)' @param {number} ms */
export function latencyBudget(percentile, ms) {
  return `${percentile}<${Math.round(ms * LATENCY_SCALE)}`;
}
