// The data generator's driver: makes the population family range by family range and sends each range to the
// owning services' bulk paths (identity first, for the patient ids; then records, scheduling and referral side by
// side), with at most `concurrency` ranges in flight, so memory stays bounded whatever the scale. Every call carries
// an idempotency key derived from the seed, the scale and the range: a rerun replays finished ranges for free, and
// a progress file lets it skip them without calling at all.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Metadata } from '@grpc/grpc-js';
import { deriveServiceCredential, ServiceIdentity } from '../../services/common/src/auth/service-identity';
import { callUnary, createChannelClient } from '../../services/common/src/grpc/client';
import { METADATA } from '../../services/common/src/grpc/context';
import {
  IdentityServiceService,
  ImportPatientsResponse,
  InstitutionLevel,
  Sex,
} from '../../services/common/src/gen/mch/identity/v1/identity';
import {
  ChildFeeding,
  ChildSex,
  ImportRecordsResponse,
  MilestoneStatus,
  Proteinuria,
  RecordsServiceService,
} from '../../services/common/src/gen/mch/records/v1/records';
import {
  ImportReferralsResponse,
  ReferralDirection,
  ReferralServiceService,
  ReferralStatus,
  ReferralUrgency,
} from '../../services/common/src/gen/mch/referral/v1/referral';
import {
  AppointmentStatus,
  ImportAppointmentsResponse,
  SchedulingServiceService,
  ServiceType,
} from '../../services/common/src/gen/mch/scheduling/v1/scheduling';
import { expandSlots, ScheduleRules, validateSchedule } from '../../services/scheduling/src/domain/schedule';
import { AppointmentSpec, dayMs, DAY_MS, Family, family, Institution, isoDay, Plan, planFor } from './population';

export interface SeedOptions {
  readonly scale: number;
  readonly seed: string;
  /** Families per range (one call to each service). */
  readonly batch: number;
  readonly concurrency: number;
  readonly addresses: {
    readonly identity: string;
    readonly records: string;
    readonly scheduling: string;
    readonly referral: string;
  };
  /** The seeder's credential (derived from the platform's service secret), else a platform admin's login. */
  readonly credential?: string;
  readonly adminLogin?: { readonly username: string; readonly password: string };
  /** Where finished ranges are noted (skipped on a rerun); none: every range is sent again (and replayed). */
  readonly progressFile?: string;
  /** The day the population is made for (a rerun must use the same day to replay the same batches). */
  readonly today?: string;
  readonly onProgress?: (progress: SeedProgress) => void;
}

export interface SeedCounts {
  patientsCreated: number;
  patientsMatched: number;
  guardianLinks: number;
  pregnancies: number;
  visits: number;
  riskGrades: number;
  highRiskCases: number;
  children: number;
  checks: number;
  growthMeasurements: number;
  immunizations: number;
  recordsSkipped: number;
  appointmentsCreated: number;
  appointmentsExisting: number;
  appointmentsUnplaced: number;
  referralsCreated: number;
  referralsExisting: number;
  referralTransitions: number;
}

export interface SeedProgress {
  readonly familiesDone: number;
  readonly families: number;
  readonly rows: number;
  readonly elapsedMs: number;
  readonly skippedRanges: number;
}

export interface SeedResult {
  readonly plan: Plan;
  readonly counts: SeedCounts;
  readonly rows: number;
  readonly elapsedMs: number;
  /** National IDs of a few seeded people, for checks: the first pregnant woman and the first mother's first child. */
  readonly samples: { readonly pregnantNationalId: string; readonly childNationalId: string | undefined };
}

const emptyCounts = (): SeedCounts => ({
  patientsCreated: 0,
  patientsMatched: 0,
  guardianLinks: 0,
  pregnancies: 0,
  visits: 0,
  riskGrades: 0,
  highRiskCases: 0,
  children: 0,
  checks: 0,
  growthMeasurements: 0,
  immunizations: 0,
  recordsSkipped: 0,
  appointmentsCreated: 0,
  appointmentsExisting: 0,
  appointmentsUnplaced: 0,
  referralsCreated: 0,
  referralsExisting: 0,
  referralTransitions: 0,
});

/** Rows written: everything counted except what was already there. */
export function rowsOf(counts: SeedCounts): number {
  return (
    counts.patientsCreated +
    counts.guardianLinks +
    counts.pregnancies +
    counts.visits +
    counts.riskGrades +
    counts.children +
    counts.checks +
    counts.growthMeasurements +
    counts.immunizations +
    counts.appointmentsCreated +
    counts.referralsCreated +
    counts.referralTransitions
  );
}

const LEVELS: Partial<Record<InstitutionLevel, Institution['level']>> = {
  [InstitutionLevel.INSTITUTION_LEVEL_PREFECTURE]: 'prefecture',
  [InstitutionLevel.INSTITUTION_LEVEL_COUNTY]: 'county',
  [InstitutionLevel.INSTITUTION_LEVEL_TOWNSHIP]: 'township',
};
const SERVICE: Record<AppointmentSpec['service'], ServiceType> = {
  'antenatal-check': ServiceType.SERVICE_TYPE_ANTENATAL_CHECK,
  'child-health-check': ServiceType.SERVICE_TYPE_CHILD_HEALTH_CHECK,
  vaccination: ServiceType.SERVICE_TYPE_VACCINATION,
};
const STATUS: Record<AppointmentSpec['status'], AppointmentStatus> = {
  booked: AppointmentStatus.APPOINTMENT_STATUS_BOOKED,
  fulfilled: AppointmentStatus.APPOINTMENT_STATUS_FULFILLED,
  noshow: AppointmentStatus.APPOINTMENT_STATUS_NOSHOW,
  cancelled: AppointmentStatus.APPOINTMENT_STATUS_CANCELLED,
};
const REFERRAL_STATUS: Record<string, ReferralStatus> = {
  received: ReferralStatus.REFERRAL_STATUS_RECEIVED,
  accepted: ReferralStatus.REFERRAL_STATUS_ACCEPTED,
  rejected: ReferralStatus.REFERRAL_STATUS_REJECTED,
  'in-progress': ReferralStatus.REFERRAL_STATUS_IN_PROGRESS,
  completed: ReferralStatus.REFERRAL_STATUS_COMPLETED,
  cancelled: ReferralStatus.REFERRAL_STATUS_CANCELLED,
};

/** Places each appointment on a slot of its institution's schedule; booked ones only where a place is left. */
export class SlotPlanner {
  private readonly taken = new Map<string, number>();

  constructor(private readonly schedules: ReadonlyMap<string, ScheduleRules>) {}

  place(appointment: AppointmentSpec): Date | undefined {
    const rules = this.schedules.get(appointment.institutionId);
    if (!rules) return undefined;
    // A day the service is not offered moves to the nearest one that has it: later for a booking, earlier for the past.
    const step = appointment.status === 'booked' ? 1 : -1;
    for (let shift = 0; shift < 7; shift++) {
      const start = new Date(dayMs(appointment.day) + step * shift * DAY_MS);
      const slots = expandSlots(rules, appointment.service, start, new Date(start.getTime() + DAY_MS));
      // The appointment's id picks where in the day it starts looking, so placements spread over the day.
      const offset = slots.length === 0 ? 0 : parseInt(appointment.id.slice(0, 6), 16) % slots.length;
      for (let i = 0; i < slots.length; i++) {
        const slot = slots[(offset + i) % slots.length] as (typeof slots)[number];
        if (appointment.status !== 'booked') return slot.start.getTime() < Date.now() ? slot.start : undefined;
        const key = `${appointment.institutionId}|${slot.service}|${slot.start.getTime()}`;
        const used = this.taken.get(key) ?? 0;
        if (used < slot.capacity && slot.start.getTime() > Date.now() + 3_600_000) {
          this.taken.set(key, used + 1);
          return slot.start;
        }
      }
    }
    return undefined;
  }
}

class Caller {
  private readonly identity: Client;
  private readonly records: Client;
  private readonly scheduling: Client;
  private readonly referral: Client;
  private service: ServiceIdentity | undefined;
  private adminToken: string | undefined;

  constructor(private readonly options: SeedOptions) {
    this.identity = createChannelClient(options.addresses.identity);
    this.records = createChannelClient(options.addresses.records);
    this.scheduling = createChannelClient(options.addresses.scheduling);
    this.referral = createChannelClient(options.addresses.referral);
  }

  async metadata(key?: string): Promise<Metadata> {
    let metadata: Metadata;
    if (this.options.credential) {
      this.service ??= new ServiceIdentity({
        serviceName: 'seeder',
        credential: this.options.credential,
        identityAddress: this.options.addresses.identity,
      });
      metadata = await this.service.metadata();
    } else {
      const login = this.options.adminLogin ?? { username: 'platform.admin', password: 'mch-demo-2026!' };
      this.adminToken ??= (await callUnary(this.identity, IdentityServiceService.login, login, { timeoutMs: 10_000 }))
        .tokens?.accessToken;
      metadata = new Metadata();
      metadata.set(METADATA.authorization, `Bearer ${this.adminToken ?? ''}`);
    }
    if (key) metadata.set(METADATA.idempotencyKey, key);
    return metadata;
  }

  /** A batch call, retried on transient failures with the same key (an unknown outcome is replayed, not repeated). */
  async batch<Req, Res>(
    client: 'identity' | 'records' | 'scheduling' | 'referral',
    method: Parameters<typeof callUnary<Req, Res>>[1],
    request: Req,
    key: string,
  ): Promise<Res> {
    return callUnary(this[client], method, request, {
      metadata: await this.metadata(key),
      timeoutMs: 300_000,
      idempotent: true,
      retryPolicy: {
        maxAttempts: 6,
        initialBackoffMs: 500,
        maxBackoffMs: 5_000,
        backoffMultiplier: 2,
        retryableCodes: [14, 4, 10],
      },
    });
  }

  async institutions(): Promise<Institution[]> {
    const response = await callUnary(
      this.identity,
      IdentityServiceService.listInstitutions,
      { county: '', level: '', capability: '', near: '', pageSize: 200, pageToken: '' },
      { timeoutMs: 10_000 },
    );
    return response.institutions.flatMap((i) => {
      const level = LEVELS[i.level];
      return level ? [{ id: i.id, level, countyCode: i.countyCode, capabilities: i.capabilities }] : [];
    });
  }

  async schedules(institutions: readonly Institution[]): Promise<Map<string, ScheduleRules>> {
    const out = new Map<string, ScheduleRules>();
    const metadata = await this.metadata();
    for (const institution of institutions) {
      const response = await callUnary(
        this.scheduling,
        SchedulingServiceService.getSchedule,
        { institutionId: institution.id },
        { metadata, timeoutMs: 10_000 },
      );
      if (response.schedule && response.schedule.sessions.length > 0)
        out.set(institution.id, validateSchedule(response.schedule.sessions, response.schedule.exceptions));
    }
    return out;
  }

  close(): void {
    this.service?.close();
    for (const client of [this.identity, this.records, this.scheduling, this.referral]) client.close();
  }
}

interface ProgressState {
  readonly seed: string;
  readonly scale: number;
  readonly batch: number;
  readonly today: string;
  readonly done: number[];
  readonly counts: SeedCounts;
}

function readProgress(file: string | undefined, options: SeedOptions): ProgressState | undefined {
  if (!file || !existsSync(file)) return undefined;
  const state = JSON.parse(readFileSync(file, 'utf8')) as ProgressState;
  return state.seed === options.seed && state.scale === options.scale && state.batch === options.batch
    ? state
    : undefined;
}

/** Seeds the platform; resolves with what each service reported. */
export async function seed(options: SeedOptions): Promise<SeedResult> {
  const began = Date.now();
  const caller = new Caller(options);
  try {
    const previous = readProgress(options.progressFile, options);
    const today = options.today ?? previous?.today ?? isoDay(Date.now());
    const institutions = await caller.institutions();
    const plan = planFor(options.scale, options.seed, institutions, today);
    const planner = new SlotPlanner(await caller.schedules(institutions));
    const counts = previous ? { ...previous.counts } : emptyCounts();
    const done = new Set(previous?.done ?? []);
    const ranges = Math.ceil(plan.families / options.batch);
    const key = (service: string, range: number): string =>
      `seed:${options.seed}:${options.scale}:${today}:${options.batch}:${range}:${service}`;
    const save = (): void => {
      if (!options.progressFile) return;
      mkdirSync(path.dirname(options.progressFile), { recursive: true });
      const state: ProgressState = {
        seed: options.seed,
        scale: options.scale,
        batch: options.batch,
        today,
        done: [...done].sort((a, b) => a - b),
        counts,
      };
      writeFileSync(options.progressFile, JSON.stringify(state));
    };
    let familiesDone = 0;
    const report = (): void =>
      options.onProgress?.({
        familiesDone,
        families: plan.families,
        rows: rowsOf(counts),
        elapsedMs: Date.now() - began,
        skippedRanges: previous?.done.length ?? 0,
      });

    const sendRange = async (range: number, families: Family[]): Promise<void> => {
      const patients = families.flatMap((f) => [f.mother, ...f.children.map((c) => c.patient)]);
      const registered = await caller.batch<unknown, ImportPatientsResponse>(
        'identity',
        IdentityServiceService.importPatients as never,
        {
          patients: patients.map((p) => ({
            nationalId: p.nationalId,
            name: p.name,
            sex: p.sex === 'female' ? Sex.SEX_FEMALE : Sex.SEX_MALE,
            birthDate: p.birthDate,
            phone: '',
            countyCode: p.countyCode,
            address: '',
            registeredAtInstitutionId: p.institutionId,
            motherNationalId: p.motherNationalId ?? '',
          })),
        },
        key('identity', range),
      );
      const idOf = new Map(patients.map((p, i) => [p.nationalId, registered.patientIds[i] as string]));
      const recordsCall = caller.batch<unknown, ImportRecordsResponse>(
        'records',
        RecordsServiceService.importRecords as never,
        recordsRequest(families, idOf),
        key('records', range),
      );
      const appointments = families
        .flatMap((f) => f.appointments)
        .flatMap((a) => {
          const startsAt = planner.place(a);
          if (!startsAt) {
            counts.appointmentsUnplaced++;
            return [];
          }
          const person =
            families.find((f) => f.mother.nationalId === a.patientNationalId)?.mother ??
            families.flatMap((f) => f.children).find((c) => c.patient.nationalId === a.patientNationalId)?.patient;
          return [
            {
              id: a.id,
              patientId: idOf.get(a.patientNationalId) as string,
              institutionId: a.institutionId,
              service: SERVICE[a.service],
              startsAt,
              status: STATUS[a.status],
              countyCode: person?.countyCode ?? '',
            },
          ];
        });
      const appointmentsCall =
        appointments.length > 0
          ? caller.batch<unknown, ImportAppointmentsResponse>(
              'scheduling',
              SchedulingServiceService.importAppointments as never,
              { appointments },
              key('scheduling', range),
            )
          : Promise.resolve(undefined);
      const referrals = families
        .flatMap((f) => f.referrals)
        .map((r) => ({
          id: r.id,
          patientId: idOf.get(r.patientNationalId) as string,
          patientCountyCode: r.countyCode,
          direction:
            r.direction === 'up' ? ReferralDirection.REFERRAL_DIRECTION_UP : ReferralDirection.REFERRAL_DIRECTION_DOWN,
          urgency:
            r.urgency === 'urgent'
              ? ReferralUrgency.REFERRAL_URGENCY_URGENT
              : r.urgency === 'emergency'
                ? ReferralUrgency.REFERRAL_URGENCY_EMERGENCY
                : ReferralUrgency.REFERRAL_URGENCY_ROUTINE,
          riskColour: '',
          fromInstitutionId: r.fromInstitutionId,
          toInstitutionId: r.toInstitutionId,
          reason: r.reason,
          createdAt: r.createdAt,
          path: r.path.map((s) => REFERRAL_STATUS[s] as ReferralStatus),
          statusReason: r.statusReason,
          hoursPerStep: r.hoursPerStep,
        }));
      const referralsCall =
        referrals.length > 0
          ? caller.batch<unknown, ImportReferralsResponse>(
              'referral',
              ReferralServiceService.importReferrals as never,
              { referrals },
              key('referral', range),
            )
          : Promise.resolve(undefined);
      const [records, booked, referred] = await Promise.all([recordsCall, appointmentsCall, referralsCall]);
      counts.patientsCreated += registered.created;
      counts.patientsMatched += registered.matched;
      counts.guardianLinks += registered.guardianLinks;
      counts.pregnancies += records.pregnancies;
      counts.visits += records.visits;
      counts.riskGrades += records.riskGrades;
      counts.highRiskCases += records.highRiskCases;
      counts.children += records.children;
      counts.checks += records.checks;
      counts.growthMeasurements += records.growthMeasurements;
      counts.immunizations += records.immunizations;
      counts.recordsSkipped += records.skippedExisting;
      counts.appointmentsCreated += booked?.created ?? 0;
      counts.appointmentsExisting += booked?.existing ?? 0;
      counts.appointmentsUnplaced += booked?.slotFull ?? 0;
      counts.referralsCreated += referred?.created ?? 0;
      counts.referralsExisting += referred?.existing ?? 0;
      counts.referralTransitions += referred?.transitions ?? 0;
    };

    // Ranges are made in order (the slot planner's state follows them) and sent with at most `concurrency` in flight.
    const inFlight = new Set<Promise<void>>();
    let failure: unknown;
    for (let range = 0; range < ranges && failure === undefined; range++) {
      const first = range * options.batch;
      const families: Family[] = [];
      for (let i = first; i < Math.min(plan.families, first + options.batch); i++) families.push(family(plan, i));
      if (done.has(range)) {
        for (const f of families) for (const a of f.appointments) if (a.status === 'booked') planner.place(a);
        familiesDone += families.length;
        continue;
      }
      const sent = sendRange(range, families).then(
        () => {
          done.add(range);
          familiesDone += families.length;
          save();
          report();
        },
        (error: unknown) => {
          failure ??= error;
        },
      );
      inFlight.add(sent);
      void sent.finally(() => inFlight.delete(sent));
      if (inFlight.size >= options.concurrency) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure;
    report();
    const first = family(plan, 0);
    const firstMother = plan.families > plan.pregnancies ? family(plan, plan.pregnancies) : first;
    return {
      plan,
      counts,
      rows: rowsOf(counts),
      elapsedMs: Date.now() - began,
      samples: {
        pregnantNationalId: first.mother.nationalId,
        childNationalId: firstMother.children[0]?.patient.nationalId,
      },
    };
  } finally {
    caller.close();
  }
}

function recordsRequest(families: readonly Family[], idOf: ReadonlyMap<string, string>): unknown {
  return {
    pregnancies: families.flatMap((f) => {
      const p = f.pregnancy;
      if (!p) return [];
      return [
        {
          patientId: idOf.get(f.mother.nationalId),
          countyCode: f.mother.countyCode,
          maternalBirthDate: f.mother.birthDate,
          institutionId: p.institutionId,
          lmp: p.lmp,
          registeredOn: p.registeredOn,
          prePregnancyWeightKg: p.prePregnancyWeightKg,
          heightCm: p.heightCm,
          findings: p.findings,
          gradedAtInstitutionId: p.gradedAt ?? '',
          visits: p.visits.map((v) => ({ ...v, proteinuria: Proteinuria.PROTEINURIA_NEGATIVE })),
        },
      ];
    }),
    children: families.flatMap((f) =>
      f.children.map((c) => ({
        patientId: idOf.get(c.patient.nationalId),
        motherPatientId: idOf.get(f.mother.nationalId) ?? '',
        birthDate: c.patient.birthDate,
        sex: c.patient.sex === 'female' ? ChildSex.CHILD_SEX_FEMALE : ChildSex.CHILD_SEX_MALE,
        countyCode: c.patient.countyCode,
        checks: c.checks.map((k) => ({
          ...k,
          development: MilestoneStatus.MILESTONE_STATUS_OK,
          feeding:
            k.service === 'newborn-home-visit'
              ? ChildFeeding.CHILD_FEEDING_EXCLUSIVE_BREASTFEEDING
              : ChildFeeding.CHILD_FEEDING_UNSPECIFIED,
          growth: { ...k.growth, position: '' },
        })),
        immunizations: c.doses,
      })),
    ),
  };
}

/** The platform's service addresses and the seeder's credential, from a running platform's data dir. */
export function platformConnection(dataDir: string): Pick<SeedOptions, 'addresses' | 'credential'> {
  const state = JSON.parse(readFileSync(path.join(dataDir, 'platform.json'), 'utf8')) as {
    serviceAddresses?: Record<string, string>;
  };
  const address = (name: string, port: number): string =>
    process.env[`MCH_${name.toUpperCase()}_ADDR`] ?? state.serviceAddresses?.[name] ?? `127.0.0.1:${port}`;
  let credential = process.env.MCH_SERVICE_CREDENTIAL_SEEDER;
  const secrets = path.join(dataDir, 'secrets.json');
  if (!credential && existsSync(secrets)) {
    const secret = (JSON.parse(readFileSync(secrets, 'utf8')) as { serviceSecret?: string }).serviceSecret;
    if (secret) credential = deriveServiceCredential(secret, 'seeder');
  }
  return {
    addresses: {
      identity: address('identity', 50051),
      records: address('records', 50052),
      scheduling: address('scheduling', 50053),
      referral: address('referral', 50054),
    },
    credential,
  };
}
