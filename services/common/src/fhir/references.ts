// References shared by the mappers: the patient, the institution that gave the care (a logical reference by the
// alliance's institution id: Organization is not served yet), and the label that marks withheld free text.
import type { Coding, Organization, Patient, Practitioner, Reference } from '@medplum/fhirtypes';
import { IDENTIFIER_SYSTEMS, SYSTEMS } from './canonical';

export function patientReference(patientId: string): Reference<Patient> {
  return { reference: `Patient/${patientId}` };
}

export function institutionReference(institutionId: string): Reference<Organization> | undefined {
  return institutionId
    ? { identifier: { system: IDENTIFIER_SYSTEMS.institution, value: institutionId }, type: 'Organization' }
    : undefined;
}

/** The clinician who recorded an entry, by the alliance's account id (Practitioner is not served yet). */
export function staffReference(accountId: string): Reference<Practitioner> | undefined {
  return accountId
    ? { identifier: { system: IDENTIFIER_SYSTEMS.staff, value: accountId }, type: 'Practitioner' }
    : undefined;
}

/** A resource whose free text the records service withheld from this reader carries this security label. */
export const REDACTED: Coding = { system: SYSTEMS.observationValue, code: 'REDACTED', display: 'redacted' };

export function withheldMeta(textWithheld: boolean): { meta?: { security: Coding[] } } {
  return textWithheld ? { meta: { security: [REDACTED] } } : {};
}

/** The record entry's own id as an Identifier, so a partner can match it with the REST API's answer. */
export function entryIdentifier(entryId: string): { system: string; value: string } {
  return { system: IDENTIFIER_SYSTEMS.recordEntry, value: entryId };
}
