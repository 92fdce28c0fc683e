// The clinical picture that pregnancy risk rules read: the vocabulary of metrics, coded findings and lab results,
// and the checks that keep a request's picture inside that vocabulary.
import { FieldViolation, InvalidArgumentError } from '../../../../common/src/errors';
import { completedYears, parseIsoDate } from '../calendar';

/**
 * Numeric facts a rule may compare, each with its unit and a range outside which the value is an entry error rather
 * than a patient (a haemoglobin of 1,100 is g/dL typed as g/L, not a finding).
 */
export const METRICS = {
  maternalAge: { unit: 'completed years', min: 10, max: 70 },
  prePregnancyBmi: { unit: 'kg/m²', min: 10, max: 80 },
  systolicBp: { unit: 'mmHg', min: 40, max: 300 },
  diastolicBp: { unit: 'mmHg', min: 20, max: 200 },
  haemoglobin: { unit: 'g/L', min: 20, max: 250 },
  plateletCount: { unit: '×10⁹/L', min: 0, max: 2000 },
  /** Urine dipstick protein as its plus count: 0 negative or trace, 1 to 4 for 1+ to 4+. */
  proteinuria: { unit: 'dipstick +', min: 0, max: 4 },
} as const;

export type Metric = keyof typeof METRICS;

export const METRIC_NAMES = Object.keys(METRICS) as Metric[];

/**
 * Coded diagnoses and findings the workstation records on a pregnancy: every item of the 2017 screening and
 * assessment tables, with severity tiers as separate codes (NYHA class, EF band, pulmonary pressure, treatment status,
 * disease activity). Codes recorded before the tiers existed (heart_disease, diabetes, epilepsy, ...) stay valid, so old
 * records read as before; the rule file says how each is graded.
 */
export const FINDING_CODES = [
  'acute_myocarditis',
  'acute_pancreatitis',
  'adnexal_cancer_surgery_history',
  'adverse_obstetric_history',
  'antiphospholipid_syndrome',
  'aortic_disease_under_45mm',
  'aplastic_anaemia',
  'arrhythmia',
  'arrhythmia_on_medication',
  'arthralgia_rash_fever',
  'asthma',
  'autoimmune',
  'autoimmune_active',
  'autoimmune_no_medication',
  'autoimmune_on_low_dose_steroid',
  'birth_interval_under_18m_or_over_5y',
  'bleeding_petechiae',
  'blood_disease_history',
  'bowel_obstruction_medical',
  'bowel_obstruction_severe',
  'caesarean_history',
  'cancer_history',
  'cancer_in_pregnancy',
  'cancer_recurrent_or_metastatic',
  'cancer_treated_no_recurrence',
  'cardiomyopathy',
  'cardiomyopathy_stable',
  'cardiovascular_disease_other',
  'central_diabetes_insipidus',
  'cerebrovascular_malformation',
  'cervical_conisation_history',
  'chest_deformity',
  'chest_deformity_mild_lung_impairment',
  'chronic_hypertension',
  'chronic_hypertension_with_pre_eclampsia',
  'cirrhosis_compensated',
  'cirrhosis_decompensated',
  'ckd_compensated',
  'coagulopathy_no_bleeding',
  'coagulopathy_with_bleeding',
  'communication_or_mental_symptoms',
  'complex_congenital_heart_disease',
  'congenital_heart_disease_no_pah',
  'contracted_pelvis',
  'diabetes',
  'diabetes_no_medication',
  'diabetes_on_insulin',
  'diabetes_on_medication',
  'diabetes_with_organ_damage',
  'drug_use_current',
  'drug_use_history',
  'dry_mouth_dry_eyes',
  'eclampsia',
  'ef_40_to_50',
  'ef_below_40',
  'epilepsy',
  'epilepsy_absence',
  'epilepsy_generalised',
  'epilepsy_history',
  'epilepsy_partial',
  'family_history_coagulation_factor_deficiency',
  'family_history_diabetes',
  'family_history_hypertension',
  'family_history_severe_hereditary_disease',
  'ferritin_under_20',
  'fetal_growth_restriction',
  'fibroid_or_ovarian_cyst_5cm',
  'gdm',
  'gdm_on_medication',
  'genital_purulent_discharge',
  'genital_tract_malformation',
  'genital_ulcer_or_growth',
  'gestational_hypertension',
  'gi_bleeding_medical',
  'gi_bleeding_severe',
  'glycosuria_with_abnormal_fasting_glucose',
  'gum_or_nose_bleeding',
  'haematochezia',
  'heart_disease',
  'heart_disease_history',
  'heart_lung_auscultation_abnormal',
  'hellp',
  'hepatitis_b',
  'hepatitis_c',
  'hepatitis_virus_carrier',
  'hiv',
  'hyperemesis',
  'hypertensive_heart_disease',
  'hyperthyroidism_complicated',
  'hypothyroidism_severe',
  'hysteroscopy_laparoscopy_history',
  'infective_endocarditis',
  'infertility_history',
  'intellectual_disability',
  'intrahepatic_cholestasis',
  'ivf',
  'jaundice',
  'kidney_disease_history',
  'kidney_disease_severe',
  'kidney_disease_stable',
  'leukaemia',
  'liver_dysfunction_unexplained',
  'low_lying_placenta',
  'lv_dysfunction_mild',
  'macrosomia',
  'major_organ_disease_history',
  'major_surgery_or_drug_allergy_history',
  'malpresentation_36_weeks',
  'mild_pulmonary_stenosis_or_mitral_prolapse',
  'myasthenia_gravis_limb_bulbar',
  'myasthenia_gravis_ocular',
  'myasthenia_gravis_severe',
  'myocarditis_sequelae',
  'myocarditis_sequelae_on_medication',
  'nephrogenic_diabetes_insipidus',
  'nyha_class_i',
  'nyha_class_ii',
  'nyha_class_iii',
  'nyha_class_iv',
  'oligohydramnios',
  'other_general_risk',
  'other_higher_risk',
  'other_severe_disease',
  'pelvic_surgery_history',
  'pernicious_placenta_praevia',
  'phaeochromocytoma',
  'placenta_accreta_suspected',
  'placenta_praevia',
  'placenta_praevia_central',
  'placental_abruption',
  'polydipsia_polyuria_polyphagia',
  'polyhydramnios',
  'postpartum_depression',
  'pre_eclampsia',
  'prelabour_rupture_of_membranes',
  'previous_pregnancy_complication',
  'prolactinoma_compressive',
  'prolactinoma_no_medication',
  'prolactinoma_on_medication',
  'psychosis_acute',
  'psychosis_in_remission',
  'puerperal_heatstroke',
  'puerperal_infection',
  'pulmonary_hypertension_50_or_more',
  'pulmonary_hypertension_under_50',
  'recurrent_headache_vomiting',
  'red_condition_postpartum_unstable',
  'respiratory_disease_no_medication',
  'respiratory_disease_severe',
  'rh_incompatibility',
  'rh_negative',
  'rheumatic_heart_disease_active',
  'scarred_uterus',
  'scarred_uterus_under_18_months',
  'scarred_uterus_with_central_praevia_or_accreta',
  'scoliosis',
  'severe_cardiovascular_disease_other',
  'severe_heart_disease',
  'severe_hepatitis',
  'severe_infectious_pneumonia',
  'severe_pre_eclampsia',
  'sexually_transmitted_disease',
  'short_stature_or_disability',
  'sle_active',
  'sle_inactive_on_medication',
  'sle_no_medication',
  'special_viral_infection',
  'sti_history',
  'symptom_anorexia_vomiting',
  'symptom_asthma_cough_haemoptysis',
  'symptom_cardiorespiratory',
  'symptom_epigastric_pain_hepatosplenomegaly',
  'symptom_low_fever_wasting',
  'symptom_oedema_oliguria_urinary',
  'syncope_unexplained',
  'syphilis',
  'thirst_palpitation_sweating',
  'threatened_preterm_labour',
  'thrombocytopenia',
  'thrombocytopenia_progressive_or_bleeding',
  'thrombophilia',
  'thyroid',
  'thyroid_disease_no_medication',
  'thyroid_disease_on_medication',
  'triplets_cardiopulmonary_compromise',
  'triplets_or_more',
  'tuberculosis',
  'twins',
  'twins_or_polyhydramnios_cardiopulmonary_compromise',
  'unexplained_fever',
  'urinalysis_abnormal_persistent',
  'uterine_surgery_2_or_more',
  'valvular_heart_disease_mild',
  'valvular_heart_disease_severe',
  'venous_thromboembolism',
  'viral_hepatitis_other',
] as const;

export type FindingCode = (typeof FINDING_CODES)[number];

/** Lab tests whose qualitative result a rule may read (LIS codes as the alliance's labs send them). */
export const LAB_CODES = ['HBsAg', 'HCV', 'TPPA', 'RPR', 'HIV', 'TB'] as const;

export type LabCode = (typeof LAB_CODES)[number];

export const LAB_RESULTS = ['positive', 'negative', 'indeterminate'] as const;

export type LabResultValue = (typeof LAB_RESULTS)[number];

export interface LabResult {
  readonly code: LabCode;
  readonly result: LabResultValue;
  /** When the result was reported; with several results for one test, the latest one counts. */
  readonly resultedOn?: string;
}

/**
 * What the grading rules see of a pregnant woman. A metric left out is "not known", never "normal": the proposal
 * lists the metrics it could not assess.
 */
export interface ClinicalPicture {
  /** Completed years at the expected date of delivery (see `maternalAgeAt`). */
  readonly maternalAge?: number;
  /** kg/m², one decimal (see `bodyMassIndex`). */
  readonly prePregnancyBmi?: number;
  /** Latest visit's blood pressure, mmHg. */
  readonly systolicBp?: number;
  readonly diastolicBp?: number;
  /** Latest haemoglobin, g/L. */
  readonly haemoglobin?: number;
  /** Latest platelet count, ×10⁹/L. */
  readonly plateletCount?: number;
  /** Latest urine dipstick protein, as its plus count (see METRICS.proteinuria). */
  readonly proteinuria?: number;
  readonly findings?: readonly string[];
  readonly labs?: readonly { readonly code: string; readonly result: string; readonly resultedOn?: string }[];
}

/** A picture that passed `checkClinicalPicture`: codes are known, numbers plausible. */
export interface CheckedClinicalPicture {
  readonly metrics: ReadonlyMap<Metric, number>;
  readonly findings: ReadonlySet<FindingCode>;
  /** The latest result per lab test. */
  readonly labs: ReadonlyMap<LabCode, LabResultValue>;
}

function isFindingCode(code: string): code is FindingCode {
  return (FINDING_CODES as readonly string[]).includes(code);
}

function isLabCode(code: string): code is LabCode {
  return (LAB_CODES as readonly string[]).includes(code);
}

function isLabResult(result: string): result is LabResultValue {
  return (LAB_RESULTS as readonly string[]).includes(result);
}

/** Validates a picture from a request, naming every offending field at once. */
export function checkClinicalPicture(picture: ClinicalPicture): CheckedClinicalPicture {
  const violations: FieldViolation[] = [];
  const metrics = new Map<Metric, number>();
  for (const metric of METRIC_NAMES) {
    const value = picture[metric];
    if (value === undefined) continue;
    const { min, max, unit } = METRICS[metric];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      violations.push({ field: metric, description: `must be a number from ${min} to ${max} (${unit})` });
    } else {
      metrics.set(metric, value);
    }
  }
  const findings = new Set<FindingCode>();
  (picture.findings ?? []).forEach((code, index) => {
    if (isFindingCode(code)) findings.add(code);
    else violations.push({ field: `findings[${index}]`, description: `unknown finding "${code}"` });
  });
  const latest = new Map<LabCode, { result: LabResultValue; day: number }>();
  (picture.labs ?? []).forEach((lab, index) => {
    const codeOk = isLabCode(lab.code);
    const resultOk = isLabResult(lab.result);
    if (!codeOk)
      violations.push({
        field: `labs[${index}].code`,
        description: `unknown lab test "${lab.code}" (known: ${LAB_CODES.join(', ')})`,
      });
    if (!resultOk)
      violations.push({ field: `labs[${index}].result`, description: `must be one of ${LAB_RESULTS.join(', ')}` });
    let day = Number.NEGATIVE_INFINITY;
    if (lab.resultedOn !== undefined) {
      try {
        day = parseIsoDate(lab.resultedOn, `labs[${index}].resultedOn`);
      } catch (error) {
        if (error instanceof InvalidArgumentError) violations.push(...error.violations);
        else throw error;
      }
    }
    if (!codeOk || !resultOk) return;
    const previous = latest.get(lab.code);
    // Same day (or undated) results: a positive is kept, so a screen never loses a positive to ordering.
    if (!previous || day > previous.day || (day === previous.day && lab.result === 'positive')) {
      latest.set(lab.code, { result: lab.result, day });
    }
  });
  if (violations.length > 0) throw new InvalidArgumentError(violations);
  return { metrics, findings, labs: new Map([...latest].map(([code, { result }]) => [code, result])) };
}

/**
 * Pre-pregnancy BMI to one decimal, as the handbook records it; the rule boundaries (25, 28, 18.5) are written to
 * that precision, so 25.04 is "25.0" and not above 25.
 */
export function bodyMassIndex(weightKg: number, heightCm: number): number {
  if (!Number.isFinite(weightKg) || weightKg <= 0)
    throw InvalidArgumentError.field('weightKg', 'must be a positive number');
  if (!Number.isFinite(heightCm) || heightCm < 100 || heightCm > 230)
    throw InvalidArgumentError.field('heightCm', 'must be a height from 100 to 230 cm');
  const metres = heightCm / 100;
  return Math.round((weightKg / (metres * metres)) * 10) / 10;
}

/**
 * Maternal age for grading: completed years on the expected date of delivery. The age factors (≥35, ≥40, ≤18)
 * describe the mother at delivery, and dating by EDD keeps the grade from changing on a birthday mid-pregnancy.
 */
export function maternalAgeAt(birthDate: string, edd: string): number {
  const born = parseIsoDate(birthDate, 'birthDate');
  const expected = parseIsoDate(edd, 'edd');
  if (expected < born) throw InvalidArgumentError.field('edd', 'must be after the birth date');
  return completedYears(born, expected);
}
