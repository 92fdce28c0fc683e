// Observation for every measurement the record holds: vital signs (blood pressure, weight, height or length, head
// circumference, temperature) coded as the R4 vital signs profiles require, antenatal exam findings, labs (dipstick
// protein, haemoglobin, platelets, the LIS's qualitative results) and each WHO growth z-score, derived from the
// measurement it was computed from. Labs the records service withheld from this reader are not in the record, so no
// Observation is made of them.
import type { CodeableConcept, Observation, ObservationComponent, Quantity } from '@medplum/fhirtypes';
import {
  Proteinuria,
  type AntenatalVisit,
  type ChildCheck,
  type GrowthMeasurement,
  type PostpartumVisit,
} from '../gen/mch/records/v1/records';
import { SYSTEMS } from './canonical';
import { visitEncounterId } from './encounter';
import { entryResourceId } from './ids';
import { entryIdentifier, patientReference } from './references';
import {
  coding,
  GROWTH_INDICATORS,
  LABS,
  MEASURES,
  type MeasureDefinition,
  measureCodings,
  projectCoding,
  PROTEINURIA_SNOMED,
  RECUMBENT_LENGTH,
} from './terminology';

const CATEGORY_DISPLAY = { 'vital-signs': 'Vital Signs', laboratory: 'Laboratory', exam: 'Exam' } as const;

function category(measure: MeasureDefinition): CodeableConcept[] {
  return [
    {
      coding: [
        { system: SYSTEMS.observationCategory, code: measure.category, display: CATEGORY_DISPLAY[measure.category] },
      ],
    },
  ];
}

function quantity(measure: MeasureDefinition, value: number): Quantity {
  const unit = measure.unit;
  if (!unit) throw new Error(`${measure.code} has no unit`);
  return { value, unit: unit.display, system: SYSTEMS.ucum, code: unit.code };
}

interface Context {
  readonly patientId: string;
  readonly entryId: string;
  readonly date: string;
  /** The Encounter the measurement was taken at, when it has one. */
  readonly encounterId: string | undefined;
}

function observation(
  context: Context,
  part: string,
  measure: MeasureDefinition,
  rest: Partial<Observation>,
): Observation {
  return {
    resourceType: 'Observation',
    id: entryResourceId(context.patientId, context.entryId, part),
    identifier: [entryIdentifier(context.entryId)],
    status: 'final',
    category: category(measure),
    code: { coding: measureCodings(measure), text: measure.display },
    subject: patientReference(context.patientId),
    ...(context.encounterId ? { encounter: { reference: `Encounter/${context.encounterId}` } } : {}),
    effectiveDateTime: context.date,
    ...rest,
  };
}

function valueObservation(
  context: Context,
  part: string,
  measure: MeasureDefinition,
  value: number | undefined,
): Observation[] {
  return value === undefined ? [] : [observation(context, part, measure, { valueQuantity: quantity(measure, value) })];
}

const ABSENT = {
  coding: [{ system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason', code: 'unknown', display: 'Unknown' }],
};

function bloodPressure(context: Context, systolic: number | undefined, diastolic: number | undefined): Observation[] {
  if (systolic === undefined && diastolic === undefined) return [];
  const component = (measure: MeasureDefinition, value: number | undefined): ObservationComponent => ({
    code: { coding: measureCodings(measure), text: measure.display },
    ...(value === undefined ? { dataAbsentReason: ABSENT } : { valueQuantity: quantity(measure, value) }),
  });
  return [
    observation(context, 'bp', MEASURES.bloodPressure, {
      component: [component(MEASURES.systolic, systolic), component(MEASURES.diastolic, diastolic)],
    }),
  ];
}

const DIPSTICK: Readonly<Partial<Record<Proteinuria, string>>> = {
  [Proteinuria.PROTEINURIA_NEGATIVE]: 'negative',
  [Proteinuria.PROTEINURIA_TRACE]: 'trace',
  [Proteinuria.PROTEINURIA_PLUS_1]: '1+',
  [Proteinuria.PROTEINURIA_PLUS_2]: '2+',
  [Proteinuria.PROTEINURIA_PLUS_3]: '3+',
  [Proteinuria.PROTEINURIA_PLUS_4]: '4+',
};

const INTERPRETATION: Readonly<Record<string, { code: string; display: string }>> = {
  positive: { code: 'POS', display: 'Positive' },
  negative: { code: 'NEG', display: 'Negative' },
  indeterminate: { code: 'IND', display: 'Indeterminate' },
};

export function antenatalVisitObservations(patientId: string, visit: AntenatalVisit): Observation[] {
  const context: Context = {
    patientId,
    entryId: visit.id,
    date: visit.visitDate,
    encounterId: visitEncounterId(patientId, visit.id),
  };
  const grade = DIPSTICK[visit.proteinuria];
  const snomed = grade === undefined ? undefined : PROTEINURIA_SNOMED[grade];
  return [
    ...bloodPressure(context, visit.systolicBp, visit.diastolicBp),
    ...valueObservation(context, 'wt', MEASURES.bodyWeight, visit.weightKg),
    ...valueObservation(context, 'fh', MEASURES.fundalHeight, visit.fundalHeightCm),
    ...valueObservation(context, 'fhr', MEASURES.fetalHeartRate, visit.fetalHeartRate),
    ...(grade === undefined
      ? []
      : [
          observation(context, 'prot', MEASURES.urineProtein, {
            valueCodeableConcept: { ...(snomed ? { coding: [coding(snomed)] } : {}), text: grade },
          }),
        ]),
    ...valueObservation(context, 'hb', MEASURES.haemoglobin, visit.haemoglobin),
    ...valueObservation(context, 'plt', MEASURES.plateletCount, visit.plateletCount),
    ...visit.labs.flatMap((lab) => {
      const measure = LABS[lab.code];
      if (!measure) return [];
      const interpretation = INTERPRETATION[lab.result];
      return [
        observation(
          { ...context, date: lab.resultedOn || visit.visitDate },
          measure.code.replace(/^lab-/, 'l-'),
          measure,
          {
            valueCodeableConcept: { coding: [projectCoding('labResult', lab.result)], text: lab.result },
            ...(interpretation
              ? { interpretation: [{ coding: [{ system: SYSTEMS.observationInterpretation, ...interpretation }] }] }
              : {}),
          },
        ),
      ];
    }),
  ];
}

export function postpartumVisitObservations(patientId: string, visit: PostpartumVisit): Observation[] {
  const context: Context = {
    patientId,
    entryId: visit.id,
    date: visit.visitDate,
    encounterId: visitEncounterId(patientId, visit.id),
  };
  return [
    ...bloodPressure(context, visit.systolicBp, visit.diastolicBp),
    ...valueObservation(context, 'temp', MEASURES.bodyTemperature, visit.temperatureC),
  ];
}

export function childCheckObservations(patientId: string, check: ChildCheck): Observation[] {
  const context: Context = {
    patientId,
    entryId: check.id,
    date: check.checkedOn,
    encounterId: visitEncounterId(patientId, check.id),
  };
  return valueObservation(context, 'hb', MEASURES.haemoglobin, check.haemoglobin);
}

/** The measurement's Observations, then one per z-score, each derived from the measurements it was computed from. */
export function growthObservations(
  patientId: string,
  measurement: GrowthMeasurement,
  checkId: string | undefined,
): Observation[] {
  const context: Context = {
    patientId,
    entryId: measurement.id,
    date: measurement.measuredOn,
    encounterId: checkId ? visitEncounterId(patientId, checkId) : undefined,
  };
  const recumbent = measurement.position === 'recumbent';
  const length =
    measurement.lengthHeightCm === undefined
      ? []
      : [
          observation(context, 'len', MEASURES.bodyHeight, {
            code: {
              coding: [...measureCodings(MEASURES.bodyHeight), ...(recumbent ? [coding(RECUMBENT_LENGTH)] : [])],
              text: recumbent ? 'Body length (recumbent)' : 'Body height (standing)',
            },
            valueQuantity: quantity(MEASURES.bodyHeight, measurement.lengthHeightCm),
          }),
        ];
  const measured = [
    ...valueObservation(context, 'wt', MEASURES.bodyWeight, measurement.weightKg),
    ...length,
    ...valueObservation(context, 'hc', MEASURES.headCircumference, measurement.headCircumferenceCm),
  ];
  const byPart = new Map(measured.map((resource) => [resource.id?.split('-').pop() ?? '', resource]));
  const sources: Readonly<Record<string, readonly string[]>> = {
    'weight-for-age': ['wt'],
    'length-height-for-age': ['len'],
    'weight-for-length': ['wt', 'len'],
    'weight-for-height': ['wt', 'len'],
    'bmi-for-age': ['wt', 'len'],
    'head-circumference-for-age': ['hc'],
  };
  const zScores = measurement.zScores.flatMap((z) => {
    const indicator = GROWTH_INDICATORS[z.indicator];
    if (!indicator) return [];
    const derivedFrom = (sources[z.indicator] ?? []).flatMap((part) => {
      const source = byPart.get(part);
      return source?.id ? [{ reference: `Observation/${source.id}` }] : [];
    });
    const resource: Observation = {
      resourceType: 'Observation',
      id: entryResourceId(patientId, measurement.id, indicator.part),
      identifier: [entryIdentifier(measurement.id)],
      status: 'final',
      category: [{ coding: [{ system: SYSTEMS.observationCategory, code: 'exam', display: 'Exam' }] }],
      code: { coding: [projectCoding('growthIndicator', z.indicator, indicator.display)], text: indicator.display },
      subject: patientReference(patientId),
      ...(context.encounterId ? { encounter: { reference: `Encounter/${context.encounterId}` } } : {}),
      effectiveDateTime: measurement.measuredOn,
      valueQuantity: { value: z.zScore, unit: 'z-score', system: SYSTEMS.ucum, code: '{z-score}' },
      method: { text: z.reference || 'WHO' },
      ...(derivedFrom.length > 0 ? { derivedFrom } : {}),
      // WHO's restricted application of the LMS method beyond ±3 SD for weight-based indicators.
      ...(z.restricted ? { note: [{ text: 'z-score beyond ±3 SD, computed by the WHO restricted LMS method' }] } : {}),
    };
    return [resource];
  });
  return [...measured, ...zScores];
}
