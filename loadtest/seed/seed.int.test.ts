// The data generator against the shared test platform: a small population goes in through the bulk paths and reads
// back through the public gateway as the single paths would have left it; a rerun adds nothing; bad batches name the
// field and write nothing; only the seeder service and platform admins may call the bulk paths.
import { Metadata, status } from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { deriveServiceCredential, ServiceIdentity } from '../../services/common/src/auth/service-identity';
import { fieldViolationsOf, readStatusDetails } from '../../services/common/src/errors';
import { callUnary, createChannelClient } from '../../services/common/src/grpc/client';
import { IdentityServiceService, Sex } from '../../services/common/src/gen/mch/identity/v1/identity';
import { ImportedPregnancy, RecordsServiceService } from '../../services/common/src/gen/mch/records/v1/records';
import {
  ReferralDirection,
  ReferralServiceService,
  ReferralStatus,
  ReferralUrgency,
} from '../../services/common/src/gen/mch/referral/v1/referral';
import {
  AppointmentStatus,
  SchedulingServiceService,
  ServiceType,
} from '../../services/common/src/gen/mch/scheduling/v1/scheduling';
import { Api, residentId } from '../../services/identity/test/support';
import { loadOrCreateCredentials } from '../../services/platform/src/secrets';
import { readTestPlatform } from '../../services/platform/test/platform-env';
import { family, Family } from './population';
import { seed, SeedOptions, SeedResult } from './seed';

const platform = readTestPlatform();
const api = new Api(platform.gatewayUrl);
const addresses = {
  identity: platform.serviceAddresses['identity'] as string,
  records: platform.serviceAddresses['records'] as string,
  scheduling: platform.serviceAddresses['scheduling'] as string,
  referral: platform.serviceAddresses['referral'] as string,
};
const { serviceSecret } = loadOrCreateCredentials(platform.dataDir);
const options: SeedOptions = {
  scale: 0.002,
  seed: 'int-test',
  batch: 100,
  concurrency: 2,
  addresses,
  credential: deriveServiceCredential(serviceSecret, 'seeder'),
};
const clients = {
  identity: createChannelClient(addresses.identity),
  records: createChannelClient(addresses.records),
  scheduling: createChannelClient(addresses.scheduling),
  referral: createChannelClient(addresses.referral),
};
const seeder = new ServiceIdentity({
  serviceName: 'seeder',
  credential: options.credential as string,
  identityAddress: addresses.identity,
});

let first: SeedResult;
let families: Family[];
let clinician: string;

async function asSeeder(): Promise<Metadata> {
  return seeder.metadata({ idempotencyKey: randomUUID() });
}

async function refusal(promise: Promise<unknown>): Promise<{ code: number; fields: string[] }> {
  try {
    await promise;
    return { code: status.OK, fields: [] };
  } catch (error) {
    // The fields from the google.rpc.BadRequest detail, as the gateway reads them.
    const fields = fieldViolationsOf(readStatusDetails((error as { metadata?: Metadata }).metadata)).map(
      (violation) => violation.field,
    );
    return { code: (error as { code: number }).code, fields };
  }
}

async function patientIdOf(nationalId: string): Promise<string> {
  const answer = await api.call('GET', `/v1/patients?nationalId=${nationalId}`, {
    token: clinician,
    headers: { 'x-mch-purpose': 'treatment' },
  });
  expect(answer.status).toBe(200);
  expect(answer.body.patients).toHaveLength(1);
  return answer.body.patients[0].id as string;
}

beforeAll(async () => {
  clinician = (await api.login('lufeng.clinician')).accessToken;
  first = await seed(options);
  families = Array.from({ length: first.plan.families }, (_, i) => family(first.plan, i));
}, 120_000);

afterAll(() => {
  seeder.close();
  for (const client of Object.values(clients)) client.close();
});

describe('seeding a small prefecture', () => {
  it('writes what the population holds, as each service reports it', () => {
    const sum = (pick: (f: Family) => number): number => families.reduce((n, f) => n + pick(f), 0);
    expect(first.counts.patientsCreated).toBe(sum((f) => 1 + f.children.length));
    expect(first.counts.pregnancies).toBe(first.plan.pregnancies);
    expect(first.counts.visits).toBe(sum((f) => f.pregnancy?.visits.length ?? 0));
    expect(first.counts.riskGrades).toBe(sum((f) => (f.pregnancy?.gradedAt ? 1 : 0)));
    expect(first.counts.children).toBe(sum((f) => f.children.length));
    expect(first.counts.checks).toBe(sum((f) => f.children.reduce((n, c) => n + c.checks.length, 0)));
    expect(first.counts.immunizations).toBe(sum((f) => f.children.reduce((n, c) => n + c.doses.length, 0)));
    expect(first.counts.guardianLinks).toBe(first.counts.children);
    expect(first.counts.referralsCreated).toBe(sum((f) => f.referrals.length));
    expect(first.counts.appointmentsCreated + first.counts.appointmentsUnplaced).toBe(
      sum((f) => f.appointments.length),
    );
    expect(first.counts.appointmentsCreated).toBeGreaterThan(0);
  });

  it('reads a seeded pregnancy back through the gateway with its visits and confirmed colour', async () => {
    const graded = families.find((f) => f.pregnancy?.gradedAt && f.pregnancy.visits.length >= 2) as Family;
    const patientId = await patientIdOf(graded.mother.nationalId);
    const answer = await api.call('GET', `/v1/patients/${patientId}/record`, {
      token: clinician,
      headers: { 'x-mch-purpose': 'treatment' },
    });
    expect({ status: answer.status, body: answer.status === 200 ? undefined : answer.body }).toEqual({
      status: 200,
      body: undefined,
    });
    const record = answer.body.record;
    expect(record.version).toBe(1);
    const [pregnancy] = record.pregnancies;
    expect(pregnancy.lmp).toBe(graded.pregnancy?.lmp);
    expect(pregnancy.visits).toHaveLength(graded.pregnancy!.visits.length);
    expect([
      'RISK_COLOUR_GREEN',
      'RISK_COLOUR_YELLOW',
      'RISK_COLOUR_ORANGE',
      'RISK_COLOUR_RED',
      'green',
      'yellow',
      'orange',
      'red',
    ]).toContain(pregnancy.risk.colour);
    const history = await api.call('GET', `/v1/patients/${patientId}/record/history`, {
      token: clinician,
      headers: { 'x-mch-purpose': 'treatment' },
    });
    expect(history.body.versions.map((v: { change: string }) => v.change)).toEqual(['import']);
  });

  it('reads a seeded child back with its checks, growth and doses', async () => {
    const withDoses = families.flatMap((f) => f.children).find((c) => c.doses.length >= 5 && c.checks.length >= 3);
    expect(withDoses).toBeDefined();
    const patientId = await patientIdOf(withDoses!.patient.nationalId);
    const record = (
      await api.call('GET', `/v1/patients/${patientId}/record`, {
        token: clinician,
        headers: { 'x-mch-purpose': 'treatment' },
      })
    ).body.record;
    expect(record.child.immunizations).toHaveLength(withDoses!.doses.length);
    expect(record.child.checks).toHaveLength(withDoses!.checks.length);
    expect(record.child.growth.length).toBe(withDoses!.checks.length);
    expect(record.child.growth[0].zScores.length).toBeGreaterThan(0);
  });

  it('adds nothing when the same seed runs again, even as other batches under other keys', async () => {
    const again = await seed({ ...options, batch: 77 });
    expect(again.counts.patientsCreated).toBe(0);
    expect(again.counts.patientsMatched).toBe(first.counts.patientsCreated);
    expect(again.counts.pregnancies + again.counts.children).toBe(0);
    expect(again.counts.recordsSkipped).toBe(first.plan.pregnancies + first.counts.children);
    expect(again.counts.appointmentsCreated).toBe(0);
    expect(again.counts.referralsCreated).toBe(0);
    expect(again.counts.referralsExisting).toBe(first.counts.referralsCreated);
  }, 120_000);
});

describe('the bulk paths refuse', () => {
  const institutionOf = (): string => families[0]?.mother.institutionId as string;

  it('a bad patient with the field named, registering none of the batch', async () => {
    const good = {
      nationalId: residentId('1990-01-01', 2, '530999'),
      name: '张秀英',
      sex: Sex.SEX_FEMALE,
      birthDate: '',
      phone: '',
      countyCode: 'lufeng',
      address: '',
      registeredAtInstitutionId: institutionOf(),
      motherNationalId: '',
    };
    const bad = { ...good, nationalId: `${good.nationalId.slice(0, 17)}${good.nationalId.endsWith('0') ? '1' : '0'}` };
    const answer = await refusal(
      callUnary(
        clients.identity,
        IdentityServiceService.importPatients,
        { patients: [good, bad] },
        { metadata: await asSeeder() },
      ),
    );
    expect(answer.code).toBe(status.INVALID_ARGUMENT);
    expect(answer.fields).toContain('patients[1].nationalId');
    const search = await api.call('GET', `/v1/patients?nationalId=${good.nationalId}`, {
      token: clinician,
      headers: { 'x-mch-purpose': 'treatment' },
    });
    expect(search.body.patients ?? []).toHaveLength(0);
  });

  it('a visit before the LMP with the field named, writing no record of the batch', async () => {
    const metadata = await asSeeder();
    const registered = await callUnary(
      clients.identity,
      IdentityServiceService.importPatients,
      {
        patients: [residentId('1992-03-04', 2, '530998'), residentId('1993-04-05', 2, '530998')].map((nationalId) => ({
          nationalId,
          name: '李梅',
          sex: Sex.SEX_FEMALE,
          birthDate: '',
          phone: '',
          countyCode: 'lufeng',
          address: '',
          registeredAtInstitutionId: institutionOf(),
          motherNationalId: '',
        })),
      },
      { metadata },
    );
    const [a, b] = registered.patientIds as [string, string];
    // Registered at 50 days, LMP 100 days ago: a visit 200 days ago is before the LMP.
    const pregnancy = (patientId: string, visitDate: string): ImportedPregnancy =>
      ImportedPregnancy.fromPartial({
        patientId,
        countyCode: 'lufeng',
        maternalBirthDate: '1992-03-04',
        institutionId: institutionOf(),
        lmp: addDaysTo(first.plan.today, -100),
        registeredOn: addDaysTo(first.plan.today, -50),
        visits: [{ institutionId: institutionOf(), visitDate, systolicBp: 110, diastolicBp: 70, proteinuria: 1 }],
      });
    const answer = await refusal(
      callUnary(
        clients.records,
        RecordsServiceService.importRecords,
        {
          pregnancies: [
            pregnancy(a, addDaysTo(first.plan.today, -40)),
            pregnancy(b, addDaysTo(first.plan.today, -200)),
          ],
          children: [],
        },
        { metadata: await asSeeder() },
      ),
    );
    expect(answer.code).toBe(status.INVALID_ARGUMENT);
    expect(answer.fields).toContain('pregnancies[1].visits[0].visitDate');
    const record = (
      await api.call('GET', `/v1/patients/${a}/record`, { token: clinician, headers: { 'x-mch-purpose': 'treatment' } })
    ).body.record;
    expect(record.pregnancies ?? []).toHaveLength(0);
  });

  it('an appointment off the schedule and a referral path the state machine forbids, naming the field', async () => {
    const patientId = await patientIdOf(families[0]?.mother.nationalId as string);
    const offSlot = await refusal(
      callUnary(
        clients.scheduling,
        SchedulingServiceService.importAppointments,
        {
          appointments: [
            {
              id: randomUUID(),
              patientId,
              institutionId: institutionOf(),
              service: ServiceType.SERVICE_TYPE_ANTENATAL_CHECK,
              startsAt: new Date(Date.parse(`${first.plan.today}T03:07:00+08:00`)),
              status: AppointmentStatus.APPOINTMENT_STATUS_FULFILLED,
              countyCode: 'lufeng',
            },
          ],
        },
        { metadata: await asSeeder() },
      ),
    );
    expect(offSlot.code).toBe(status.INVALID_ARGUMENT);
    expect(offSlot.fields).toContain('appointments[0].startsAt');
    const county = first.plan.institutions.find((i) => i.level === 'county') as { id: string };
    const skipped = await refusal(
      callUnary(
        clients.referral,
        ReferralServiceService.importReferrals,
        {
          referrals: [
            {
              id: randomUUID(),
              patientId,
              patientCountyCode: 'lufeng',
              direction: ReferralDirection.REFERRAL_DIRECTION_UP,
              urgency: ReferralUrgency.REFERRAL_URGENCY_ROUTINE,
              riskColour: '',
              fromInstitutionId: institutionOf(),
              toInstitutionId: county.id,
              reason: 'high-risk pregnancy',
              createdAt: new Date(Date.now() - 5 * 86_400_000),
              path: [ReferralStatus.REFERRAL_STATUS_COMPLETED],
              statusReason: '',
              hoursPerStep: 2,
            },
          ],
        },
        { metadata: await asSeeder() },
      ),
    );
    expect(skipped.code).toBe(status.INVALID_ARGUMENT);
    expect(skipped.fields).toContain('referrals[0].path[0]');
  });

  it('callers other than the seeder service and platform admins', async () => {
    const batch = {
      patients: [
        {
          nationalId: residentId('1990-01-01', 2, '530997'),
          name: '王芳',
          sex: Sex.SEX_FEMALE,
          birthDate: '',
          phone: '',
          countyCode: 'lufeng',
          address: '',
          registeredAtInstitutionId: '',
          motherNationalId: '',
        },
      ],
    };
    const asClinician = new Metadata();
    asClinician.set('authorization', `Bearer ${clinician}`);
    expect(
      (
        await refusal(
          callUnary(clients.identity, IdentityServiceService.importPatients, batch, { metadata: asClinician }),
        )
      ).code,
    ).toBe(status.PERMISSION_DENIED);
    const scheduling = new ServiceIdentity({
      serviceName: 'scheduling',
      credential: deriveServiceCredential(serviceSecret, 'scheduling'),
      identityAddress: addresses.identity,
    });
    try {
      expect(
        (
          await refusal(
            callUnary(
              clients.records,
              RecordsServiceService.importRecords,
              { pregnancies: [], children: [] },
              { metadata: await scheduling.metadata() },
            ),
          )
        ).code,
      ).toBe(status.PERMISSION_DENIED);
    } finally {
      scheduling.close();
    }
    expect((await refusal(callUnary(clients.identity, IdentityServiceService.importPatients, batch))).code).toBe(
      status.UNAUTHENTICATED,
    );
    // No HTTP route reaches a bulk path.
    expect((await api.call('POST', '/v1/patients:import', { token: clinician, body: batch })).status).toBe(404);
  });
});

function addDaysTo(iso: string, days: number): string {
  return new Date(Date.parse(`${iso}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
