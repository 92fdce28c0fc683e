// The prefecture's population as the data generator makes it: pure and deterministic under a seed. Families are
// numbered; family i draws from its own random stream, so any range of families can be made (and remade) alone.
// Pregnant women come first (registration, antenatal visits in the windows of the national schedule, vitals and
// findings whose frequencies make the 五色 rules propose a realistic colour mix); then mothers of children under
// seven (checks and doses in the windows of the child health and immunization schedules).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { computeCheckDigit } from '../../services/identity/src/domain/resident-id';
import { Random } from './random';

export const DAY_MS = 86_400_000;

/** Scale 1: the prefecture (DESIGN.md §7). */
export const SCALE_1 = { pregnancies: 30_000, children: 200_000 } as const;

export interface Institution {
  readonly id: string;
  readonly level: 'prefecture' | 'county' | 'township';
  readonly countyCode: string;
  readonly capabilities: readonly string[];
}

/** Relative population of the ten county-level divisions (2020 census, rounded, ten thousands). */
export const COUNTY_WEIGHTS: ReadonlyArray<readonly [string, number]> = [
  ['chuxiong', 63],
  ['lufeng', 48],
  ['shuangbai', 14],
  ['mouding', 19],
  ['nanhua', 23],
  ['yaoan', 20],
  ['dayao', 27],
  ['yongren', 11],
  ['yuanmou', 21],
  ['wuding', 27],
];

export interface PatientSpec {
  readonly nationalId: string;
  readonly name: string;
  readonly sex: 'female' | 'male';
  readonly birthDate: string;
  readonly countyCode: string;
  readonly institutionId: string;
  readonly motherNationalId?: string;
}

export interface VisitSpec {
  readonly institutionId: string;
  readonly visitDate: string;
  readonly systolicBp: number;
  readonly diastolicBp: number;
  readonly weightKg: number;
  readonly haemoglobin?: number;
  readonly plateletCount?: number;
  readonly fundalHeightCm?: number;
  readonly fetalHeartRate?: number;
  readonly findings: string[];
  readonly labs: Array<{ code: string; result: string; resultedOn: string }>;
}

export interface PregnancySpec {
  readonly lmp: string;
  readonly registeredOn: string;
  readonly institutionId: string;
  readonly prePregnancyWeightKg: number;
  readonly heightCm: number;
  readonly findings: string[];
  readonly visits: VisitSpec[];
  /** The county hospital (or the prefecture's) that confirmed her colour; undefined: screened only. */
  readonly gradedAt?: string;
}

export interface CheckSpec {
  readonly institutionId: string;
  readonly checkedOn: string;
  readonly service: string;
  readonly haemoglobin?: number;
  readonly growth: { weightKg: number; lengthHeightCm: number; headCircumferenceCm?: number };
}

export interface DoseSpec {
  readonly institutionId: string;
  readonly vaccine: string;
  readonly dose: number;
  readonly givenOn: string;
  readonly lotNumber: string;
}

export interface ChildSpec {
  readonly patient: PatientSpec;
  readonly checks: CheckSpec[];
  readonly doses: DoseSpec[];
}

export interface AppointmentSpec {
  readonly id: string;
  readonly patientNationalId: string;
  readonly institutionId: string;
  readonly service: 'antenatal-check' | 'child-health-check' | 'vaccination';
  /** The day it is for; the generator places it on a slot of the institution's schedule. */
  readonly day: string;
  readonly status: 'booked' | 'fulfilled' | 'noshow' | 'cancelled';
}

export interface ReferralSpec {
  readonly id: string;
  readonly patientNationalId: string;
  readonly countyCode: string;
  readonly direction: 'up' | 'down';
  readonly urgency: 'routine' | 'urgent' | 'emergency';
  readonly fromInstitutionId: string;
  readonly toInstitutionId: string;
  readonly reason: string;
  readonly createdAt: Date;
  readonly path: Array<'received' | 'accepted' | 'rejected' | 'in-progress' | 'completed' | 'cancelled'>;
  readonly statusReason: string;
  readonly hoursPerStep: number;
}

export interface Family {
  readonly index: number;
  readonly mother: PatientSpec;
  readonly pregnancy?: PregnancySpec;
  readonly children: ChildSpec[];
  readonly appointments: AppointmentSpec[];
  readonly referrals: ReferralSpec[];
}

// Dates

export function isoDay(ms: number): string {
  return new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10);
}

export function dayMs(iso: string): number {
  return Date.parse(`${iso}T00:00:00+08:00`);
}

/** `iso` plus a calendar offset (months by calendar, as the schedules count them). */
export function addOffset(
  iso: string,
  offset: { years?: number; months?: number; weeks?: number; days?: number },
): string {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  const months = (offset.years ?? 0) * 12 + (offset.months ?? 0);
  const target = new Date(Date.UTC(y, m - 1 + months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d, lastDay));
  target.setUTCDate(target.getUTCDate() + (offset.weeks ?? 0) * 7 + (offset.days ?? 0));
  return target.toISOString().slice(0, 10);
}

const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, value));

const daysBetween = (a: string, b: string): number => Math.round((dayMs(b) - dayMs(a)) / DAY_MS);

// Schedules (the records service's data files: the generator follows the same schedule the handbook checks)

interface ScheduleItem {
  readonly id: string;
  readonly anchor: string;
  readonly opens: Record<string, number>;
  readonly due: Record<string, number>;
  readonly overdue: Record<string, number>;
  readonly service?: string;
  readonly vaccine?: string;
  readonly products?: string[];
  readonly dose?: number;
  readonly minInterval?: Record<string, number> & { after?: string };
}

function loadSchedule(file: string): { effectiveFrom: string; items: ScheduleItem[] } {
  const dir = path.resolve(__dirname, '../../../services/records/data/schedules');
  const fallback = path.resolve(__dirname, '../../services/records/data/schedules');
  const read = (d: string): string => readFileSync(path.join(d, file), 'utf8');
  let text: string;
  try {
    text = read(dir);
  } catch {
    text = read(fallback);
  }
  return JSON.parse(text) as { effectiveFrom: string; items: ScheduleItem[] };
}

const NIP = loadSchedule('cn-nip-2021.json');

export const SCHEDULES = {
  antenatal: loadSchedule('cn-bphs-antenatal-2017.json').items,
  childHealth: loadSchedule('cn-bphs-child-health-2017.json').items,
  immunization: NIP.items,
  /** Records knows only this edition of the programme: children born before it have no dose it can record. */
  immunizationFrom: NIP.effectiveFrom,
};

// People

const SURNAMES = [
  '李',
  '王',
  '张',
  '杨',
  '刘',
  '陈',
  '赵',
  '普',
  '罗',
  '何',
  '鲁',
  '施',
  '毕',
  '起',
  '自',
  '苏',
  '周',
  '吴',
  '徐',
  '孙',
];
const GIVEN = [
  '秀',
  '英',
  '芳',
  '丽',
  '梅',
  '兰',
  '娟',
  '霞',
  '琼',
  '玉',
  '华',
  '春',
  '燕',
  '红',
  '艳',
  '明',
  '伟',
  '强',
  '杰',
  '涛',
  '浩',
  '宇',
  '欣',
  '怡',
  '晨',
  '雨',
];

function personName(random: Random): string {
  return random.pick(SURNAMES) + random.pick(GIVEN) + (random.chance(0.7) ? random.pick(GIVEN) : '');
}

/**
 * A valid 18-digit resident ID that no other person of the population has: the six region digits and the sequence
 * carry the person's number (53xxxx: Yunnan, as the check reads the province), the check digit is ISO 7064 MOD 11-2.
 * Unique for up to 5 million people (scale 7).
 */
export function residentIdFor(personNumber: number, birthDate: string, sex: 'female' | 'male'): string {
  const n = personNumber % 5_000_000;
  const region = `53${String(Math.floor(n / 500)).padStart(4, '0')}`;
  const sequence = (n % 500) * 2 + (sex === 'male' ? 1 : 0);
  const first17 = `${region}${birthDate.replace(/-/g, '')}${String(sequence).padStart(3, '0')}`;
  return first17 + computeCheckDigit(first17);
}

// The population plan

export interface Plan {
  readonly seed: string;
  readonly today: string;
  readonly pregnancies: number;
  readonly families: number;
  readonly institutions: readonly Institution[];
}

/** Families for a scale: pregnant women first, then enough mothers of under-sevens to reach the children wanted. */
export function planFor(scale: number, seed: string, institutions: readonly Institution[], today: string): Plan {
  const pregnancies = Math.max(1, Math.round(SCALE_1.pregnancies * scale));
  const children = Math.round(SCALE_1.children * scale);
  // Pregnant women have 0.65 children under seven on average, other mothers 1.45 (see childCount).
  const mothers = Math.max(0, Math.round((children - 0.65 * pregnancies) / 1.45));
  return { seed, today, pregnancies, families: pregnancies + mothers, institutions };
}

function childCount(random: Random, pregnant: boolean): number {
  return pregnant
    ? random.weighted([
        [0, 0.45],
        [1, 0.45],
        [2, 0.1],
      ])
    : random.weighted([
        [1, 0.6],
        [2, 0.35],
        [3, 0.05],
      ]);
}

interface Places {
  readonly township: Institution;
  readonly county: Institution;
  readonly prefecture: Institution;
}

function placesFor(random: Random, institutions: readonly Institution[], county: string): Places {
  const inCounty = institutions.filter((i) => i.countyCode === county);
  const townships = inCounty.filter((i) => i.level === 'township');
  const countyHospital = inCounty.find((i) => i.level === 'county') ?? institutions.find((i) => i.level === 'county');
  const prefecture = institutions.find((i) => i.level === 'prefecture');
  if (!countyHospital || !prefecture) throw new Error('the reference data lacks county or prefecture institutions');
  return {
    township: townships.length > 0 ? random.pick(townships) : countyHospital,
    county: countyHospital,
    prefecture,
  };
}

/** Family `index` of the plan. */
export function family(plan: Plan, index: number): Family {
  const random = new Random(`${plan.seed}:family:${index}`);
  const pregnant = index < plan.pregnancies;
  const county = random.weighted(COUNTY_WEIGHTS);
  const places = placesFor(random, plan.institutions, county);
  const todayMs = dayMs(plan.today);

  // Maternal age at the EDD: around 28, a tenth 35 or older (Yunnan).
  const age = Math.min(46, Math.max(16, random.normal(28.5, 5)));
  const motherBirth = isoDay(todayMs - age * 365.25 * DAY_MS + (pregnant ? 0 : -random.int(0, 5 * 365) * DAY_MS));
  const mother: PatientSpec = {
    nationalId: residentIdFor(index * 4, motherBirth, 'female'),
    name: personName(random),
    sex: 'female',
    birthDate: motherBirth,
    countyCode: county,
    institutionId: places.township.id,
  };
  const appointments: AppointmentSpec[] = [];
  const referrals: ReferralSpec[] = [];
  const pregnancy = pregnant ? pregnancyOf(random, plan, mother, places, appointments, referrals) : undefined;
  const children: ChildSpec[] = [];
  const kids = childCount(random, pregnant);
  for (let k = 0; k < kids; k++) children.push(childOf(random, plan, mother, places, index * 4 + 1 + k, appointments));
  return { index, mother, pregnancy, children, appointments, referrals };
}

/** Findings known at registration and how often (history and the 五色 form's conditions). */
const HISTORY: ReadonlyArray<readonly [string, number]> = [
  ['scarred_uterus', 0.12],
  ['ivf', 0.02],
  ['twins', 0.015],
  ['thyroid', 0.03],
  ['diabetes', 0.008],
  ['heart_disease', 0.005],
  ['epilepsy', 0.003],
  ['autoimmune', 0.004],
];

function pregnancyOf(
  random: Random,
  plan: Plan,
  mother: PatientSpec,
  places: Places,
  appointments: AppointmentSpec[],
  referrals: ReferralSpec[],
): PregnancySpec {
  const todayMs = dayMs(plan.today);
  // Registered between 6 and 20 weeks, four in five before 13 weeks; she is between that and 41 weeks today.
  const registeredGaDays = random.chance(0.8) ? random.int(42, 90) : random.int(91, 140);
  const gaTodayDays = random.int(registeredGaDays, 40 * 7);
  const lmp = isoDay(todayMs - gaTodayDays * DAY_MS);
  const registeredOn = addOffset(lmp, { days: registeredGaDays });
  const heightCm = Math.round(random.normal(156, 5.5) * 10) / 10;
  const bmi = Math.min(40, Math.max(16, random.normal(21.8, 3.2)));
  const prePregnancyWeightKg = Math.round(bmi * (heightCm / 100) ** 2 * 10) / 10;
  const findings = HISTORY.filter(([, p]) => random.chance(p)).map(([code]) => code);
  const anaemic = random.chance(0.22);
  const hypertensive = random.weighted([
    ['no', 0.92],
    ['mild', 0.065],
    ['severe', 0.015],
  ] as const);
  const infection = random.weighted([
    ['none', 0.935],
    ['HBsAg', 0.058],
    ['TPPA', 0.005],
    ['HIV', 0.002],
  ] as const);
  const gdm = random.chance(0.09);

  // The first visit at registration, then one in each window of the national schedule that has opened, if she came.
  const visitDays = [registeredOn];
  for (const item of SCHEDULES.antenatal.filter((i) => i.id !== 'first-visit')) {
    const opens = addOffset(lmp, item.opens);
    const overdue = addOffset(lmp, item.overdue);
    if (opens <= registeredOn) continue;
    const last = overdue < plan.today ? addOffset(overdue, { days: -1 }) : plan.today;
    if (opens > last || !random.chance(0.88)) continue;
    visitDays.push(addOffset(opens, { days: random.int(0, daysBetween(opens, last)) }));
  }
  const visits: VisitSpec[] = visitDays.map((visitDate, n) => {
    const ga = daysBetween(lmp, visitDate);
    const severe = hypertensive === 'severe' && ga >= 140;
    const mild = hypertensive === 'mild' && ga >= 140;
    const systolic = Math.round(severe ? random.normal(165, 5) : mild ? random.normal(145, 4) : random.normal(112, 9));
    const diastolic = Math.round(severe ? random.normal(108, 4) : mild ? random.normal(92, 2) : random.normal(72, 7));
    const labs =
      n === 0
        ? (['HBsAg', 'TPPA', 'HIV'] as const).map((code) => ({
            code,
            result: infection === code ? 'positive' : 'negative',
            resultedOn: visitDate,
          }))
        : [];
    return {
      institutionId: n > 0 && random.chance(0.2) ? places.county.id : places.township.id,
      visitDate,
      systolicBp: Math.max(80, Math.min(159, systolic)) + (severe ? 6 : 0),
      diastolicBp: Math.max(45, Math.min(diastolic, severe ? 115 : 105)),
      weightKg: Math.round((prePregnancyWeightKg + Math.max(0, ga - 90) * 0.07) * 10) / 10,
      haemoglobin: Math.round(anaemic ? random.normal(102, 6) : random.normal(122, 8)),
      plateletCount: Math.round(Math.max(60, random.normal(225, 50))),
      ...(ga >= 140
        ? {
            fundalHeightCm: Math.round(Math.max(12, ga / 7 - 2 + random.normal(0, 1.5)) * 10) / 10,
            fetalHeartRate: random.int(120, 160),
          }
        : {}),
      findings: gdm && ga >= 168 ? ['gdm'] : [],
      labs,
    };
  });
  const lastVisit = visits[visits.length - 1] as VisitSpec;
  // Graded at her county hospital when she went there or was flagged (most flagged women are).
  const flagged =
    hypertensive !== 'no' ||
    infection !== 'none' ||
    anaemic ||
    gdm ||
    findings.length > 0 ||
    mother.birthDate < addOffset(plan.today, { years: -35 });
  const graded = visits.some((v) => v.institutionId === places.county.id) || (flagged && random.chance(0.75));
  const gradedAt = graded
    ? places.county.countyCode === 'chuxiong' && random.chance(0.3)
      ? places.prefecture.id
      : places.county.id
    : undefined;

  // Online bookings exist for the last 90 days: past visits in that time were booked (some missed or cancelled
  // and came another day), and a third of the women have their next check booked within four weeks.
  for (const visit of visits) {
    if (daysBetween(visit.visitDate, plan.today) > 90 || visit.visitDate >= plan.today) continue;
    if (random.chance(0.06))
      appointments.push({
        id: random.uuid(),
        patientNationalId: mother.nationalId,
        institutionId: visit.institutionId,
        service: 'antenatal-check',
        day: addOffset(visit.visitDate, { days: -7 }),
        status: random.chance(0.5) ? 'noshow' : 'cancelled',
      });
    appointments.push({
      id: random.uuid(),
      patientNationalId: mother.nationalId,
      institutionId: visit.institutionId,
      service: 'antenatal-check',
      day: visit.visitDate,
      status: 'fulfilled',
    });
  }
  if (daysBetween(lmp, plan.today) < 38 * 7 && random.chance(0.35)) {
    appointments.push({
      id: random.uuid(),
      patientNationalId: mother.nationalId,
      institutionId: places.township.id,
      service: 'antenatal-check',
      day: addOffset(plan.today, { days: random.int(2, 27) }),
      status: 'booked',
    });
  }

  // Up-referrals: most women with severe hypertension, an infection or serious history are referred to the level
  // that manages them; most referrals run their course, some are still open, a few are rejected or withdrawn.
  const serious =
    hypertensive === 'severe' || infection === 'HIV' || infection === 'TPPA' || findings.includes('heart_disease');
  if ((serious && random.chance(0.8)) || (flagged && random.chance(0.08))) {
    const target = hypertensive === 'severe' || findings.includes('heart_disease') ? places.prefecture : places.county;
    const from = places.township.id === target.id ? places.county : places.township;
    if (from.id !== target.id && from.level !== 'prefecture') {
      const createdAt = new Date(
        Math.min(dayMs(lastVisit.visitDate), todayMs - DAY_MS) + random.int(9, 16) * 3_600_000,
      );
      const outcome = random.weighted([
        ['completed', 0.62],
        ['in-progress', 0.12],
        ['accepted', 0.08],
        ['requested', 0.06],
        ['rejected', 0.06],
        ['cancelled', 0.06],
      ] as const);
      const paths: Record<typeof outcome, ReferralSpec['path']> = {
        completed: ['received', 'accepted', 'in-progress', 'completed'],
        'in-progress': ['received', 'accepted', 'in-progress'],
        accepted: ['received', 'accepted'],
        requested: [],
        rejected: ['received', 'rejected'],
        cancelled: ['cancelled'],
      };
      const hoursPerStep = random.int(1, 12);
      // Everything happened before today began (a rerun later the same day makes the same referrals).
      const stepsFit = createdAt.getTime() + paths[outcome].length * hoursPerStep * 3_600_000 < todayMs;
      const up: ReferralSpec = {
        id: random.uuid(),
        patientNationalId: mother.nationalId,
        countyCode: mother.countyCode,
        direction: 'up',
        urgency: hypertensive === 'severe' ? 'urgent' : 'routine',
        fromInstitutionId: from.id,
        toInstitutionId: target.id,
        reason:
          hypertensive === 'severe'
            ? '重度高血压，需三级医院评估 (severe hypertension)'
            : '高危妊娠转诊管理 (high-risk pregnancy management)',
        createdAt,
        path: stepsFit ? paths[outcome] : [],
        statusReason:
          outcome === 'rejected'
            ? '床位已满，请转上级 (no bed)'
            : outcome === 'cancelled'
              ? '孕妇自行就诊 (went on her own)'
              : '',
        hoursPerStep,
      };
      referrals.push(up);
      // A completed up-referral is often followed by a referral back down for follow-up in the community.
      if (up.path.includes('completed') && random.chance(0.4)) {
        const downAt = new Date(createdAt.getTime() + (up.path.length * hoursPerStep + 48) * 3_600_000);
        if (downAt.getTime() + 4 * 3_600_000 < todayMs) {
          referrals.push({
            ...up,
            id: random.uuid(),
            direction: 'down',
            urgency: 'routine',
            fromInstitutionId: target.id,
            toInstitutionId: from.id,
            reason: '病情稳定，回社区随访 (stable: follow-up in the community)',
            createdAt: downAt,
            path: ['received', 'accepted'],
            statusReason: '',
            hoursPerStep: 2,
          });
        }
      }
    }
  }
  return {
    lmp,
    registeredOn,
    institutionId: places.township.id,
    prePregnancyWeightKg,
    heightCm,
    findings,
    visits,
    gradedAt,
  };
}

/** WHO-like medians by age in months (weight kg, length/height cm, head circumference cm), interpolated. */
const GROWTH_MEDIANS: ReadonlyArray<readonly [months: number, weight: number, length: number, head: number]> = [
  [0, 3.3, 49.9, 34.5],
  [1, 4.5, 54.7, 37.3],
  [3, 6.4, 61.4, 40.5],
  [6, 7.9, 67.6, 43.3],
  [8, 8.6, 70.6, 44.3],
  [12, 9.6, 75.7, 45.8],
  [18, 10.9, 82.3, 47.1],
  [24, 12.2, 87.1, 48.0],
  [30, 13.3, 91.9, 48.7],
  [36, 14.3, 96.1, 49.3],
  [48, 16.3, 103.3, 50.0],
  [60, 18.3, 110.0, 50.6],
  [72, 20.5, 116.0, 51.1],
];

export function growthMedian(ageMonths: number): { weight: number; length: number; head: number } {
  const rows = GROWTH_MEDIANS;
  for (let i = 1; i < rows.length; i++) {
    const [m1, w1, l1, h1] = rows[i] as readonly [number, number, number, number];
    const [m0, w0, l0, h0] = rows[i - 1] as readonly [number, number, number, number];
    if (ageMonths <= m1) {
      const f = (ageMonths - m0) / (m1 - m0);
      return { weight: w0 + f * (w1 - w0), length: l0 + f * (l1 - l0), head: h0 + f * (h1 - h0) };
    }
  }
  const last = rows[rows.length - 1] as readonly [number, number, number, number];
  return { weight: last[1], length: last[2], head: last[3] };
}

function childOf(
  random: Random,
  plan: Plan,
  mother: PatientSpec,
  places: Places,
  personNumber: number,
  appointments: AppointmentSpec[],
): ChildSpec {
  const todayMs = dayMs(plan.today);
  const sex = random.chance(0.52) ? 'male' : 'female';
  const birthDate = isoDay(todayMs - random.int(1, 7 * 365 - 1) * DAY_MS);
  const patient: PatientSpec = {
    nationalId: residentIdFor(personNumber, birthDate, sex),
    name: mother.name.slice(0, 1) + personName(random).slice(1),
    sex,
    birthDate,
    countyCode: mother.countyCode,
    institutionId: places.township.id,
    motherNationalId: mother.nationalId,
  };
  // A child grows along its own centile.
  const centile = random.normal(0, 0.9);
  const checks: CheckSpec[] = [];
  for (const item of SCHEDULES.childHealth) {
    const due = addOffset(birthDate, item.due);
    if (due > plan.today) break;
    const ageYears = daysBetween(birthDate, due) / 365.25;
    if (!random.chance(ageYears < 1 ? 0.93 : ageYears < 3 ? 0.87 : 0.8)) continue;
    const lateness = Math.abs(Math.round(random.normal(0, item.service === 'newborn-home-visit' ? 2 : 8)));
    const checkedOn = addOffset(due, { days: lateness + (item.service === 'newborn-home-visit' ? 3 : 0) });
    if (checkedOn > plan.today) continue;
    const median = growthMedian(daysBetween(birthDate, checkedOn) / 30.4375);
    const lengthBounds = daysBetween(birthDate, checkedOn) < 730 ? ([46, 109] as const) : ([66, 119] as const);
    checks.push({
      institutionId: ageYears < 3 && random.chance(0.85) ? places.township.id : places.county.id,
      checkedOn,
      service: item.service ?? 'child-health-check',
      ...([6, 12, 24, 36].some((m) => item.id === `check-${m}-months`)
        ? { haemoglobin: Math.round(random.normal(121, 10)) }
        : {}),
      growth: {
        weightKg: Math.round(median.weight * (1 + 0.11 * centile + random.normal(0, 0.02)) * 100) / 100,
        // Within the WHO weight-for-length (45–110 cm, under two) and weight-for-height (65–120 cm) tables.
        lengthHeightCm:
          Math.round(
            clamp(median.length * (1 + 0.037 * centile + random.normal(0, 0.006)), lengthBounds[0], lengthBounds[1]) *
              10,
          ) / 10,
        ...(ageYears < 3 ? { headCircumferenceCm: Math.round(median.head * (1 + 0.03 * centile) * 10) / 10 } : {}),
      },
    });
  }
  const doses: DoseSpec[] = [];
  const given = new Map<string, string>();
  for (const item of birthDate >= SCHEDULES.immunizationFrom ? SCHEDULES.immunization : []) {
    const due = addOffset(birthDate, item.opens);
    if (due > plan.today || !random.chance(0.96)) continue;
    const previousKey = item.minInterval?.after ?? `${item.vaccine}:${(item.dose ?? 1) - 1}`;
    const previous = item.minInterval?.after ? given.get(item.minInterval.after) : given.get(previousKey);
    if ((item.dose ?? 1) > 1 && !previous && !item.minInterval?.after) continue;
    let givenOn = addOffset(due, { days: Math.round(-Math.log(1 - random.next()) * 6) });
    if (previous && item.minInterval) {
      const { after: _after, ...interval } = item.minInterval;
      const earliest = addOffset(previous, interval);
      if (givenOn < earliest) givenOn = earliest;
    }
    if (givenOn > plan.today) continue;
    given.set(`${item.vaccine}:${item.dose}`, givenOn);
    given.set(item.id, givenOn);
    doses.push({
      institutionId: places.township.capabilities.includes('vaccination') ? places.township.id : places.county.id,
      vaccine: item.products?.[0] ?? (item.vaccine as string),
      dose: item.dose ?? 1,
      givenOn,
      lotNumber: `${(item.vaccine as string).toUpperCase()}${givenOn.slice(0, 4)}${String(random.int(1, 999)).padStart(3, '0')}`,
    });
  }
  // Bookings of the last 90 days for checks and doses, and a fifth of the children booked for what is next.
  for (const check of checks) {
    if (
      daysBetween(check.checkedOn, plan.today) <= 90 &&
      check.checkedOn < plan.today &&
      check.service === 'child-health-check'
    ) {
      appointments.push({
        id: random.uuid(),
        patientNationalId: patient.nationalId,
        institutionId: check.institutionId,
        service: 'child-health-check',
        day: check.checkedOn,
        status: 'fulfilled',
      });
    }
  }
  for (const dose of doses) {
    if (daysBetween(dose.givenOn, plan.today) <= 90 && dose.givenOn < plan.today) {
      appointments.push({
        id: random.uuid(),
        patientNationalId: patient.nationalId,
        institutionId: dose.institutionId,
        service: 'vaccination',
        day: dose.givenOn,
        status: random.chance(0.96) ? 'fulfilled' : 'noshow',
      });
    }
  }
  if (daysBetween(birthDate, plan.today) < 3 * 365 && random.chance(0.2)) {
    appointments.push({
      id: random.uuid(),
      patientNationalId: patient.nationalId,
      institutionId: places.township.id,
      service: random.chance(0.5) ? 'vaccination' : 'child-health-check',
      day: addOffset(plan.today, { days: random.int(2, 27) }),
      status: 'booked',
    });
  }
  return { patient, checks, doses };
}
