// Statistics facts: what each pregnancy and child contributes to each indicator of the catalogue, computed from
// the patient's rows in the transaction of every change (and of every bulk import), and the leased pass that folds
// changed months into the monthly rollups the statistics route reads. The facts live in records' own schema
// (statistics_facts, statistics_rollups); nothing here reads another service's tables.
import type { Logger } from '../../common/src/logger';
import { copyRows } from '../../common/src/pg/copy';
import type { Database, PoolClient } from '../../common/src/pg/database';

type Queryable = Pick<PoolClient, 'query'>;
import {
  ChildFacts,
  childFactsOf,
  evaluateSchedule,
  ItemState,
  LabResult,
  RecordsReferenceData,
  scheduleForChild,
  ScheduleProgress,
  scheduleInForce,
  todayInChina,
} from './domain';
import { reportingYearStart } from './domain/statistics-catalogue';
import { childHealthVisits } from './handbook';

/** One indicator's contribution of one subject or scheduled item. */
export interface StatisticsFact {
  readonly patientId: string;
  readonly indicator: string;
  readonly subjectId: string;
  readonly item: string;
  readonly county: string;
  readonly institutionId: string | null;
  /** YYYY-MM-01. */
  readonly month: string;
  /** Enters the denominator this day (an item falling overdue); null: at once. */
  readonly countedFrom: string | null;
  readonly numerator: number;
  readonly denominator: number;
}

export interface PregnancyFactsInput {
  readonly id: string;
  readonly patientId: string;
  readonly county: string;
  readonly registeredOn: string;
  readonly registeredGaDays: number;
  readonly registeredAt: string | null;
  readonly riskColour: string;
  /** Every colour she was graded, confirmed grades only. */
  readonly gradedColours: readonly string[];
  readonly caseOpened: boolean;
  readonly visits: readonly { readonly date: string; readonly gaDays: number }[];
  readonly delivery?: {
    readonly date: string;
    readonly dischargeDate: string | null;
    readonly mode: number;
    readonly outcome: number;
    readonly gaDays: number;
    readonly institutionId: string | null;
    /** Each baby: its own outcome (null on older rows: the delivery's) and weight (null or 0: not weighed). */
    readonly newborns: readonly {
      readonly outcome: 'live' | 'stillborn' | null;
      readonly weightGrams: number | null;
    }[];
    /** PlaceOfDelivery 1–6, null when not recorded. */
    readonly placeOfDelivery: number | null;
  };
  readonly postpartumVisits: readonly {
    readonly service: string;
    readonly date: string;
    readonly daysAfterDelivery: number;
  }[];
}

export interface ChildFactsInput {
  readonly patientId: string;
  readonly county: string;
  readonly birthDate: string;
  readonly dischargeDate: string | null;
  readonly checks: readonly {
    readonly service: string;
    readonly checkedOn: string;
    readonly growthMeasurementId: string | null;
    readonly institutionId: string | null;
  }[];
  readonly growth: readonly {
    readonly id: string;
    readonly measuredOn: string;
    readonly institutionId: string | null;
  }[];
  readonly doses: readonly {
    readonly vaccine: string;
    readonly programmeVaccine: string;
    readonly dose: number;
    readonly givenOn: string;
    readonly institutionId: string | null;
  }[];
  /** Birth facts for the programme's special rules (the HBsAg-exposed infant's HBIG counts as a programme dose). */
  readonly facts?: ChildFacts;
}

const LIVE_BIRTH = 1;
const CAESAREAN = 3;
/** 孕早期: up to 12+6 weeks. */
const FIRST_TRIMESTER_DAYS = 91;
/** 产后访视: within 28 days of delivery. */
const POSTPARTUM_VISIT_DAYS = 28;
const LOW_BIRTH_WEIGHT_GRAMS = 2500;
/** 住院分娩: PlaceOfDelivery prefecture, county or township hospital (乡镇卫生院及以上). */
const HOSPITAL_PLACES = new Set([1, 2, 3]);
/** 产妇: a woman delivered at 28 weeks or later, or of a live birth (a miscarriage is none). */
const DELIVERY_MIN_GA_DAYS = 196;
const HIGH_RISK_COLOURS = new Set(['yellow', 'orange', 'red', 'purple']);
const RISK_COLOURS = ['green', 'yellow', 'orange', 'red', 'purple', 'ungraded'];

const monthOf = (day: string): string => `${day.slice(0, 7)}-01`;

function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

function addYears(day: string, years: number): string {
  return `${String(Number(day.slice(0, 4)) + years).padStart(4, '0')}${day.slice(4)}`;
}

/** Deaths over live births: the live births of each delivery are their denominators (deathFacts their numerators). */
const MORTALITY_INDICATORS = [
  'maternal_mortality_ratio',
  'neonatal_mortality_rate',
  'infant_mortality_rate',
  'under5_mortality_rate',
  'maternal_near_miss_ratio',
] as const;

export interface DeathFactsInput {
  readonly id: string;
  readonly patientId: string;
  readonly kind: 'maternal' | 'child';
  readonly county: string;
  readonly institutionId: string | null;
  readonly deathDate: string;
  /** Child deaths: 'neonatal', 'infant' or 'under-5'. */
  readonly ageGroup: string | null;
}

/**
 * A death report's numerators, under the month of death and the county of residence: a maternal death counts for
 * the maternal mortality ratio; a child's death for under-5 mortality, and for infant and neonatal mortality by age.
 */
export function deathFacts(death: DeathFactsInput): StatisticsFact[] {
  const base = {
    patientId: death.patientId,
    subjectId: death.id,
    item: '',
    county: death.county,
    institutionId: death.institutionId,
    month: monthOf(death.deathDate),
    countedFrom: null,
    denominator: 0,
  };
  if (death.kind === 'maternal') return [{ ...base, indicator: 'maternal_mortality_ratio', numerator: 1 }];
  return [
    { ...base, indicator: 'under5_mortality_rate', numerator: 1 },
    {
      ...base,
      indicator: 'infant_mortality_rate',
      numerator: death.ageGroup === 'neonatal' || death.ageGroup === 'infant' ? 1 : 0,
    },
    { ...base, indicator: 'neonatal_mortality_rate', numerator: death.ageGroup === 'neonatal' ? 1 : 0 },
  ];
}

/**
 * A maternal near miss: one woman over live births under the month of the event and her county of residence. A
 * pregnancy she died in is a death, not a near miss (WHO 2011: she survived), and the caller leaves it out.
 */
export function nearMissFacts(nearMiss: {
  readonly pregnancyId: string;
  readonly patientId: string;
  readonly county: string;
  readonly institutionId: string | null;
  readonly eventDate: string;
}): StatisticsFact[] {
  return [
    {
      patientId: nearMiss.patientId,
      subjectId: nearMiss.pregnancyId,
      item: 'near-miss',
      county: nearMiss.county,
      institutionId: nearMiss.institutionId,
      month: monthOf(nearMiss.eventDate),
      countedFrom: null,
      indicator: 'maternal_near_miss_ratio',
      numerator: 1,
      denominator: 0,
    },
  ];
}

/** The facts of one pregnancy: registration under its month, delivery and postpartum under the delivery's. */
export function pregnancyFacts(
  pregnancy: PregnancyFactsInput,
  reference: RecordsReferenceData,
  today: string,
): StatisticsFact[] {
  const facts: StatisticsFact[] = [];
  const base = { patientId: pregnancy.patientId, subjectId: pregnancy.id, county: pregnancy.county, countedFrom: null };
  const registered = {
    ...base,
    item: '',
    institutionId: pregnancy.registeredAt,
    month: monthOf(pregnancy.registeredOn),
  };
  facts.push({ ...registered, indicator: 'pregnancies_registered', numerator: 1, denominator: 0 });
  facts.push({
    ...registered,
    indicator: 'early_registration',
    numerator: pregnancy.registeredGaDays < FIRST_TRIMESTER_DAYS ? 1 : 0,
    denominator: 1,
  });
  facts.push({
    ...registered,
    indicator: 'high_risk_cases_opened',
    numerator: pregnancy.caseOpened ? 1 : 0,
    denominator: 1,
  });
  const colour = pregnancy.riskColour || 'ungraded';
  for (const each of RISK_COLOURS)
    facts.push({ ...registered, indicator: `risk_colour_${each}`, numerator: each === colour ? 1 : 0, denominator: 1 });

  const delivery = pregnancy.delivery;
  if (!delivery) return facts;
  const delivered = { ...base, item: '', institutionId: delivery.institutionId, month: monthOf(delivery.date) };
  const visits = pregnancy.visits.length;
  const liveBorn =
    delivery.outcome === LIVE_BIRTH ? delivery.newborns.filter((baby) => (baby.outcome ?? 'live') === 'live') : [];
  // A live birth recorded without its babies is one live birth.
  const liveBirths = delivery.outcome === LIVE_BIRTH ? Math.max(1, liveBorn.length) : 0;
  const weighed = liveBorn
    .map((baby) => baby.weightGrams)
    .filter((weight): weight is number => weight !== null && weight > 0);
  const inHospital = delivery.placeOfDelivery !== null && HOSPITAL_PLACES.has(delivery.placeOfDelivery);
  const firstTrimester =
    pregnancy.registeredGaDays < FIRST_TRIMESTER_DAYS ||
    pregnancy.visits.some((visit) => visit.gaDays < FIRST_TRIMESTER_DAYS);
  const visitedPostpartum = pregnancy.postpartumVisits.some(
    (visit) => visit.daysAfterDelivery <= POSTPARTUM_VISIT_DAYS,
  );
  const woman = (indicator: string, counted: boolean): StatisticsFact => ({
    ...delivered,
    indicator,
    numerator: counted ? 1 : 0,
    denominator: liveBirths,
  });
  facts.push({ ...delivered, indicator: 'anc_coverage', numerator: visits >= 5 ? 1 : 0, denominator: 1 });
  // The national tables count 产妇 over live births: a stillbirth at 28 weeks adds a woman and no live birth.
  if (liveBirths > 0 || delivery.gaDays >= DELIVERY_MIN_GA_DAYS) {
    facts.push(
      { ...delivered, indicator: 'live_births', numerator: liveBirths, denominator: 0 },
      woman('antenatal_check_rate', visits >= 1),
      woman('early_antenatal_check_rate', firstTrimester),
      woman('antenatal_5_plus_rate', visits >= 5),
      woman('postpartum_visit_rate', visitedPostpartum),
      woman('maternal_system_management_rate', firstTrimester && visits >= 5 && visitedPostpartum),
      {
        ...delivered,
        indicator: 'high_risk_rate',
        numerator: [colour, ...pregnancy.gradedColours].some((each) => HIGH_RISK_COLOURS.has(each)) ? 1 : 0,
        denominator: 1,
      },
      {
        ...delivered,
        indicator: 'caesarean_rate',
        numerator: delivery.mode === CAESAREAN ? liveBirths : 0,
        denominator: liveBirths,
      },
      {
        ...delivered,
        indicator: 'low_birth_weight_rate',
        numerator: weighed.filter((weight) => weight < LOW_BIRTH_WEIGHT_GRAMS).length,
        denominator: weighed.length,
      },
      {
        ...delivered,
        indicator: 'hospital_delivery_rate',
        numerator: inHospital ? liveBirths : 0,
        denominator: liveBirths,
      },
      {
        ...delivered,
        indicator: 'place_of_delivery_unrecorded',
        numerator: delivery.placeOfDelivery === null ? 1 : 0,
        denominator: 0,
      },
      // The mortality indicators are over the period's live births; their deaths come from the death reports.
      ...MORTALITY_INDICATORS.map((indicator) => ({ ...delivered, indicator, numerator: 0, denominator: liveBirths })),
    );
  }

  // Postpartum coverage: the schedule's items, each filed under the delivery's month, counted once overdue.
  const schedule = scheduleInForce(reference.schedules, 'cn-bphs-postpartum', delivery.date);
  // Without a recorded discharge the home visit counts from the delivery: a missing date must not hide a missed visit.
  const anchors = { delivery: delivery.date, discharge: delivery.dischargeDate ?? delivery.date };
  const items = evaluateSchedule(schedule, {
    anchors,
    progress: { visits: pregnancy.postpartumVisits.map((visit) => ({ service: visit.service, date: visit.date })) },
    today,
  }).items;
  for (const [indicator, itemId] of [
    ['postpartum_visit_coverage', 'home-visit'],
    ['postpartum_42_day_check_coverage', 'check-42-day'],
  ] as const) {
    for (const item of items.filter((each) => each.itemId === itemId)) {
      const fact = itemFact(item, { ...base, institutionId: delivery.institutionId }, indicator, delivered.month);
      if (fact) facts.push(fact);
    }
  }
  return facts;
}

/** An evaluated schedule item as a fact: in the denominator once overdue, in the numerator when done on time. */
function itemFact(
  item: ItemState,
  base: { patientId: string; subjectId: string; county: string; institutionId: string | null },
  indicator: string,
  month?: string,
): StatisticsFact | undefined {
  if (item.overdueOn === undefined) return undefined;
  const onTime = item.status === 'done' && item.onTime === true;
  return {
    ...base,
    indicator,
    item: item.itemId,
    month: month ?? monthOf(item.overdueOn),
    countedFrom: item.overdueOn,
    numerator: onTime ? 1 : 0,
    denominator: 1,
  };
}

/** The facts of one child: birth, scheduled checks and doses, and one row per reporting year of 0–6. */
export function childFacts(child: ChildFactsInput, reference: RecordsReferenceData, today: string): StatisticsFact[] {
  const latest = [
    ...child.checks.map((c) => [c.checkedOn, c.institutionId] as const),
    ...child.growth.map((g) => [g.measuredOn, g.institutionId] as const),
    ...child.doses.map((d) => [d.givenOn, d.institutionId] as const),
  ]
    .filter(([, institution]) => institution !== null)
    .sort(([a], [b]) => b.localeCompare(a))[0];
  // Filed by institution: the one that last cared for the child.
  const base = {
    patientId: child.patientId,
    subjectId: child.patientId,
    county: child.county,
    institutionId: latest?.[1] ?? null,
  };
  const facts: StatisticsFact[] = [];
  const hepB1 = child.doses.some(
    (dose) => dose.programmeVaccine === 'HepB' && dose.dose === 1 && dose.givenOn <= addDays(child.birthDate, 1),
  );
  facts.push({
    ...base,
    indicator: 'immunization_hepb1_on_time',
    item: '',
    month: monthOf(child.birthDate),
    countedFrom: null,
    numerator: hepB1 ? 1 : 0,
    denominator: 1,
  });

  const anchors = { birth: child.birthDate, discharge: child.dischargeDate ?? child.birthDate };
  // The immunization edition is the child's (by birth date, or the one a transition moved the child to).
  const evaluate = (programme: string, progress: ScheduleProgress): readonly ItemState[] =>
    evaluateSchedule(scheduleForChild(reference.schedules, programme, child.birthDate), {
      anchors,
      progress,
      today,
      ...(child.facts ? { facts: child.facts } : {}),
    }).items;
  const checkVisits = childHealthVisits(
    child.checks.map((check) => ({
      service: check.service,
      checked_on: check.checkedOn,
      growth_measurement_id: check.growthMeasurementId,
    })),
    child.growth.map((measurement) => ({ id: measurement.id, measured_on: measurement.measuredOn })),
  );
  const checkItems = evaluate('cn-bphs-child-health', { visits: checkVisits });
  for (const item of checkItems) {
    const fact = itemFact(item, base, 'child_check_coverage');
    if (fact) facts.push(fact);
  }
  for (const item of evaluate('cn-nip', {
    doses: child.doses.map((dose) => ({ vaccine: dose.vaccine, dose: dose.dose, date: dose.givenOn })),
  })) {
    const fact = itemFact(item, base, 'immunization_coverage');
    if (fact) facts.push(fact);
  }

  // Reporting years (1 October – 30 September) in which the child was 0–6, up to the current one.
  const seen = new Set([...checkVisits.map((visit) => visit.date)]);
  const thirdBirthday = addYears(child.birthDate, 3);
  const seventhBirthday = addYears(child.birthDate, 7);
  const lastYear = reportingYearStart(today);
  for (
    let start = reportingYearStart(child.birthDate);
    start <= lastYear && start < seventhBirthday;
    start = addYears(start, 1)
  ) {
    const end = addYears(start, 1);
    const year = { ...base, item: start.slice(0, 4), month: start, countedFrom: null };
    const checkedInYear = [...seen].some((day) => day >= start && day < end);
    facts.push({
      ...year,
      indicator: 'under7_health_management_rate',
      numerator: checkedInYear ? 1 : 0,
      denominator: 1,
    });
    if (start < thirdBirthday) {
      const due = checkItems.filter(
        (item) =>
          item.dueOn !== undefined &&
          item.dueOn >= start &&
          item.dueOn < end &&
          item.dueOn < thirdBirthday &&
          (item.status !== 'not-applicable' || item.reason === 'window-closed'),
      );
      if (due.length > 0)
        facts.push({
          ...year,
          indicator: 'under3_system_management_rate',
          numerator: due.every((item) => item.status === 'done') ? 1 : 0,
          denominator: 1,
        });
    }
  }
  return facts;
}

const FACT_COLUMNS = [
  'patient_id',
  'indicator',
  'subject_id',
  'item',
  'county_code',
  'institution_id',
  'month',
  'counted_from',
  'numerator',
  'denominator',
] as const;

interface PregnancyInputRow {
  id: string;
  patient_id: string;
  county_code: string;
  registered_on: string;
  registered_ga_days: number;
  registered_at: string | null;
  risk_colour: string;
  graded: string[];
  case_opened: boolean;
  visits: { date: string; gaDays: number }[];
  delivery_date: string | null;
  discharge_date: string | null;
  mode: number | null;
  outcome: number | null;
  ga_days: number | null;
  delivery_institution: string | null;
  place_of_delivery: number | null;
  babies: { outcome: 'live' | 'stillborn' | null; weightGrams: number | null }[];
  postpartum: { service: string; date: string; days: number }[];
}

interface ChildInputRow {
  patient_id: string;
  county_code: string;
  birth_date: string;
  discharge_date: string | null;
  checks: { service: string; checkedOn: string; growthMeasurementId: string | null; institutionId: string | null }[];
  growth: { id: string; measuredOn: string; institutionId: string | null }[];
  doses: { vaccine: string; programmeVaccine: string; dose: number; givenOn: string; institutionId: string | null }[];
  birth_weight_grams: number | null;
  birth_pregnancy_known: boolean;
  birth_ga_days: number | null;
  birth_labs: LabResult[];
}

/** Writes facts with the record changes and keeps the rollups up to date. */
export class StatisticsFacts {
  constructor(private readonly reference: RecordsReferenceData) {}

  /** Every fact of these patients, from their rows as the transaction sees them. */
  async compute(tx: Queryable, patientIds: readonly string[], today = todayInChina()): Promise<StatisticsFact[]> {
    const [pregnancies, children, deaths, nearMisses] = await Promise.all([
      tx.query<PregnancyInputRow>(
        `SELECT p.id, p.patient_id, p.county_code, p.registered_on::text, p.registered_ga_days, p.registered_at, p.risk_colour,
                ARRAY(SELECT DISTINCT a.colour FROM risk_assessments a WHERE a.pregnancy_id = p.id AND a.kind = 'grade') AS graded,
                EXISTS (SELECT 1 FROM high_risk_cases h WHERE h.pregnancy_id = p.id) AS case_opened,
                coalesce((SELECT json_agg(json_build_object('date', v.visit_date, 'gaDays', v.ga_days)) FROM antenatal_visits v WHERE v.pregnancy_id = p.id), '[]') AS visits,
                d.delivery_date::text, d.discharge_date::text, d.mode, d.outcome, d.ga_days, d.institution_id AS delivery_institution, d.place_of_delivery,
                coalesce((SELECT json_agg(json_build_object('outcome', n ->> 'outcome', 'weightGrams', (n ->> 'birthWeightGrams')::integer)) FROM jsonb_array_elements(d.newborns) n), '[]') AS babies,
                coalesce((SELECT json_agg(json_build_object('service', k.service, 'date', k.visit_date, 'days', k.days_after_delivery)) FROM postpartum_visits k WHERE k.pregnancy_id = p.id), '[]') AS postpartum
         FROM pregnancies p LEFT JOIN deliveries d ON d.pregnancy_id = p.id
         WHERE p.patient_id = ANY($1::uuid[])`,
        [patientIds],
      ),
      tx.query<ChildInputRow>(
        `SELECT c.patient_id, c.county_code, c.birth_date::text, c.discharge_date::text,
                coalesce((SELECT json_agg(json_build_object('service', k.service, 'checkedOn', k.checked_on, 'growthMeasurementId', k.growth_measurement_id, 'institutionId', k.institution_id))
                          FROM child_checks k WHERE k.patient_id = c.patient_id), '[]') AS checks,
                coalesce((SELECT json_agg(json_build_object('id', g.id, 'measuredOn', g.measured_on, 'institutionId', g.institution_id)) FROM growth_measurements g WHERE g.patient_id = c.patient_id), '[]') AS growth,
                coalesce((SELECT json_agg(json_build_object('vaccine', i.vaccine, 'programmeVaccine', i.programme_vaccine, 'dose', i.dose, 'givenOn', i.given_on, 'institutionId', i.institution_id))
                          FROM immunizations i WHERE i.patient_id = c.patient_id), '[]') AS doses,
                c.birth_weight_grams,
                EXISTS (SELECT 1 FROM pregnancies p WHERE p.id = c.pregnancy_id) AS birth_pregnancy_known,
                (SELECT d.ga_days FROM deliveries d WHERE d.pregnancy_id = c.pregnancy_id) AS birth_ga_days,
                coalesce((SELECT json_agg(lab) FROM antenatal_visits v, jsonb_array_elements(v.labs) lab WHERE v.pregnancy_id = c.pregnancy_id), '[]') AS birth_labs
         FROM children c WHERE c.patient_id = ANY($1::uuid[])`,
        [patientIds],
      ),
      tx.query<{
        id: string;
        patient_id: string;
        kind: 'maternal' | 'child';
        county_code: string;
        reporting_institution_id: string | null;
        death_date: string;
        age_group: string | null;
      }>(
        `SELECT id, patient_id, kind, county_code, reporting_institution_id, death_date::text, details ->> 'ageGroup' AS age_group
         FROM death_reports WHERE patient_id = ANY($1::uuid[])`,
        [patientIds],
      ),
      tx.query<{
        pregnancy_id: string;
        patient_id: string;
        county_code: string;
        reporting_institution_id: string | null;
        event_date: string;
      }>(
        `SELECT n.pregnancy_id, n.patient_id, n.county_code, n.reporting_institution_id, n.event_date::text
         FROM maternal_near_misses n
         WHERE n.patient_id = ANY($1::uuid[])
           AND NOT EXISTS (SELECT 1 FROM death_reports d WHERE d.pregnancy_id = n.pregnancy_id)`,
        [patientIds],
      ),
    ]);
    const facts: StatisticsFact[] = [];
    for (const row of nearMisses.rows) {
      facts.push(
        ...nearMissFacts({
          pregnancyId: row.pregnancy_id,
          patientId: row.patient_id,
          county: row.county_code,
          institutionId: row.reporting_institution_id,
          eventDate: row.event_date,
        }),
      );
    }
    for (const row of deaths.rows) {
      facts.push(
        ...deathFacts({
          id: row.id,
          patientId: row.patient_id,
          kind: row.kind,
          county: row.county_code,
          institutionId: row.reporting_institution_id,
          deathDate: row.death_date,
          ageGroup: row.age_group,
        }),
      );
    }
    for (const row of pregnancies.rows) {
      facts.push(
        ...pregnancyFacts(
          {
            id: row.id,
            patientId: row.patient_id,
            county: row.county_code,
            registeredOn: row.registered_on,
            registeredGaDays: row.registered_ga_days,
            registeredAt: row.registered_at,
            riskColour: row.risk_colour,
            gradedColours: row.graded,
            caseOpened: row.case_opened,
            visits: row.visits,
            ...(row.delivery_date !== null
              ? {
                  delivery: {
                    date: row.delivery_date,
                    dischargeDate: row.discharge_date,
                    mode: row.mode ?? 0,
                    outcome: row.outcome ?? 0,
                    gaDays: row.ga_days ?? 0,
                    institutionId: row.delivery_institution,
                    newborns: row.babies,
                    placeOfDelivery: row.place_of_delivery,
                  },
                }
              : {}),
            postpartumVisits: row.postpartum.map((visit) => ({
              service: visit.service,
              date: visit.date,
              daysAfterDelivery: visit.days,
            })),
          },
          this.reference,
          today,
        ),
      );
    }
    for (const row of children.rows) {
      facts.push(
        ...childFacts(
          {
            patientId: row.patient_id,
            county: row.county_code,
            birthDate: row.birth_date,
            dischargeDate: row.discharge_date,
            checks: row.checks,
            growth: row.growth,
            doses: row.doses,
            // The same facts as the handbook's: the mother's HBsAg from the child's birth pregnancy, weight, gestation.
            facts: childFactsOf({
              birthWeightGrams: row.birth_weight_grams,
              ...(row.birth_pregnancy_known
                ? { pregnancy: { labs: row.birth_labs, gestationalAgeDays: row.birth_ga_days } }
                : {}),
            }),
          },
          this.reference,
          today,
        ),
      );
    }
    return facts;
  }

  /**
   * Replaces the facts of these patients inside the caller's transaction and marks the months whose rollups
   * changed. Called by every record change and by the bulk import.
   */
  async refresh(tx: PoolClient, patientIds: readonly string[]): Promise<void> {
    if (patientIds.length === 0) return;
    const facts = await this.compute(tx, patientIds);
    const { rows: removed } = await tx.query<{ month: string }>(
      'DELETE FROM statistics_facts WHERE patient_id = ANY($1::uuid[]) RETURNING month::text',
      [patientIds],
    );
    if (facts.length > 0) {
      await copyRows(
        tx,
        'statistics_facts',
        FACT_COLUMNS,
        facts.map((fact) => [
          fact.patientId,
          fact.indicator,
          fact.subjectId,
          fact.item,
          fact.county,
          fact.institutionId,
          fact.month,
          fact.countedFrom,
          fact.numerator,
          fact.denominator,
        ]),
      );
    }
    const months = [...new Set([...removed.map((row) => row.month), ...facts.map((fact) => fact.month)])].sort();
    await tx.query('INSERT INTO statistics_dirty_months (month) SELECT unnest($1::date[]) ON CONFLICT DO NOTHING', [
      months,
    ]);
  }
}

const ROLLUP_LOCK = 'mch:records:statistics-rollup';
/** Months folded per transaction, so that each stays well inside the statement timeout at prefecture scale. */
const MONTHS_PER_PASS = 3;

/**
 * Folds dirty months into the rollups, a few months per transaction, one records replica at a time (an advisory
 * lock). When the day changes, the months holding items that fell overdue since the last pass are dirty too.
 * Returns the months rolled up.
 */
export async function rollUpStatistics(db: Database, today = todayInChina()): Promise<string[]> {
  const marked = await db.withTransaction(async (tx) => {
    const { rows: lock } = await tx.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked',
      [ROLLUP_LOCK],
    );
    if (!lock[0]?.locked) return false;
    const { rows: state } = await tx.query<{ as_of: string | null }>(
      'SELECT rolled_up_as_of::text AS as_of FROM statistics_state FOR UPDATE',
    );
    const asOf = state[0]?.as_of ?? null;
    if (asOf === today) return true;
    if (asOf === null) {
      await tx.query(
        'INSERT INTO statistics_dirty_months (month) SELECT DISTINCT month FROM statistics_facts ON CONFLICT DO NOTHING',
      );
    } else {
      await tx.query(
        `INSERT INTO statistics_dirty_months (month) SELECT DISTINCT month FROM statistics_facts WHERE counted_from > $1::date AND counted_from <= $2::date ON CONFLICT DO NOTHING`,
        [asOf, today],
      );
    }
    await tx.query('UPDATE statistics_state SET rolled_up_as_of = $1::date', [today]);
    return true;
  });
  if (!marked) return [];
  const rolled: string[] = [];
  for (;;) {
    const months = await db.withTransaction(async (tx) => {
      const { rows: lock } = await tx.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked',
        [ROLLUP_LOCK],
      );
      if (!lock[0]?.locked) return [];
      const { rows } = await tx.query<{ month: string }>(
        `DELETE FROM statistics_dirty_months WHERE month IN (SELECT month FROM statistics_dirty_months ORDER BY month LIMIT $1) RETURNING month::text`,
        [MONTHS_PER_PASS],
      );
      const taken = rows.map((row) => row.month);
      if (taken.length === 0) return taken;
      await tx.query('DELETE FROM statistics_rollups WHERE month = ANY($1::date[])', [taken]);
      await tx.query(
        `INSERT INTO statistics_rollups (month, indicator, county_code, institution_id, numerator, denominator)
         SELECT month, indicator, county_code, coalesce(institution_id::text, ''), sum(numerator), sum(denominator)
         FROM statistics_facts
         WHERE month = ANY($1::date[]) AND (counted_from IS NULL OR counted_from <= $2::date OR numerator > 0)
         GROUP BY 1, 2, 3, 4`,
        [taken, today],
      );
      return taken;
    });
    if (months.length === 0) return rolled;
    rolled.push(...months);
  }
}

/**
 * Rebuilds every fact from the records (after a definition or schedule changes, or to backfill), in batches of
 * patients with its progress in statistics_state, then rolls every month up.
 */
export async function rebuildStatistics(
  db: Database,
  facts: StatisticsFacts,
  logger: Logger,
  batchSize = 500,
): Promise<{ patients: number }> {
  const { rows: total } = await db.rw.query<{ n: number }>('SELECT count(*)::int AS n FROM patient_records');
  await db.rw.query(
    'UPDATE statistics_state SET rebuild_started_at = now(), rebuild_done = 0, rebuild_total = $1, rebuild_finished_at = NULL',
    [total[0]?.n ?? 0],
  );
  let after = '00000000-0000-0000-0000-000000000000';
  let done = 0;
  for (;;) {
    const { rows } = await db.rw.query<{ patient_id: string }>(
      'SELECT patient_id::text FROM patient_records WHERE patient_id > $1::uuid ORDER BY patient_id LIMIT $2',
      [after, batchSize],
    );
    if (rows.length === 0) break;
    const ids = rows.map((row) => row.patient_id);
    await db.withTransaction((tx) => facts.refresh(tx, ids));
    done += ids.length;
    after = ids.at(-1) as string;
    await db.rw.query('UPDATE statistics_state SET rebuild_done = $1', [done]);
    logger.info({ done, total: total[0]?.n ?? 0 }, 'statistics rebuild progress');
  }
  await rollUpStatistics(db);
  await db.rw.query('UPDATE statistics_state SET rebuild_finished_at = now()');
  return { patients: done };
}

/** Runs the rollup pass every `intervalMs` until stopped; errors are logged, the next pass tries again. */
export function startRollups(db: Database, logger: Logger, intervalMs: number): { stop(): void } {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    rollUpStatistics(db)
      .then((months) => {
        if (months.length > 0) logger.debug({ months: months.length }, 'statistics rolled up');
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'statistics rollup failed'))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
