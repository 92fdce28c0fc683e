// Identity and access through the gateway and straight over gRPC, against the real two-zone platform.
import { randomBytes } from 'node:crypto';
import { Metadata, status } from '@grpc/grpc-js';
import { generateKeyPair, importJWK, SignJWT } from 'jose';
import { Client } from 'pg';
import { callUnary, createChannelClient } from '../../common/src/grpc/client';
import { IdentityServiceService } from '../../common/src/gen/mch/identity/v1/identity';
import { readTestPlatform } from '../../platform/test/platform-env';
import { httpStatusForGrpcCode } from '../../common/src/status-codes';
import { gatewayRoutes, GrpcRouteCaller } from '../../gateway/test/route-calls';
import { Api, nextFemaleId } from './support';

const platform = readTestPlatform();
const api = new Api(platform.gatewayUrl);
const treatment = { 'x-mch-purpose': 'treatment' };

let db: Client;
const tokens: Record<string, string> = {};
let institutions: Record<string, string>;

async function newPatient(clinician = 'lufeng.clinician', body: Record<string, unknown> = {}): Promise<any> {
  const answer = await api.call('POST', '/v1/patients', {
    token: tokens[clinician],
    body: { nationalId: nextFemaleId(), name: '测试', countyCode: 'lufeng', ...body },
  });
  if (answer.status !== 200) throw new Error(JSON.stringify(answer.body));
  return answer.body;
}

async function newResident(): Promise<{ patientId: string; token: string; refreshToken: string }> {
  const { patient } = await newPatient();
  const code = await api.call('POST', `/v1/patients/${patient.id}/activation-codes`, {
    token: tokens['lufeng.clinician'],
    body: {},
  });
  expect(code.status).toBe(200);
  const username = `resident.${randomBytes(4).toString('hex')}`;
  const activated = await api.call('POST', '/v1/residents/activate', {
    body: { code: code.body.code, username, password: 'a resident passphrase' },
  });
  expect(activated.status).toBe(200);
  return {
    patientId: patient.id,
    token: activated.body.tokens.accessToken,
    refreshToken: activated.body.tokens.refreshToken,
  };
}

beforeAll(async () => {
  db = new Client({ connectionString: platform.rwUrl });
  await db.connect();
  for (const user of [
    'platform.admin',
    'pref.clinician',
    'pref.admin',
    'pref.analyst',
    'lufeng.clinician',
    'lufeng.admin',
    'lufeng.analyst',
    'lufeng.midwife',
    'shuangbai.midwife',
  ]) {
    tokens[user] = (await api.login(user)).accessToken;
  }
  const { rows } = await db.query<{ code: string; id: string }>(`SELECT code, id FROM identity.institutions`);
  institutions = Object.fromEntries(rows.map((row) => [row.code, row.id]));
});

afterAll(async () => {
  await db.end();
});

describe('tokens', () => {
  let signingKey: { kid: string; key: Uint8Array | import('jose').KeyLike };

  beforeAll(async () => {
    const { rows } = await db.query<{ kid: string; private_jwk: import('jose').JWK }>(
      'SELECT kid, private_jwk FROM identity.signing_keys ORDER BY created_at DESC LIMIT 1',
    );
    const row = rows[0] as { kid: string; private_jwk: import('jose').JWK };
    signingKey = { kid: row.kid, key: await importJWK(row.private_jwk, 'EdDSA') };
  });

  const forge = async (edit: (jwt: SignJWT) => SignJWT, key = signingKey.key, kid = signingKey.kid): Promise<string> =>
    edit(
      new SignJWT({ kind: 'staff', roles: ['clinician'], inst: institutions['CX-PREF-MCH'] })
        .setProtectedHeader({ alg: 'EdDSA', kid })
        .setSubject('forged')
        .setJti('j')
        .setIssuedAt(),
    ).sign(key);

  it.each([
    [
      'algorithm none',
      async () =>
        `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'x', kind: 'staff', roles: ['clinician'], iss: 'mch-identity', aud: 'mch-alliance', exp: 9999999999 })).toString('base64url')}.`,
    ],
    [
      'a key of its own',
      async () =>
        forge(
          (jwt) => jwt.setIssuer('mch-identity').setAudience('mch-alliance').setExpirationTime('5m'),
          (await generateKeyPair('EdDSA', { crv: 'Ed25519' })).privateKey,
        ),
    ],
    [
      'expired',
      async () =>
        forge((jwt) =>
          jwt
            .setIssuer('mch-identity')
            .setAudience('mch-alliance')
            .setExpirationTime(Math.floor(Date.now() / 1000) - 60),
        ),
    ],
    [
      'wrong audience',
      async () => forge((jwt) => jwt.setIssuer('mch-identity').setAudience('someone-else').setExpirationTime('5m')),
    ],
    [
      'wrong issuer',
      async () => forge((jwt) => jwt.setIssuer('evil').setAudience('mch-alliance').setExpirationTime('5m')),
    ],
    ['garbage', async () => 'not.a.token'],
  ])('refuses a token with %s: 401 through the gateway, UNAUTHENTICATED straight to identity', async (_label, make) => {
    const token = await make();
    const answer = await api.call('GET', '/v1/me', { token });
    expect(answer.status).toBe(401);
    expect(answer.body.status).toBe('UNAUTHENTICATED');
    const client = createChannelClient(platform.serviceAddresses.identity as string);
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${token}`);
    const error = await callUnary(client, IdentityServiceService.getMe, {}, { metadata }).catch(
      (e: { code: number }) => e,
    );
    expect((error as { code: number }).code).toBe(status.UNAUTHENTICATED);
    client.close();
  });

  it('refuses a call straight to identity without a token', async () => {
    const client = createChannelClient(platform.serviceAddresses.identity as string);
    const error = await callUnary(client, IdentityServiceService.getPatient, {
      id: '00000000-0000-4000-8000-000000000000',
    }).catch((e: { code: number }) => e);
    expect((error as { code: number }).code).toBe(status.UNAUTHENTICATED);
    client.close();
  });

  it('rotates refresh tokens, tolerates a quick retry, and revokes the login when a spent token comes back later', async () => {
    const first = await api.login('pref.clinician');
    const rotated = await api.call('POST', '/v1/auth/refresh', { body: { refreshToken: first.refreshToken } });
    expect(rotated.status).toBe(200);
    const retry = await api.call('POST', '/v1/auth/refresh', { body: { refreshToken: first.refreshToken } });
    expect(retry.status).toBe(200);
    // Make the spend look old: a reuse outside the grace is theft.
    await db.query(
      `UPDATE identity.refresh_tokens SET spent_at = now() - interval '1 minute' WHERE token_hash = sha256($1::bytea)`,
      [Buffer.from(first.refreshToken)],
    );
    const reuse = await api.call('POST', '/v1/auth/refresh', { body: { refreshToken: first.refreshToken } });
    expect(reuse.status).toBe(401);
    const descendant = await api.call('POST', '/v1/auth/refresh', {
      body: { refreshToken: rotated.body.tokens.refreshToken },
    });
    expect(descendant.status).toBe(401);
  });

  it('logs out: the refresh token stops working', async () => {
    const session = await api.login('pref.admin');
    expect((await api.call('POST', '/v1/auth/logout', { body: { refreshToken: session.refreshToken } })).status).toBe(
      200,
    );
    expect((await api.call('POST', '/v1/auth/refresh', { body: { refreshToken: session.refreshToken } })).status).toBe(
      401,
    );
  });

  it('slows and then stops repeated failed logins with 429', async () => {
    const username = `nobody.${randomBytes(3).toString('hex')}`;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push(
        (await api.call('POST', '/v1/auth/login', { body: { username, password: 'wrong password!!' } })).status,
      );
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses[5]).toBe(429);
  }, 30_000);
});

describe('master patient index', () => {
  it('refuses a resident ID with a wrong check digit with a 400 naming nationalId, and writes nothing', async () => {
    const valid = nextFemaleId();
    const wrong = valid.slice(0, 17) + (valid[17] === '1' ? '2' : '1');
    const before = await db.query('SELECT count(*) FROM identity.patients');
    const answer = await api.call('POST', '/v1/patients', {
      token: tokens['lufeng.midwife'],
      body: { nationalId: wrong, name: '王芳' },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.details[0].fieldViolations.map((v: { field: string }) => v.field)).toEqual(['nationalId']);
    expect((await db.query('SELECT count(*) FROM identity.patients')).rows).toEqual(before.rows);
  });

  it('gives one patient for two registrations of the same ID, even concurrently', async () => {
    const nationalId = nextFemaleId('1990-07-01');
    const answers = await Promise.all([
      api.call('POST', '/v1/patients', { token: tokens['lufeng.midwife'], body: { nationalId, name: '张丽' } }),
      api.call('POST', '/v1/patients', { token: tokens['pref.clinician'], body: { nationalId, name: '张丽' } }),
      api.call('POST', '/v1/patients', { token: tokens['shuangbai.midwife'], body: { nationalId, name: '张丽' } }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(new Set(answers.map((a) => a.body.patient.id)).size).toBe(1);
    expect(answers.filter((a) => a.body.outcome === 'REGISTRATION_OUTCOME_CREATED')).toHaveLength(1);
    const { rows } = await db.query('SELECT count(*)::int AS n FROM identity.patients WHERE national_id = $1', [
      nationalId,
    ]);
    expect(rows[0].n).toBe(1);
  });

  it('replays a registration retried with the same Idempotency-Key, and refuses the key with another body', async () => {
    const key = `reg-${randomBytes(6).toString('hex')}`;
    const body = { nationalId: nextFemaleId(), name: '罗敏' };
    const first = await api.call('POST', '/v1/patients', {
      token: tokens['lufeng.midwife'],
      body,
      headers: { 'idempotency-key': key },
    });
    const again = await api.call('POST', '/v1/patients', {
      token: tokens['lufeng.midwife'],
      body,
      headers: { 'idempotency-key': key },
    });
    expect(again.body).toEqual(first.body);
    const other = await api.call('POST', '/v1/patients', {
      token: tokens['lufeng.midwife'],
      body: { ...body, name: '罗敏敏' },
      headers: { 'idempotency-key': key },
    });
    expect(other.status).toBe(400);
    expect(other.body.details[0].fieldViolations[0].field).toBe('Idempotency-Key');
  });

  it.each([
    ['traditional and simplified characters', '陳麗華', '陈丽华'],
    ['homophones', '李梅', '李玫'],
    ['pinyin typed for the name', '王秀英', 'Wang Xiuying'],
    ['a Yi name in different Han transliterations', '阿依莫', '阿衣莫'],
    ['one wrong character', '杨春燕', '杨春艳'],
  ])('sends %s to the review queue, never merging', async (_label, first, second) => {
    const birthDate = `19${80 + Math.floor(Math.random() * 19)}-0${1 + Math.floor(Math.random() * 9)}-1${Math.floor(Math.random() * 9)}`;
    const a = await api.call('POST', '/v1/patients', {
      token: tokens['lufeng.midwife'],
      body: { name: first, birthDate, sex: 'SEX_FEMALE' },
    });
    const b = await api.call('POST', '/v1/patients', {
      token: tokens['shuangbai.midwife'],
      body: { name: second, birthDate, sex: 'SEX_FEMALE' },
    });
    expect(a.status).toBe(200);
    expect(b.body.outcome).toBe('REGISTRATION_OUTCOME_CREATED_FOR_REVIEW');
    expect(b.body.patient.id).not.toBe(a.body.patient.id);
    const queue = await api.call('GET', '/v1/patient-matches?pageSize=100', { token: tokens['lufeng.admin'] });
    const match = queue.body.matches.find((m: any) => m.id === b.body.matchIds[0]);
    expect(match).toBeDefined();
    expect([match.patient.id, match.candidate.id].sort()).toEqual([a.body.patient.id, b.body.patient.id].sort());
    const { rows } = await db.query('SELECT merged_into FROM identity.patients WHERE id = ANY($1)', [
      [a.body.patient.id, b.body.patient.id],
    ]);
    expect(rows.every((row) => row.merged_into === null)).toBe(true);
  });

  it('merges a reviewed pair: the old id keeps resolving to the survivor; rejecting leaves both', async () => {
    const a = await api.call('POST', '/v1/patients', {
      token: tokens['lufeng.midwife'],
      body: { name: '普秀兰', birthDate: '1993-05-17', sex: 'SEX_FEMALE' },
    });
    const b = await api.call('POST', '/v1/patients', {
      token: tokens['lufeng.midwife'],
      body: { name: '普秀蘭', birthDate: '1993-05-17', sex: 'SEX_FEMALE' },
    });
    const matchId = b.body.matchIds[0];
    const merged = await api.call('POST', `/v1/patient-matches/${matchId}/merge`, {
      token: tokens['lufeng.admin'],
      body: { survivorId: a.body.patient.id, reason: 'same woman, seen at both clinics' },
    });
    expect(merged.status).toBe(200);
    expect(merged.body.match.status).toBe('merged');
    const viaOld = await api.call('GET', `/v1/patients/${b.body.patient.id}`, {
      token: tokens['lufeng.clinician'],
      headers: treatment,
    });
    expect(viaOld.body.patient.id).toBe(a.body.patient.id);
    const twice = await api.call('POST', `/v1/patient-matches/${matchId}/reject`, {
      token: tokens['lufeng.admin'],
      body: { reason: 'changed my mind' },
    });
    expect(twice.status).toBe(409);
  });

  it('links a newborn to the mother by mother ID, birth date, order and certificate, once', async () => {
    const motherId = nextFemaleId('1994-02-02');
    const mother = await newPatient('lufeng.clinician', { nationalId: motherId, name: '李芳' });
    const newborn = {
      motherNationalId: motherId,
      birthDate: '2026-11-20',
      birthOrder: 1,
      birthCertificateNumber: 'O530012345',
    };
    const child = await api.call('POST', '/v1/patients', {
      token: tokens['lufeng.clinician'],
      body: { name: '李芳之女', sex: 'SEX_FEMALE', newborn },
    });
    expect(child.status).toBe(200);
    expect(child.body.patient.guardianPatientIds).toEqual([mother.patient.id]);
    const again = await api.call('POST', '/v1/patients', {
      token: tokens['pref.clinician'],
      body: { name: '李芳之女', sex: 'SEX_FEMALE', newborn },
    });
    expect(again.body.outcome).toBe('REGISTRATION_OUTCOME_MATCHED');
    expect(again.body.patient.id).toBe(child.body.patient.id);
    const mistyped = await api.call('POST', '/v1/patients', {
      token: tokens['pref.clinician'],
      body: { name: '李芳之女', newborn: { ...newborn, birthCertificateNumber: 'O530012346' } },
    });
    expect(mistyped.status).toBe(409);
  });
});

describe('authorization matrix (identity routes)', () => {
  let ownPatient: string;
  let resident: { patientId: string; token: string };
  let otherResident: { patientId: string; token: string };

  beforeAll(async () => {
    resident = await newResident();
    otherResident = await newResident();
    ownPatient = resident.patientId;
  });

  type Case = [
    string,
    string,
    string,
    () => { token?: string; body?: unknown; headers?: Record<string, string> },
    number,
  ];
  const as =
    (user: string, extra: { body?: unknown; headers?: Record<string, string> } = {}) =>
    () => ({ token: tokens[user], ...extra });
  const anonymous = () => ({});

  const cases = (): Case[] => {
    const lufeng = institutions['CX-LFS-MCH'] as string;
    const pref = institutions['CX-PREF-MCH'] as string;
    const newStaff = () => ({
      body: {
        username: `s.${randomBytes(4).toString('hex')}`,
        displayName: 'New nurse',
        roles: ['ROLE_MIDWIFE'],
        password: 'a long enough passphrase',
      },
    });
    return [
      ['institutions', 'GET', '/v1/institutions?pageSize=1', anonymous, 200],
      ['me', 'GET', '/v1/me', anonymous, 401],
      ['me', 'GET', '/v1/me', as('lufeng.analyst'), 200],
      [
        'create staff',
        'POST',
        `/v1/institutions/${lufeng}/staff`,
        () => ({ token: tokens['lufeng.admin'], ...newStaff() }),
        200,
      ],
      [
        'create staff',
        'POST',
        `/v1/institutions/${lufeng}/staff`,
        () => ({ token: tokens['pref.admin'], ...newStaff() }),
        403,
      ],
      [
        'create staff',
        'POST',
        `/v1/institutions/${lufeng}/staff`,
        () => ({ token: tokens['lufeng.clinician'], ...newStaff() }),
        403,
      ],
      [
        'create staff',
        'POST',
        `/v1/institutions/${lufeng}/staff`,
        () => ({ token: tokens['platform.admin'], ...newStaff() }),
        403,
      ],
      ['create staff', 'POST', `/v1/institutions/${lufeng}/staff`, () => newStaff(), 401],
      ['list staff', 'GET', `/v1/institutions/${pref}/staff`, as('pref.admin'), 200],
      ['list staff', 'GET', `/v1/institutions/${pref}/staff`, as('lufeng.admin'), 403],
      ['list staff', 'GET', `/v1/institutions/${pref}/staff`, () => ({ token: resident.token }), 403],
      [
        'register',
        'POST',
        '/v1/patients',
        as('lufeng.midwife', { body: { nationalId: nextFemaleId(), name: '甲' } }),
        200,
      ],
      [
        'register',
        'POST',
        '/v1/patients',
        as('pref.clinician', { body: { nationalId: nextFemaleId(), name: '乙' } }),
        200,
      ],
      [
        'register',
        'POST',
        '/v1/patients',
        as('lufeng.admin', { body: { nationalId: nextFemaleId(), name: '丙' } }),
        403,
      ],
      [
        'register',
        'POST',
        '/v1/patients',
        as('pref.analyst', { body: { nationalId: nextFemaleId(), name: '丁' } }),
        403,
      ],
      [
        'register',
        'POST',
        '/v1/patients',
        as('platform.admin', { body: { nationalId: nextFemaleId(), name: '戊' } }),
        403,
      ],
      [
        'register',
        'POST',
        '/v1/patients',
        () => ({ token: resident.token, body: { nationalId: nextFemaleId(), name: '己' } }),
        403,
      ],
      ['read patient', 'GET', `/v1/patients/${ownPatient}`, as('shuangbai.midwife', { headers: treatment }), 200],
      ['read patient', 'GET', `/v1/patients/${ownPatient}`, as('pref.clinician', { headers: treatment }), 200],
      ['read patient', 'GET', `/v1/patients/${ownPatient}`, as('pref.clinician'), 403],
      ['read patient', 'GET', `/v1/patients/${ownPatient}`, () => ({ token: resident.token }), 200],
      ['read patient', 'GET', `/v1/patients/${ownPatient}`, () => ({ token: otherResident.token }), 403],
      ['read patient', 'GET', `/v1/patients/${ownPatient}`, as('lufeng.analyst', { headers: treatment }), 403],
      ['read patient', 'GET', `/v1/patients/${ownPatient}`, as('lufeng.admin', { headers: treatment }), 403],
      ['read patient', 'GET', `/v1/patients/${ownPatient}`, as('platform.admin', { headers: treatment }), 403],
      ['read patient', 'GET', `/v1/patients/${ownPatient}`, anonymous, 401],
      ['search', 'GET', '/v1/patients?name=%E6%B5%8B%E8%AF%95', as('lufeng.midwife', { headers: treatment }), 200],
      ['search', 'GET', '/v1/patients?name=%E6%B5%8B%E8%AF%95', as('lufeng.analyst', { headers: treatment }), 403],
      ['search', 'GET', '/v1/patients?name=%E6%B5%8B%E8%AF%95', () => ({ token: resident.token }), 403],
      ['audit', 'GET', `/v1/patients/${ownPatient}/audit`, () => ({ token: resident.token }), 200],
      ['audit', 'GET', `/v1/patients/${ownPatient}/audit`, () => ({ token: otherResident.token }), 403],
      ['audit', 'GET', `/v1/patients/${ownPatient}/audit`, as('lufeng.admin'), 200],
      ['audit', 'GET', `/v1/patients/${ownPatient}/audit`, as('platform.admin'), 200],
      ['audit', 'GET', `/v1/patients/${ownPatient}/audit`, as('lufeng.clinician'), 403],
      ['audit', 'GET', `/v1/patients/${ownPatient}/audit`, as('pref.analyst'), 403],
      ['matches', 'GET', '/v1/patient-matches', as('lufeng.admin'), 200],
      ['matches', 'GET', '/v1/patient-matches', as('pref.clinician'), 200],
      ['matches', 'GET', '/v1/patient-matches', as('lufeng.analyst'), 403],
      ['matches', 'GET', '/v1/patient-matches', () => ({ token: resident.token }), 403],
      [
        'activation code',
        'POST',
        `/v1/patients/${ownPatient}/activation-codes`,
        as('lufeng.midwife', { body: {} }),
        200,
      ],
      ['activation code', 'POST', `/v1/patients/${ownPatient}/activation-codes`, as('lufeng.admin', { body: {} }), 403],
      [
        'activation code',
        'POST',
        `/v1/patients/${ownPatient}/activation-codes`,
        () => ({ token: resident.token, body: {} }),
        403,
      ],
      [
        'guardian',
        'POST',
        `/v1/patients/${ownPatient}/guardians`,
        () => ({
          token: resident.token,
          body: { guardianPatientId: otherResident.patientId, relationship: 'guardian' },
        }),
        403,
      ],
      [
        'guardian',
        'POST',
        `/v1/patients/${ownPatient}/guardians`,
        as('lufeng.analyst', { body: { guardianPatientId: otherResident.patientId, relationship: 'guardian' } }),
        403,
      ],
    ];
  };

  it('answers every role × route as the policy says', async () => {
    const failures: string[] = [];
    for (const [label, method, route, make, expected] of cases()) {
      const answer = await api.call(method, route, make());
      if (answer.status !== expected)
        failures.push(
          `${label} ${method} ${route} as ${JSON.stringify(make().token ? 'token' : 'anonymous')}: ${answer.status} (expected ${expected}) ${JSON.stringify(answer.body)}`,
        );
    }
    expect(failures).toEqual([]);
  });

  it('gives the same answers for every row when identity is called straight over gRPC, without the gateway', async () => {
    // The request each HTTP row stands for, built with the gateway's own route table and transcoding.
    const grpc = new GrpcRouteCaller(gatewayRoutes(), { identity: platform.serviceAddresses.identity as string });
    const failures: string[] = [];
    for (const [label, verb, target, make, expected] of cases()) {
      const code = await grpc.call(verb, target, make());
      if (httpStatusForGrpcCode(code) !== expected)
        failures.push(`${label} ${verb} ${target}: gRPC ${code} (expected HTTP ${expected})`);
    }
    grpc.close();
    expect(failures).toEqual([]);
  });

  it('shows a resident her linked child, and only then', async () => {
    const { patient: child } = await newPatient('lufeng.clinician', {
      nationalId: '',
      name: '小宝',
      birthDate: '2026-10-01',
      sex: 'SEX_MALE',
    });
    const before = await api.call('GET', `/v1/patients/${child.id}`, { token: resident.token });
    expect(before.status).toBe(403);
    const linked = await api.call('POST', `/v1/patients/${child.id}/guardians`, {
      token: tokens['lufeng.clinician'],
      headers: treatment,
      body: { guardianPatientId: resident.patientId, relationship: 'mother' },
    });
    expect(linked.status).toBe(200);
    const { rows } = await db.query(`SELECT username FROM identity.accounts WHERE patient_id = $1`, [
      resident.patientId,
    ]);
    const session = await api.call('POST', '/v1/auth/login', {
      body: { username: rows[0].username, password: 'a resident passphrase' },
    });
    const after = await api.call('GET', `/v1/patients/${child.id}`, { token: session.body.tokens.accessToken });
    expect(after.status).toBe(200);
  });

  it('holds the same denials over gRPC straight to identity', async () => {
    const client = createChannelClient(platform.serviceAddresses.identity as string);
    const call = (token: string, purpose?: string) => {
      const metadata = new Metadata();
      metadata.set('authorization', `Bearer ${token}`);
      if (purpose) metadata.set('x-mch-purpose', purpose);
      return callUnary(client, IdentityServiceService.getPatient, { id: ownPatient }, { metadata }).then(
        () => status.OK,
        (e: { code: number }) => e.code,
      );
    };
    expect(await call(otherResident.token)).toBe(status.PERMISSION_DENIED);
    expect(await call(tokens['lufeng.analyst'] as string, 'treatment')).toBe(status.PERMISSION_DENIED);
    expect(await call(tokens['pref.clinician'] as string)).toBe(status.PERMISSION_DENIED);
    expect(await call(tokens['pref.clinician'] as string, 'treatment')).toBe(status.OK);
    expect(await call(resident.token)).toBe(status.OK);
    client.close();
  });

  it("keeps every access, allowed or denied, in the patient's audit trail, which no one can alter", async () => {
    const trail = await api.call('GET', `/v1/patients/${ownPatient}/audit?pageSize=100`, {
      token: tokens['lufeng.admin'],
    });
    expect(trail.status).toBe(200);
    const actions = trail.body.events.map((e: any) => `${e.action}:${e.outcome}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        'patient.register:allowed',
        'patient.read:allowed',
        'patient.read:denied',
        'patient.activation-code:allowed',
        'resident.activate:allowed',
        'patient.search:allowed',
      ]),
    );
    const denied = trail.body.events.find((e: any) => e.outcome === 'denied');
    expect(denied.reason).toBeTruthy();
    for (const statement of [
      'UPDATE identity.audit_events SET reason = $1 WHERE patient_id = $1',
      'DELETE FROM identity.audit_events WHERE patient_id = $1',
    ]) {
      await expect(db.query(statement, [ownPatient])).rejects.toThrow(/append-only/);
    }
    await expect(db.query('TRUNCATE identity.audit_events')).rejects.toThrow(/append-only/);
  });
});
