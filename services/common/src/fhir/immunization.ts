// Immunization for each vaccine dose: the project's product code always, the CVX code where one names the same vaccine
// (terminology.ts says which), the dose number, lot and the institution that gave it.
import type { Immunization } from '@medplum/fhirtypes';
import type { Immunization as RecordImmunization } from '../gen/mch/records/v1/records';
import { entryResourceId } from './ids';
import { entryIdentifier, institutionReference, patientReference } from './references';
import { coding, projectCoding, VACCINES } from './terminology';

export function toImmunization(patientId: string, dose: RecordImmunization): Immunization {
  const vaccine = VACCINES[dose.vaccine];
  const performer = institutionReference(dose.institutionId);
  return {
    resourceType: 'Immunization',
    id: entryResourceId(patientId, dose.id),
    identifier: [entryIdentifier(dose.id)],
    status: 'completed',
    vaccineCode: {
      coding: [
        projectCoding('vaccineProduct', dose.vaccine, vaccine?.display),
        ...(vaccine?.cvx?.confirmed ? [coding(vaccine.cvx)] : []),
      ],
      text: vaccine?.display ?? dose.vaccine,
    },
    patient: patientReference(patientId),
    occurrenceDateTime: dose.givenOn,
    primarySource: true,
    ...(dose.lotNumber ? { lotNumber: dose.lotNumber } : {}),
    ...(performer ? { performer: [{ actor: performer }] } : {}),
    protocolApplied: [{ series: 'cn-nip', doseNumberPositiveInt: dose.dose }],
  };
}
