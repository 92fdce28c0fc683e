// The FHIR resources of one patient's record as the records service answered it for this reader, by resource type,
// each with the dates a `date` search compares. Only the mappers' output: nothing is read or withheld here.
import type { EpisodeOfCare, Encounter, Immunization, Observation, RiskAssessment } from '@medplum/fhirtypes';
import type { PatientRecord } from '../gen/mch/records/v1/records';
import { toEpisodeOfCare } from './episode-of-care';
import { antenatalVisitEncounter, childCheckEncounter, deliveryEncounter, postpartumVisitEncounter } from './encounter';
import { toImmunization } from './immunization';
import {
  antenatalVisitObservations,
  childCheckObservations,
  growthObservations,
  postpartumVisitObservations,
} from './observation';
import { toRiskAssessment } from './risk-assessment';

export const RECORD_RESOURCE_TYPES = [
  'EpisodeOfCare',
  'Encounter',
  'Observation',
  'RiskAssessment',
  'Immunization',
] as const;
export type RecordResourceType = (typeof RECORD_RESOURCE_TYPES)[number];
export type RecordResource = EpisodeOfCare | Encounter | Observation | RiskAssessment | Immunization;

export function isRecordResourceType(type: string): type is RecordResourceType {
  return (RECORD_RESOURCE_TYPES as readonly string[]).includes(type);
}

/** The day range a resource covers: [start, end], `end` undefined while it goes on. */
export interface DatedResource {
  readonly resource: RecordResource;
  readonly start: string;
  readonly end: string | undefined;
}

function dated(resource: RecordResource): DatedResource {
  switch (resource.resourceType) {
    case 'EpisodeOfCare':
      return { resource, start: resource.period?.start ?? '', end: resource.period?.end };
    case 'Encounter':
      return { resource, start: resource.period?.start ?? '', end: resource.period?.end ?? resource.period?.start };
    case 'Observation':
      return { resource, start: resource.effectiveDateTime ?? '', end: resource.effectiveDateTime };
    case 'RiskAssessment':
      return { resource, start: resource.occurrenceDateTime ?? '', end: resource.occurrenceDateTime };
    case 'Immunization':
      return { resource, start: resource.occurrenceDateTime ?? '', end: resource.occurrenceDateTime };
  }
}

export function recordResources(record: PatientRecord, type: RecordResourceType): DatedResource[] {
  const patientId = record.patientId;
  const resources: RecordResource[] = [];
  for (const pregnancy of record.pregnancies) {
    if (type === 'EpisodeOfCare') resources.push(toEpisodeOfCare(patientId, pregnancy));
    if (type === 'Encounter') {
      resources.push(...pregnancy.visits.map((visit) => antenatalVisitEncounter(patientId, pregnancy, visit)));
      const delivery = deliveryEncounter(patientId, pregnancy);
      if (delivery) resources.push(delivery);
      resources.push(
        ...pregnancy.postpartumVisits.map((visit) => postpartumVisitEncounter(patientId, pregnancy, visit)),
      );
    }
    if (type === 'Observation') {
      for (const visit of pregnancy.visits) resources.push(...antenatalVisitObservations(patientId, visit));
      for (const visit of pregnancy.postpartumVisits) resources.push(...postpartumVisitObservations(patientId, visit));
    }
    if (type === 'RiskAssessment')
      resources.push(
        ...pregnancy.riskAssessments.map((assessment) => toRiskAssessment(patientId, pregnancy, assessment)),
      );
  }
  const child = record.child;
  if (child) {
    if (type === 'Encounter') resources.push(...child.checks.map((check) => childCheckEncounter(patientId, check)));
    if (type === 'Observation') {
      const checkOf = new Map(
        child.checks.filter((check) => check.growthMeasurementId).map((check) => [check.growthMeasurementId, check.id]),
      );
      for (const measurement of child.growth)
        resources.push(...growthObservations(patientId, measurement, checkOf.get(measurement.id)));
      for (const check of child.checks) resources.push(...childCheckObservations(patientId, check));
    }
    if (type === 'Immunization') resources.push(...child.immunizations.map((dose) => toImmunization(patientId, dose)));
  }
  return resources.map(dated);
}
