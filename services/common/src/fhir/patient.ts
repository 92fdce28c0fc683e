// Patient from the master patient index's view (identity's GetPatient/SearchPatients answer, already masked for the
// reader): the MPI id, the resident ID and the birth certificate number as identifiers, name, sex, birth date.
import type { Identifier, Patient as FhirPatient } from '@medplum/fhirtypes';
import { Sex, type Patient } from '../gen/mch/identity/v1/identity';
import { IDENTIFIER_SYSTEMS, SYSTEMS } from './canonical';

const MASKED = /\*/;

function identifierType(code: 'PI' | 'NI' | 'BCT', display: string): Identifier['type'] {
  return { coding: [{ system: SYSTEMS.identifierType, code, display }] };
}

export function toFhirPatient(patient: Patient): FhirPatient {
  const identifier: Identifier[] = [
    {
      use: 'official',
      type: identifierType('PI', 'Patient internal identifier'),
      system: IDENTIFIER_SYSTEMS.mpiPatient,
      value: patient.id,
    },
  ];
  // A masked number is not the identifier: it is left out rather than sent as a wrong value.
  if (patient.nationalId && !MASKED.test(patient.nationalId)) {
    identifier.push({
      use: 'official',
      type: identifierType('NI', 'National unique individual identifier'),
      system: IDENTIFIER_SYSTEMS.residentId,
      value: patient.nationalId,
    });
  }
  if (patient.newborn?.birthCertificateNumber) {
    identifier.push({
      use: 'official',
      type: identifierType('BCT', 'Birth Certificate'),
      system: IDENTIFIER_SYSTEMS.birthCertificate,
      value: patient.newborn.birthCertificateNumber,
    });
  }
  const resource: FhirPatient = {
    resourceType: 'Patient',
    id: patient.id,
    identifier,
    active: patient.mergedInto === '',
    gender: patient.sex === Sex.SEX_FEMALE ? 'female' : patient.sex === Sex.SEX_MALE ? 'male' : 'unknown',
  };
  // Chinese names are kept whole: splitting family and given names is not reliable (compound surnames).
  if (patient.name) resource.name = [{ use: 'official', text: patient.name }];
  if (patient.birthDate) resource.birthDate = patient.birthDate;
  if (patient.phone && !MASKED.test(patient.phone))
    resource.telecom = [{ system: 'phone', value: patient.phone, use: 'mobile' }];
  if (patient.address || patient.countyCode) {
    resource.address = [
      {
        use: 'home',
        country: 'CN',
        ...(patient.address ? { text: patient.address } : {}),
        ...(patient.countyCode ? { district: patient.countyCode } : {}),
      },
    ];
  }
  if (patient.mergedInto)
    resource.link = [{ other: { reference: `Patient/${patient.mergedInto}` }, type: 'replaced-by' }];
  return resource;
}
