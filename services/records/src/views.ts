// Rows -> API messages. Sensitive content (infectious-disease labs and findings, colours that stand beside such
// as purple, screenings, and free text classified sensitive when written) is left out unless the caller may see it;
// the record then says so, and each entry whose text was withheld says that too.
import {
  AntenatalVisit,
  ChildCheck,
  ChildRecord,
  ChildSex,
  Delivery,
  GestationalAge,
  GrowthMeasurement,
  HighRiskCase,
  ImagingStudy,
  Immunization,
  ImmunizationDeferral,
  NewbornOutcome,
  PlaceOfDelivery,
  PostpartumVisit,
  Pregnancy,
  PregnancyOutcome,
  RecordVersion,
  RiskAssessment,
  RiskEvent,
  RiskStatus,
  Screening,
} from '../../common/src/gen/mch/records/v1/records';
import { textWithheld, visibleText } from '../../common/src/sensitive-text';
import { SENSITIVE_FINDINGS } from './domain';
import type {
  AssessmentRow,
  ChildCheckRow,
  ChildRow,
  DeliveryRow,
  GrowthRow,
  HighRiskCaseRow,
  ImagingStudyRow,
  ImmunizationDeferralRow,
  ImmunizationRow,
  PostpartumVisitRow,
  PregnancyRow,
  RiskEventRow,
  ScreeningRow,
  VersionRow,
  VisitRow,
} from './repository';

export function gestationalAge(days: number): GestationalAge {
  return { weeks: Math.floor(days / 7), days: days % 7 };
}

const num = (value: string | null): number | undefined => (value === null ? undefined : Number(value));
const optionalNumber = (value: number | null): number | undefined => (value === null ? undefined : value);

/** What this caller may see of a patient's sensitive entries, and which colours are sensitive in the rule set. */
export interface Visibility {
  readonly sensitive: boolean;
  readonly sensitiveColours: ReadonlySet<string>;
  /** Rules of sensitive colours: their ids as screen reasons would reveal the condition. */
  readonly sensitiveRules: ReadonlySet<string>;
}

export const FULL_VISIBILITY: Visibility = { sensitive: true, sensitiveColours: new Set(), sensitiveRules: new Set() };

function visibleReasons(ruleIds: readonly string[], visibility: Visibility): string[] {
  return visibility.sensitive ? [...ruleIds] : ruleIds.filter((id) => !visibility.sensitiveRules.has(id));
}

function visibleFindings(findings: readonly string[], visibility: Visibility): string[] {
  return visibility.sensitive ? [...findings] : findings.filter((code) => !SENSITIVE_FINDINGS.has(code));
}

function visibleColours(colours: readonly string[], visibility: Visibility): string[] {
  return visibility.sensitive ? [...colours] : colours.filter((colour) => !visibility.sensitiveColours.has(colour));
}

export function toRiskStatus(row: PregnancyRow, visibility: Visibility): RiskStatus {
  return {
    colour: row.risk_colour,
    besideColours: visibleColours(row.risk_beside, visibility),
    screenPositive: row.screen_positive,
    screenReasons: visibleReasons(row.screen_reasons, visibility),
    inCaseManagement: row.in_case_management,
    gradedAt: row.risk_graded_at ?? undefined,
    regradeProposal: row.regrade_proposal
      ? {
          id: row.regrade_proposal.id,
          ruleSetId: row.regrade_proposal.ruleSetId,
          confirmedColour: row.regrade_proposal.confirmedColour,
          confirmedBeside: visibleColours(row.regrade_proposal.confirmedBeside, visibility),
          proposedColour: row.regrade_proposal.proposedColour,
          proposedBeside: visibleColours(row.regrade_proposal.proposedBeside, visibility),
          ruleIds: visibleReasons(row.regrade_proposal.ruleIds, visibility),
          proposedAt: new Date(row.regrade_proposal.proposedAt),
        }
      : undefined,
  };
}

export function toVisit(row: VisitRow, visibility: Visibility): AntenatalVisit {
  return {
    id: row.id,
    visitDate: row.visit_date,
    gestationalAge: gestationalAge(row.ga_days),
    institutionId: row.institution_id ?? '',
    authorId: row.author_id,
    systolicBp: optionalNumber(row.systolic_bp),
    diastolicBp: optionalNumber(row.diastolic_bp),
    weightKg: num(row.weight_kg),
    fundalHeightCm: num(row.fundal_height_cm),
    fetalHeartRate: optionalNumber(row.fetal_heart_rate),
    proteinuria: row.proteinuria,
    haemoglobin: num(row.haemoglobin),
    plateletCount: num(row.platelet_count),
    findings: visibleFindings(row.findings, visibility),
    // Every coded lab (HBsAg, syphilis, HIV, TB) is an infectious-disease result.
    labs: visibility.sensitive
      ? row.labs.map((lab) => ({ code: lab.code, result: lab.result, resultedOn: lab.resultedOn }))
      : [],
    notes: visibleText(row.notes, row.notes_sensitivity, visibility.sensitive),
    screenPositive: row.screen_positive,
    screenReasons: visibleReasons(row.screen_reasons, visibility),
    textWithheld: textWithheld(row.notes, row.notes_sensitivity, visibility.sensitive),
    contentDone: [...(row.content_done ?? [])],
  };
}

export function toAssessment(row: AssessmentRow, visibility: Visibility): RiskAssessment {
  return {
    id: row.id,
    kind: row.kind,
    assessedOn: row.assessed_on,
    ruleSetId: row.rule_set_id,
    proposedColour: row.proposed_colour,
    proposedBesideColours: visibleColours(row.proposed_beside, visibility),
    firedRules: row.fired_rules
      .filter(
        (rule) =>
          visibility.sensitive ||
          !(visibility.sensitiveColours.has(rule.colour) || visibility.sensitiveRules.has(rule.ruleId)),
      )
      .map((rule) => ({ ruleId: rule.ruleId, colour: rule.colour, labelZh: rule.labelZh, labelEn: rule.labelEn })),
    unassessedMetrics: row.unassessed_metrics,
    colour: row.colour,
    besideColours: visibleColours(row.beside_colours, visibility),
    overridesProposal: row.overrides_proposal,
    reason: visibleText(row.reason, row.reason_sensitivity, visibility.sensitive),
    screenPositive: row.screen_positive,
    inCaseManagement: row.in_case_management,
    assessorId: row.assessor_id,
    institutionId: row.institution_id ?? '',
    recordedAt: row.recorded_at,
    textWithheld: textWithheld(row.reason, row.reason_sensitivity, visibility.sensitive),
  };
}

const SEX_TO_PROTO = { female: ChildSex.CHILD_SEX_FEMALE, male: ChildSex.CHILD_SEX_MALE } as const;

export function childSex(sex: 'female' | 'male'): ChildSex {
  return SEX_TO_PROTO[sex];
}

export function toDelivery(row: DeliveryRow): Delivery {
  return {
    deliveryDate: row.delivery_date,
    dischargeDate: row.discharge_date ?? '',
    mode: row.mode,
    outcome: row.outcome,
    gestationalAge: gestationalAge(row.ga_days),
    institutionId: row.institution_id ?? '',
    newborns: row.newborns.map((newborn) => ({
      childPatientId: newborn.childPatientId,
      birthOrder: newborn.birthOrder,
      sex: newborn.sex ? childSex(newborn.sex) : ChildSex.CHILD_SEX_UNSPECIFIED,
      birthWeightGrams: newborn.birthWeightGrams,
      birthLengthCm: newborn.birthLengthCm,
      birthCertificateNumber: newborn.birthCertificateNumber,
      outcome:
        (newborn.outcome ??
          (row.outcome === (PregnancyOutcome.PREGNANCY_OUTCOME_STILLBIRTH as number) ? 'stillborn' : 'live')) === 'live'
          ? NewbornOutcome.NEWBORN_OUTCOME_LIVE_BIRTH
          : NewbornOutcome.NEWBORN_OUTCOME_STILLBIRTH,
    })),
    placeOfDelivery: row.place_of_delivery ?? PlaceOfDelivery.PLACE_OF_DELIVERY_UNSPECIFIED,
  };
}

export function toPostpartumVisit(row: PostpartumVisitRow, visibility: Visibility): PostpartumVisit {
  return {
    id: row.id,
    kind: row.kind,
    visitDate: row.visit_date,
    daysAfterDelivery: row.days_after_delivery,
    systolicBp: optionalNumber(row.systolic_bp),
    diastolicBp: optionalNumber(row.diastolic_bp),
    temperatureC: num(row.temperature_c),
    breastfeeding: row.breastfeeding,
    uterineInvolution: row.uterine_involution,
    lochia: row.lochia,
    wound: row.wound,
    findings: visibleFindings(row.findings, visibility),
    notes: visibleText(row.notes, row.notes_sensitivity, visibility.sensitive),
    institutionId: row.institution_id ?? '',
    authorId: row.author_id,
    textWithheld: textWithheld(row.notes, row.notes_sensitivity, visibility.sensitive),
  };
}

export function toImagingStudy(row: ImagingStudyRow, visibility: Visibility): ImagingStudy {
  return {
    id: row.id,
    studyInstanceUid: row.study_instance_uid,
    modality: row.modality,
    studyDate: row.study_date,
    objectId: row.object_id ?? '',
    findings: visibleText(row.findings, row.findings_sensitivity, visibility.sensitive),
    institutionId: row.institution_id ?? '',
    authorId: row.author_id,
    textWithheld: textWithheld(row.findings, row.findings_sensitivity, visibility.sensitive),
  };
}

export function toChildCheck(row: ChildCheckRow, visibility: Visibility): ChildCheck {
  return {
    id: row.id,
    service: row.service,
    checkedOn: row.checked_on,
    ageDays: row.age_days,
    development: row.development,
    feeding: row.feeding,
    haemoglobin: num(row.haemoglobin),
    notes: visibleText(row.notes, row.notes_sensitivity, visibility.sensitive),
    growthMeasurementId: row.growth_measurement_id ?? '',
    institutionId: row.institution_id ?? '',
    authorId: row.author_id,
    textWithheld: textWithheld(row.notes, row.notes_sensitivity, visibility.sensitive),
  };
}

/** The entries of one pregnancy; those added after the antenatal ones may be absent (a new pregnancy has none). */
export interface PregnancyParts {
  readonly visits: readonly VisitRow[];
  readonly assessments: readonly AssessmentRow[];
  readonly delivery: DeliveryRow | undefined;
  readonly postpartumVisits?: readonly PostpartumVisitRow[];
  readonly imagingStudies?: readonly ImagingStudyRow[];
}

export function toPregnancy(
  row: PregnancyRow,
  parts: PregnancyParts,
  visibility: Visibility,
  todayDays: number | undefined,
): Pregnancy {
  return {
    id: row.id,
    patientId: row.patient_id,
    status: row.status,
    lmp: row.lmp,
    edd: row.edd,
    datingMethod: row.dating_method === 'lmp' ? 1 : 2,
    registeredOn: row.registered_on,
    gestationalAgeAtRegistration: gestationalAge(row.registered_ga_days),
    gestationalAgeToday:
      row.status === 'active' && todayDays !== undefined && todayDays >= 0 && todayDays <= 45 * 7
        ? gestationalAge(todayDays)
        : undefined,
    registeredAtInstitutionId: row.registered_at ?? '',
    prePregnancyBmi: num(row.pre_pregnancy_bmi),
    findings: visibleFindings(row.findings, visibility),
    risk: toRiskStatus(row, visibility),
    visits: parts.visits.map((visit) => toVisit(visit, visibility)),
    riskAssessments: parts.assessments.map((assessment) => toAssessment(assessment, visibility)),
    delivery: parts.delivery ? toDelivery(parts.delivery) : undefined,
    postpartumVisits: (parts.postpartumVisits ?? []).map((visit) => toPostpartumVisit(visit, visibility)),
    imagingStudies: (parts.imagingStudies ?? []).map((study) => toImagingStudy(study, visibility)),
  };
}

export function toGrowth(row: GrowthRow): GrowthMeasurement {
  return {
    id: row.id,
    measuredOn: row.measured_on,
    ageDays: row.age_days,
    weightKg: num(row.weight_kg),
    lengthHeightCm: num(row.length_height_cm),
    position: row.position,
    headCircumferenceCm: num(row.head_circumference_cm),
    zScores: row.z_scores.map((z) => ({
      indicator: z.indicator,
      zScore: z.zScore,
      restricted: z.restricted,
      reference: z.reference,
    })),
    institutionId: row.institution_id ?? '',
    authorId: row.author_id,
    // Classified by the caller, which holds the nutrition rules (withNutrition).
    nutrition: [],
    implausible: [],
    displayReference: '',
  };
}

/** A deferral as the writer gets it back (the record view does not list deferrals yet). */
export function toDeferral(row: ImmunizationDeferralRow): ImmunizationDeferral {
  return {
    id: row.id,
    vaccine: row.programme_vaccine,
    dose: row.dose,
    contraindication: row.contraindication,
    deferredOn: row.deferred_on,
    deferredUntil: row.deferred_until ?? '',
    notes: row.notes,
    institutionId: row.institution_id ?? '',
    authorId: row.author_id,
  };
}

export function toImmunization(row: ImmunizationRow): Immunization {
  return {
    id: row.id,
    vaccine: row.vaccine,
    dose: row.dose,
    givenOn: row.given_on,
    lotNumber: row.lot_number,
    institutionId: row.institution_id ?? '',
    authorId: row.author_id,
  };
}

export function toScreening(row: ScreeningRow): Screening {
  return {
    id: row.id,
    kind: row.kind,
    instrument: row.instrument,
    screenedOn: row.screened_on,
    score: num(row.score),
    result: row.result,
    notes: row.notes,
    institutionId: row.institution_id ?? '',
    authorId: row.author_id,
  };
}

export function toChildRecord(
  row: ChildRow,
  parts: {
    growth: readonly GrowthRow[];
    immunizations: readonly ImmunizationRow[];
    screenings: readonly ScreeningRow[];
    checks: readonly ChildCheckRow[];
  },
  visibility: Visibility,
): ChildRecord {
  return {
    birthDate: row.birth_date,
    sex: childSex(row.sex),
    motherPatientId: row.mother_patient_id ?? '',
    dischargeDate: row.discharge_date ?? '',
    birthWeightGrams: row.birth_weight_grams ?? 0,
    growth: parts.growth.map(toGrowth),
    immunizations: parts.immunizations.map(toImmunization),
    screenings: visibility.sensitive ? parts.screenings.map(toScreening) : [],
    checks: parts.checks.map((check) => toChildCheck(check, visibility)),
    // Filled by assembleRecord, which holds the programme data.
    newbornScreenings: [],
    warningSignChecks: [],
  };
}

export function toRecordVersion(row: VersionRow, visibility: Visibility): RecordVersion {
  return {
    version: row.version,
    change: row.change,
    entityId: row.entity_id ?? '',
    authorId: row.author_id,
    institutionId: row.institution_id,
    reason: visibleText(row.reason, row.reason_sensitivity, visibility.sensitive),
    recordedAt: row.recorded_at,
    textWithheld: textWithheld(row.reason, row.reason_sensitivity, visibility.sensitive),
  };
}

export function toRiskEvent(row: RiskEventRow): RiskEvent {
  return {
    cursor: encodeRiskCursor(row.txid, row.id),
    patientId: row.patient_id,
    pregnancyId: row.pregnancy_id,
    assessmentId: row.assessment_id,
    previousColour: row.previous_colour,
    previousBesideColours: row.previous_beside,
    colour: row.colour,
    besideColours: row.beside_colours,
    inCaseManagement: row.in_case_management,
    countyCode: row.county_code,
    institutionId: row.institution_id ?? '',
    occurredAt: row.occurred_at,
  };
}

/** A risk event as the high-risk register's readers may see it: beside colours under the register's privacy rules. */
export function toVisibleRiskEvent(row: RiskEventRow, visibility: Visibility): RiskEvent {
  return {
    ...toRiskEvent(row),
    previousBesideColours: visibleColours(row.previous_beside, visibility),
    besideColours: visibleColours(row.beside_colours, visibility),
  };
}

export function toHighRiskCase(row: HighRiskCaseRow, visibility: Visibility): HighRiskCase {
  return {
    pregnancyId: row.pregnancy_id,
    patientId: row.patient_id,
    countyCode: row.county_code,
    colour: row.colour,
    besideColours: visibleColours(row.beside_colours, visibility),
    openedAt: row.opened_at,
    updatedAt: row.updated_at,
  };
}

/** Opaque outbox cursor: the (transaction id, event id) of the last event read. */
export function encodeRiskCursor(txid: string, id: string): string {
  return Buffer.from(`${txid}:${id}`).toString('base64url');
}

export function decodeRiskCursor(cursor: string): { txid: string; id: string } | undefined {
  if (!cursor) return { txid: '0', id: '0' };
  const match = /^(\d{1,20}):(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? { txid: match[1] as string, id: match[2] as string } : undefined;
}
