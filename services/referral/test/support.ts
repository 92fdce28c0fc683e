// Test support for referral through the gateway: demo logins, institution ids by code, a pregnancy graded red or
// yellow by the Lufeng county clinician for a woman registered at the Guangtong township centre.
import { Api, HttpAnswer, nextFemaleId, fieldsOf, ok } from '../../identity/test/support';
export { fieldsOf, ok };

export const DAY = 86_400_000;
const todayChina = (): string => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
export const thisMonthInChina = (): string => todayChina().slice(0, 7);
const daysBefore = (days: number): string =>
  new Date(Date.parse(`${todayChina()}T00:00:00Z`) - days * DAY).toISOString().slice(0, 10);

/** Polls `probe` until it finds something (bounded: a missing effect fails the test, naming it). */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, attempts = 240): Promise<T> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const found = await probe();
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`never happened: ${what}`);
}

export class ReferralWorld {
  readonly api: Api;
  readonly tokens: Record<string, string> = {};
  readonly institutions: Record<string, string> = {};

  constructor(gatewayUrl: string) {
    this.api = new Api(gatewayUrl);
  }

  async login(users: readonly string[]): Promise<void> {
    for (const user of users) this.tokens[user] = (await this.api.login(user)).accessToken;
    const listed = await ok(this.api.call('GET', '/v1/institutions?pageSize=200'));
    for (const institution of listed.institutions) this.institutions[institution.code] = institution.id;
  }

  institution(code: string): string {
    const id = this.institutions[code];
    if (!id) throw new Error(`no institution ${code}`);
    return id;
  }

  /** A call as `user`, stating purpose `referral` unless the headers say otherwise. */
  call(
    user: string,
    method: string,
    route: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<HttpAnswer> {
    return this.api.call(method, route, {
      token: this.tokens[user],
      body,
      headers: { 'x-mch-purpose': 'referral', ...headers },
    });
  }

  /** A woman registered at the Guangtong township centre, graded `colour` by the Lufeng county clinician. */
  async gradedPregnancy(colour: 'red' | 'yellow'): Promise<{ patientId: string; pregnancyId: string }> {
    const treatment = { 'x-mch-purpose': 'treatment' };
    // Age 38 is yellow by the national rules; red comes from a visit with severe pre-eclampsia and hypertensive heart disease.
    const birth = colour === 'yellow' ? '1988-03-08' : '1996-04-10';
    const patient = await ok(
      this.call(
        'lufeng.midwife',
        'POST',
        '/v1/patients',
        { nationalId: nextFemaleId(birth), name: '王桂英', countyCode: 'lufeng' },
        treatment,
      ),
    );
    const patientId = patient.patient.id as string;
    const registered = await ok(
      this.call(
        'lufeng.midwife',
        'POST',
        `/v1/patients/${patientId}/pregnancies`,
        { lmp: daysBefore(220), registeredOn: daysBefore(150), prePregnancyWeightKg: 55, heightCm: 158 },
        treatment,
      ),
    );
    const pregnancyId = registered.pregnancy.id as string;
    if (colour === 'red') {
      await ok(
        this.call(
          'lufeng.midwife',
          'POST',
          `/v1/pregnancies/${pregnancyId}/visits`,
          {
            visitDate: daysBefore(1),
            systolicBp: 172,
            diastolicBp: 114,
            proteinuria: 'PROTEINURIA_PLUS_2',
            findings: ['hypertensive_heart_disease'],
          },
          treatment,
        ),
      );
    }
    const graded = await ok(
      this.call('lufeng.clinician', 'POST', `/v1/pregnancies/${pregnancyId}/risk-assessments`, {}, treatment),
    );
    if (graded.assessment.colour !== colour) throw new Error(`graded ${graded.assessment.colour}, not ${colour}`);
    return { patientId, pregnancyId };
  }
}
