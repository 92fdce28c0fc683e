// Child health programmes beside the schedules (data under services/records/data/child-health/): newborn disease and
// hearing screening on the 1-3-6 path, the national psychological and behavioural warning signs, and nutrition
// classification from the WHO z-scores and haemoglobin. Pure: parse the files, then evaluate a child's entries.
import { addDays, addMonths, isoDateOf, parseIsoDate } from '../calendar';
import { DataFileError } from '../data-file';
import { InvalidArgumentError } from '../../../../common/src/errors';

export type ProgrammeConfirmation = 'confirmed' | 'secondary-sources' | 'unconfirmed';

export interface ScreeningCondition {
  readonly code: string;
  readonly zh: string;
  readonly en: string;
  readonly scope: 'national' | 'province';
  readonly confirmation?: ProgrammeConfirmation;
}

export interface NewbornScreeningProgramme {
  readonly id: string;
  readonly conditions: readonly ScreeningCondition[];
  readonly provinceAdditions: Readonly<Record<string, readonly ScreeningCondition[]>>;
  readonly sample: { readonly opensAfterDays: number; readonly dueByDays: number; readonly latestDays: number };
  readonly diseaseResults: readonly string[];
  readonly recallResults: readonly string[];
  readonly hearing: {
    readonly initial: { readonly opensAfterDays: number; readonly overdueAfterDays: number };
    readonly rescreenByDays: number;
    readonly diagnosisByMonths: number;
    readonly interventionByMonths: number;
    readonly screenResults: readonly string[];
    readonly diagnosisResults: readonly string[];
    readonly interventionResults: readonly string[];
  };
}

export interface WarningSignBand {
  readonly ageMonths: number;
  readonly confirmation: ProgrammeConfirmation;
  readonly items: readonly { readonly code: string; readonly zh: string }[];
}

export interface WarningSignTable {
  readonly id: string;
  readonly bands: readonly WarningSignBand[];
  readonly assessmentLevel: 'county' | 'prefecture';
  readonly capability: string;
}

export interface CutOff {
  readonly indicators: readonly string[];
  readonly below?: number;
  readonly above?: number;
}

export interface NutritionRules {
  readonly id: string;
  readonly underFiveUpToDays: number;
  readonly underFive: Readonly<Record<string, CutOff>>;
  readonly fromFive: Readonly<Record<string, CutOff>>;
  readonly implausible: Readonly<Record<string, { below: number; above: number }>>;
  readonly anaemia: readonly {
    fromMonths: number;
    toMonths: number;
    belowGramsPerLitre: number;
    moderateBelow: number;
    severeBelow: number;
  }[];
  readonly weakChildEnrolFor: readonly string[];
  readonly displayReference: {
    readonly available: readonly string[];
    readonly default: string;
    readonly institutions: Readonly<Record<string, string>>;
  };
}

export interface ChildHealthProgrammes {
  readonly newbornScreening: NewbornScreeningProgramme;
  readonly warningSigns: WarningSignTable;
  readonly nutrition: NutritionRules;
}

type Json = Record<string, unknown>;

function need<T>(file: string, where: string, value: unknown, check: (v: unknown) => boolean, what: string): T {
  if (!check(value)) throw new DataFileError(file, where, `must be ${what}`);
  return value as T;
}
const isNumber = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
const isString = (v: unknown): boolean => typeof v === 'string' && v.length > 0;
const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStrings = (v: unknown): boolean => Array.isArray(v) && v.every(isString);
const CONFIRMATIONS = ['confirmed', 'secondary-sources', 'unconfirmed'];

function condition(file: string, where: string, value: unknown): ScreeningCondition {
  const node = need<Json>(file, where, value, isObject, 'an object');
  return {
    code: need(file, `${where}.code`, node.code, isString, 'a code'),
    zh: need(file, `${where}.zh`, node.zh, isString, 'text'),
    en: need(file, `${where}.en`, node.en, isString, 'text'),
    scope: need(file, `${where}.scope`, node.scope, (v) => v === 'national' || v === 'province', 'national|province'),
    ...(node.confirmation === undefined
      ? {}
      : {
          confirmation: need<ProgrammeConfirmation>(
            file,
            `${where}.confirmation`,
            node.confirmation,
            (v) => CONFIRMATIONS.includes(v as string),
            CONFIRMATIONS.join('|'),
          ),
        }),
  };
}

export function parseNewbornScreening(file: string, text: string): NewbornScreeningProgramme {
  const root = need<Json>(file, '', JSON.parse(text), isObject, 'an object');
  const disease = need<Json>(file, 'disease', root.disease, isObject, 'an object');
  const hearing = need<Json>(file, 'hearing', root.hearing, isObject, 'an object');
  const conditions = need<unknown[]>(file, 'disease.conditions', disease.conditions, Array.isArray, 'a list').map(
    (c, i) => condition(file, `disease.conditions[${i}]`, c),
  );
  const additions = need<Json>(file, 'disease.provinceAdditions', disease.provinceAdditions, isObject, 'an object');
  const provinceAdditions: Record<string, ScreeningCondition[]> = {};
  for (const [province, list] of Object.entries(additions)) {
    provinceAdditions[province] = need<unknown[]>(
      file,
      `disease.provinceAdditions.${province}`,
      list,
      Array.isArray,
      'a list',
    ).map((c, i) => condition(file, `disease.provinceAdditions.${province}[${i}]`, c));
  }
  const sample = need<Json>(file, 'disease.sample', disease.sample, isObject, 'an object');
  const num = (node: Json, key: string, where: string): number =>
    need<number>(file, `${where}.${key}`, node[key], isNumber, 'a number');
  const initial = need<Json>(file, 'hearing.initial', hearing.initial, isObject, 'an object');
  const rescreen = need<Json>(file, 'hearing.rescreen', hearing.rescreen, isObject, 'an object');
  const diagnosis = need<Json>(file, 'hearing.diagnosis', hearing.diagnosis, isObject, 'an object');
  const intervention = need<Json>(file, 'hearing.intervention', hearing.intervention, isObject, 'an object');
  return {
    id: need(file, 'id', root.id, isString, 'an id'),
    conditions,
    provinceAdditions,
    sample: {
      opensAfterDays: num(sample, 'opensAfterDays', 'disease.sample'),
      dueByDays: num(sample, 'dueByDays', 'disease.sample'),
      latestDays: num(sample, 'latestDays', 'disease.sample'),
    },
    diseaseResults: need(file, 'disease.results', disease.results, isStrings, 'a list of codes'),
    recallResults: need(file, 'disease.recallResults', disease.recallResults, isStrings, 'a list of codes'),
    hearing: {
      initial: {
        opensAfterDays: num(initial, 'opensAfterDays', 'hearing.initial'),
        overdueAfterDays: num(initial, 'overdueAfterDays', 'hearing.initial'),
      },
      rescreenByDays: num(rescreen, 'byDays', 'hearing.rescreen'),
      diagnosisByMonths: num(diagnosis, 'byMonths', 'hearing.diagnosis'),
      interventionByMonths: num(intervention, 'byMonths', 'hearing.intervention'),
      screenResults: need(file, 'hearing.screenResults', hearing.screenResults, isStrings, 'a list of codes'),
      diagnosisResults: need(file, 'hearing.diagnosisResults', hearing.diagnosisResults, isStrings, 'a list of codes'),
      interventionResults: need(
        file,
        'hearing.interventionResults',
        hearing.interventionResults,
        isStrings,
        'a list of codes',
      ),
    },
  };
}

export function parseWarningSigns(file: string, text: string): WarningSignTable {
  const root = need<Json>(file, '', JSON.parse(text), isObject, 'an object');
  const anyPositive = need<Json>(file, 'anyPositive', root.anyPositive, isObject, 'an object');
  const codes = new Set<string>();
  const bands = need<unknown[]>(file, 'bands', root.bands, Array.isArray, 'a list').map((value, b) => {
    const band = need<Json>(file, `bands[${b}]`, value, isObject, 'an object');
    const items = need<unknown[]>(file, `bands[${b}].items`, band.items, Array.isArray, 'a list').map((item, i) => {
      const node = need<Json>(file, `bands[${b}].items[${i}]`, item, isObject, 'an object');
      const code = need<string>(file, `bands[${b}].items[${i}].code`, node.code, isString, 'a code');
      if (codes.has(code)) throw new DataFileError(file, `bands[${b}].items[${i}].code`, `"${code}" defined twice`);
      codes.add(code);
      return { code, zh: need<string>(file, `bands[${b}].items[${i}].zh`, node.zh, isString, 'text') };
    });
    return {
      ageMonths: need<number>(file, `bands[${b}].ageMonths`, band.ageMonths, isNumber, 'a number'),
      confirmation: need<ProgrammeConfirmation>(
        file,
        `bands[${b}].confirmation`,
        band.confirmation,
        (v) => CONFIRMATIONS.includes(v as string),
        CONFIRMATIONS.join('|'),
      ),
      items,
    };
  });
  return {
    id: need(file, 'id', root.id, isString, 'an id'),
    bands: [...bands].sort((a, b) => a.ageMonths - b.ageMonths),
    assessmentLevel: need(
      file,
      'anyPositive.assessmentLevel',
      anyPositive.assessmentLevel,
      (v) => v === 'county' || v === 'prefecture',
      'county|prefecture',
    ),
    capability: need(file, 'anyPositive.capability', anyPositive.capability, isString, 'a capability'),
  };
}

function cutOffs(file: string, where: string, value: unknown): Record<string, CutOff> {
  const node = need<Json>(file, where, value, isObject, 'an object');
  const out: Record<string, CutOff> = {};
  for (const [name, raw] of Object.entries(node)) {
    if (name === 'upToDays') continue;
    const c = need<Json>(file, `${where}.${name}`, raw, isObject, 'an object');
    const indicator = need<string>(file, `${where}.${name}.indicator`, c.indicator, isString, 'an indicator');
    // WHO's weight-for-length (under 2 years) and weight-for-height are one classification.
    const indicators =
      indicator === 'weight-for-length-height' ? ['weight-for-length', 'weight-for-height'] : [indicator];
    if (c.below === undefined && c.above === undefined)
      throw new DataFileError(file, `${where}.${name}`, 'needs below or above');
    out[name] = {
      indicators,
      ...(c.below === undefined
        ? {}
        : { below: need<number>(file, `${where}.${name}.below`, c.below, isNumber, 'a number') }),
      ...(c.above === undefined
        ? {}
        : { above: need<number>(file, `${where}.${name}.above`, c.above, isNumber, 'a number') }),
    };
  }
  return out;
}

export function parseNutritionRules(file: string, text: string): NutritionRules {
  const root = need<Json>(file, '', JSON.parse(text), isObject, 'an object');
  const underFive = need<Json>(file, 'underFive', root.underFive, isObject, 'an object');
  const implausibleNode = need<Json>(file, 'implausible', root.implausible, isObject, 'an object');
  const implausible: Record<string, { below: number; above: number }> = {};
  for (const [indicator, raw] of Object.entries(implausibleNode)) {
    if (indicator === 'source') continue;
    const c = need<Json>(file, `implausible.${indicator}`, raw, isObject, 'an object');
    const bounds = {
      below: need<number>(file, `implausible.${indicator}.below`, c.below, isNumber, 'a number'),
      above: need<number>(file, `implausible.${indicator}.above`, c.above, isNumber, 'a number'),
    };
    for (const name of indicator === 'weight-for-length-height'
      ? ['weight-for-length', 'weight-for-height']
      : [indicator])
      implausible[name] = bounds;
  }
  const anaemia = need<unknown[]>(file, 'anaemia', root.anaemia, Array.isArray, 'a list').map((raw, i) => {
    const c = need<Json>(file, `anaemia[${i}]`, raw, isObject, 'an object');
    const n = (key: string): number => need<number>(file, `anaemia[${i}].${key}`, c[key], isNumber, 'a number');
    return {
      fromMonths: n('fromMonths'),
      toMonths: n('toMonths'),
      belowGramsPerLitre: n('belowGramsPerLitre'),
      moderateBelow: n('moderateBelow'),
      severeBelow: n('severeBelow'),
    };
  });
  const weakChild = need<Json>(file, 'weakChild', root.weakChild, isObject, 'an object');
  const display = need<Json>(file, 'displayReference', root.displayReference, isObject, 'an object');
  const available = need<string[]>(file, 'displayReference.available', display.available, isStrings, 'a list');
  const institutions = need<Record<string, string>>(
    file,
    'displayReference.institutions',
    display.institutions,
    isObject,
    'an object',
  );
  for (const [institution, reference] of Object.entries(institutions))
    if (!available.includes(reference))
      throw new DataFileError(
        file,
        `displayReference.institutions.${institution}`,
        `"${reference}" is not an available reference (${available.join(', ')})`,
      );
  const defaultReference = need<string>(
    file,
    'displayReference.default',
    display.default,
    (v) => available.includes(v as string),
    `one of ${available.join(', ')}`,
  );
  return {
    id: need(file, 'id', root.id, isString, 'an id'),
    underFiveUpToDays: need<number>(file, 'underFive.upToDays', underFive.upToDays, isNumber, 'a number'),
    underFive: cutOffs(file, 'underFive', root.underFive),
    fromFive: cutOffs(file, 'fromFive', root.fromFive),
    implausible,
    anaemia,
    weakChildEnrolFor: need(file, 'weakChild.enrolFor', weakChild.enrolFor, isStrings, 'a list of classifications'),
    displayReference: { available, default: defaultReference, institutions },
  };
}

/** The growth reference an institution displays (data); statistics never read this. */
export function displayReferenceFor(rules: NutritionRules, institutionId: string | undefined): string {
  return (institutionId && rules.displayReference.institutions[institutionId]) || rules.displayReference.default;
}

// ---------------------------------------------------------------------------------------------------------------
// Newborn screening

export type NewbornStage = 'sample' | 'recall' | 'initial' | 'rescreen' | 'diagnosis' | 'intervention';
export const DISEASE_STAGES: readonly NewbornStage[] = ['sample', 'recall'];
export const HEARING_STAGES: readonly NewbornStage[] = ['initial', 'rescreen', 'diagnosis', 'intervention'];

export interface NewbornScreeningEntry {
  readonly id: string;
  readonly stage: NewbornStage;
  readonly performedOn: string;
  /** Disease: condition code → result; hearing screens: left/right → pass|refer; diagnosis/intervention: outcome. */
  readonly results: Readonly<Record<string, string>>;
  readonly institutionId: string | null;
}

/** The conditions screened for a child of this county (national ones plus the province's additions). */
export function conditionsFor(programme: NewbornScreeningProgramme, countyCode: string): ScreeningCondition[] {
  return [...programme.conditions, ...(programme.provinceAdditions[countyCode.slice(0, 2)] ?? [])];
}

export interface NewbornScreeningInput {
  readonly stage: string;
  readonly results: readonly { readonly key: string; readonly value: string }[];
}

/** Checks a newborn screening entry against the programme; names `stage` or `results[i]…` on bad input. */
export function checkNewbornScreening(
  programme: NewbornScreeningProgramme,
  countyCode: string,
  input: NewbornScreeningInput,
): { stage: NewbornStage; results: Record<string, string> } {
  const stage = input.stage.trim() as NewbornStage;
  if (![...DISEASE_STAGES, ...HEARING_STAGES].includes(stage))
    throw InvalidArgumentError.field('stage', `must be one of ${[...DISEASE_STAGES, ...HEARING_STAGES].join(', ')}`);
  const results: Record<string, string> = {};
  const codes = conditionsFor(programme, countyCode).map((c) => c.code);
  const allowedKeys: readonly string[] =
    stage === 'sample' || stage === 'recall'
      ? codes
      : stage === 'initial' || stage === 'rescreen'
        ? ['left', 'right']
        : ['outcome'];
  const allowedValues: readonly string[] =
    stage === 'sample'
      ? programme.diseaseResults
      : stage === 'recall'
        ? programme.recallResults
        : stage === 'diagnosis'
          ? programme.hearing.diagnosisResults
          : stage === 'intervention'
            ? programme.hearing.interventionResults
            : programme.hearing.screenResults;
  input.results.forEach((result, i) => {
    const key = result.key.trim();
    if (!allowedKeys.includes(key))
      throw InvalidArgumentError.field(`results[${i}].key`, `must be one of ${allowedKeys.join(', ')} for ${stage}`);
    if (key in results) throw InvalidArgumentError.field(`results[${i}].key`, `"${key}" given twice`);
    if (!allowedValues.includes(result.value.trim()))
      throw InvalidArgumentError.field(`results[${i}].value`, `must be one of ${allowedValues.join(', ')}`);
    results[key] = result.value.trim();
  });
  if (stage === 'initial' || stage === 'rescreen') {
    if (!('left' in results) || !('right' in results))
      throw InvalidArgumentError.field('results', 'give the result of each ear (left and right)');
  } else if (stage === 'sample') {
    if (Object.keys(results).length === 0) throw InvalidArgumentError.field('results', 'give at least one condition');
  } else if (Object.keys(results).length !== 1) {
    throw InvalidArgumentError.field(
      'results',
      stage === 'recall' ? 'give the recalled condition' : 'give the outcome',
    );
  }
  return { stage, results };
}

export type FollowUpKind =
  | 'hearing-initial'
  | 'hearing-rescreen'
  | 'hearing-diagnosis'
  | 'hearing-intervention'
  | 'disease-sample'
  | 'disease-recall';

export interface FollowUpItem {
  readonly kind: FollowUpKind;
  readonly status: 'due' | 'overdue';
  readonly dueOn: string;
  /** The first day the item is late. */
  readonly overdueOn: string;
  /** The entry that caused it (a failed screen, a positive sample); empty for a missed screen. */
  readonly causeEntryId: string;
  /** Disease recall: the condition. */
  readonly condition: string;
  /** Where the cause was recorded: the institution responsible for the follow-up. */
  readonly institutionId: string | null;
}

const refers = (entry: NewbornScreeningEntry): boolean => Object.values(entry.results).includes('refer');

function latest(entries: readonly NewbornScreeningEntry[], stage: NewbornStage): NewbornScreeningEntry | undefined {
  return entries
    .filter((entry) => entry.stage === stage)
    .sort((a, b) => a.performedOn.localeCompare(b.performedOn))
    .at(-1);
}

/**
 * The open items of the child's newborn screening on `today`: the hearing 1-3-6 path (initial screen; rescreen by
 * 42 days after a refer or a missed initial screen; diagnosis by 3 months after a failed rescreen; intervention by 6
 * months after a diagnosed hearing loss) and the blood spot (sample by day 7, at the latest day 20; recall of each
 * positive condition). Done steps are not listed.
 */
export function newbornFollowUps(
  programme: NewbornScreeningProgramme,
  birthDate: string,
  entries: readonly NewbornScreeningEntry[],
  today: string,
  birthInstitutionId: string | null,
): FollowUpItem[] {
  const birth = parseIsoDate(birthDate, 'birthDate');
  const now = parseIsoDate(today, 'today');
  const items: FollowUpItem[] = [];
  const push = (
    kind: FollowUpKind,
    dueDay: number,
    overdueDay: number,
    cause: NewbornScreeningEntry | undefined,
    condition = '',
  ): void => {
    if (now < dueDay) return;
    items.push({
      kind,
      status: now >= overdueDay ? 'overdue' : 'due',
      dueOn: isoDateOf(dueDay),
      overdueOn: isoDateOf(overdueDay),
      causeEntryId: cause?.id ?? '',
      condition,
      institutionId: cause?.institutionId ?? birthInstitutionId,
    });
  };
  const hearing = programme.hearing;
  const initial = latest(entries, 'initial');
  const rescreen = latest(entries, 'rescreen');
  const diagnosis = latest(entries, 'diagnosis');
  const intervention = latest(entries, 'intervention');
  const rescreenLate = addDays(birth, hearing.rescreenByDays + 1);
  const diagnosisLate = addDays(addMonths(birth, hearing.diagnosisByMonths), 1);
  const interventionLate = addDays(addMonths(birth, hearing.interventionByMonths), 1);
  if (!initial && !rescreen) {
    const missedFrom = addDays(birth, hearing.initial.overdueAfterDays);
    if (now < missedFrom)
      push('hearing-initial', addDays(birth, hearing.initial.opensAfterDays), missedFrom, undefined);
    // A screen missed before discharge is caught up by the rescreen, by 42 days.
    else push('hearing-rescreen', missedFrom, rescreenLate, undefined);
  } else if (initial && refers(initial) && !rescreen) {
    push('hearing-rescreen', parseIsoDate(initial.performedOn, 'performedOn'), rescreenLate, initial);
  }
  if (rescreen && refers(rescreen) && !diagnosis) {
    push('hearing-diagnosis', parseIsoDate(rescreen.performedOn, 'performedOn'), diagnosisLate, rescreen);
  }
  if (diagnosis && diagnosis.results.outcome === 'hearing-loss' && !intervention) {
    push('hearing-intervention', parseIsoDate(diagnosis.performedOn, 'performedOn'), interventionLate, diagnosis);
  }
  const samples = entries.filter((entry) => entry.stage === 'sample');
  const usable = samples.filter((entry) => !Object.values(entry.results).every((r) => r === 'unsatisfactory-sample'));
  if (usable.length === 0) {
    const cause = samples.at(-1);
    push(
      'disease-sample',
      cause ? parseIsoDate(cause.performedOn, 'performedOn') : addDays(birth, programme.sample.opensAfterDays),
      addDays(birth, (cause ? programme.sample.latestDays : programme.sample.dueByDays) + 1),
      cause,
    );
  }
  const recalls = entries.filter((entry) => entry.stage === 'recall');
  for (const sample of usable) {
    for (const [code, result] of Object.entries(sample.results)) {
      if (result !== 'positive') continue;
      if (recalls.some((recall) => code in recall.results && recall.performedOn >= sample.performedOn)) continue;
      // A positive is recalled at once: due from the result, late a week after (unconfirmed: a platform choice).
      const from = parseIsoDate(sample.performedOn, 'performedOn');
      push('disease-recall', from, addDays(from, 7), sample, code);
    }
  }
  return items;
}

// ---------------------------------------------------------------------------------------------------------------
// Psychological and behavioural warning signs

/**
 * The band of a check on `checkedOn`: the latest band whose age the check has reached, a check counting from 14 days
 * before its age as the child health checks do (the 12-month check opens at 12 months less 14 days).
 */
export function warningSignBandFor(
  table: WarningSignTable,
  birthDate: string,
  checkedOn: string,
): WarningSignBand | undefined {
  const birth = parseIsoDate(birthDate, 'birthDate');
  const on = parseIsoDate(checkedOn, 'checkedOn');
  return table.bands.filter((band) => addDays(addMonths(birth, band.ageMonths), -14) <= on).at(-1);
}

export interface WarningSignAnswer {
  readonly code: string;
  readonly present: boolean;
}

/** Every item of the band answered once, nothing else; names `items[i].code` or `items`. */
export function checkWarningSigns(
  band: WarningSignBand,
  answers: readonly WarningSignAnswer[],
): { answers: WarningSignAnswer[]; positive: string[] } {
  const codes = band.items.map((item) => item.code);
  const seen = new Set<string>();
  answers.forEach((answer, i) => {
    if (!codes.includes(answer.code))
      throw InvalidArgumentError.field(
        `items[${i}].code`,
        `"${answer.code}" is not a sign of the ${band.ageMonths}-month band (${codes.join(', ')})`,
      );
    if (seen.has(answer.code)) throw InvalidArgumentError.field(`items[${i}].code`, `"${answer.code}" answered twice`);
    seen.add(answer.code);
  });
  const missing = codes.filter((code) => !seen.has(code));
  if (missing.length > 0) throw InvalidArgumentError.field('items', `answer every sign; missing ${missing.join(', ')}`);
  return {
    answers: codes.map((code) => ({ code, present: answers.some((a) => a.code === code && a.present) })),
    positive: codes.filter((code) => answers.some((a) => a.code === code && a.present)),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Nutrition

export interface NutritionAssessment {
  /** e.g. "wasting", "underweight", "anaemia-moderate"; empty when none applies. */
  readonly classifications: string[];
  /** Indicators whose z-score is outside WHO's plausible range: classified from nothing, to be re-measured. */
  readonly implausible: string[];
}

/**
 * Classifies one measurement (its stored WHO z-scores) and, when given, haemoglobin in g/L. A flagged (implausible)
 * z-score classifies nothing. Weight-for-length/height is used under five, BMI-for-age from five.
 */
export function classifyNutrition(
  rules: NutritionRules,
  ageDays: number,
  zScores: readonly { readonly indicator: string; readonly zScore: number }[],
  haemoglobin?: number,
): NutritionAssessment {
  const implausible = zScores
    .filter((z) => {
      const bounds = rules.implausible[z.indicator];
      return bounds !== undefined && (z.zScore < bounds.below || z.zScore > bounds.above);
    })
    .map((z) => z.indicator);
  const usable = zScores.filter((z) => !implausible.includes(z.indicator));
  const cutOffsForAge = ageDays <= rules.underFiveUpToDays ? rules.underFive : rules.fromFive;
  const classifications: string[] = [];
  for (const [name, cut] of Object.entries(cutOffsForAge)) {
    const z = usable.find((candidate) => cut.indicators.includes(candidate.indicator));
    if (!z) continue;
    if ((cut.below !== undefined && z.zScore < cut.below) || (cut.above !== undefined && z.zScore > cut.above))
      classifications.push(name);
  }
  // Obesity is the higher band of overweight: report the one that applies.
  const reported = classifications.includes('obesity')
    ? classifications.filter((name) => name !== 'overweight')
    : classifications;
  if (haemoglobin !== undefined) {
    const months = ageDays / 30.4375;
    const band = rules.anaemia.find((b) => months >= b.fromMonths && months < b.toMonths);
    if (band && haemoglobin < band.belowGramsPerLitre) {
      reported.push(
        haemoglobin < band.severeBelow
          ? 'anaemia-severe'
          : haemoglobin < band.moderateBelow
            ? 'anaemia-moderate'
            : 'anaemia-mild',
      );
    }
  }
  return { classifications: reported, implausible };
}

/** The classifications that suggest 体弱儿 enrolment (a clinician confirms; nothing enrols by itself). */
export function weakChildReasons(rules: NutritionRules, assessment: NutritionAssessment): string[] {
  return assessment.classifications.filter((name) => rules.weakChildEnrolFor.includes(name));
}
