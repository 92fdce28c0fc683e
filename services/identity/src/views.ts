// Rows -> API messages, with what the caller may not see masked.
import { isClinical, Principal } from '../../common/src/auth/principal';
import { Account, Patient, PatientMatch, Sex } from '../../common/src/gen/mch/identity/v1/identity';
import type { AccountRow } from './accounts-repository';
import { roleFromName } from './domain/accounts';
import { maskResidentId } from './domain/resident-id';
import type { MatchRow, PatientRow } from './patients-repository';

export function toAccount(row: AccountRow): Account {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    kind: row.kind,
    roles: row.roles.map(roleFromName),
    institutionId: row.institution_id ?? '',
    analystScope: row.analyst_scope ?? '',
    patientId: row.patient_id ?? '',
    childPatientIds: row.child_patient_ids ?? [],
    active: row.active,
    createdAt: row.created_at,
  };
}

const SEX_TO_PROTO = { female: Sex.SEX_FEMALE, male: Sex.SEX_MALE, unspecified: Sex.SEX_UNSPECIFIED } as const;

/** Clinical staff and the patient (or her guardian) see the full resident ID; anyone else a masked one. */
export function toPatient(row: PatientRow, principal: Principal | undefined): Patient {
  const ownRecord =
    principal?.kind === 'resident' && (principal.patientId === row.id || principal.childPatientIds.includes(row.id));
  const fullId = isClinical(principal) || ownRecord;
  return {
    id: row.id,
    nationalId: row.national_id ? (fullId ? row.national_id : maskResidentId(row.national_id)) : '',
    name: row.name,
    sex: SEX_TO_PROTO[row.sex],
    birthDate: row.birth_date,
    phone: fullId ? row.phone : row.phone.replace(/\d(?=\d{4})/g, '*'),
    countyCode: row.county_code,
    address: fullId ? row.address : '',
    newborn: row.newborn
      ? {
          motherNationalId: fullId ? row.newborn.motherNationalId : maskResidentId(row.newborn.motherNationalId),
          birthDate: row.newborn.birthDate,
          birthOrder: row.newborn.birthOrder,
          birthCertificateNumber: fullId ? row.newborn.birthCertificateNumber : '',
        }
      : undefined,
    mergedInto: row.merged_into ?? '',
    guardianPatientIds: row.guardian_ids,
    createdAt: row.created_at,
  };
}

export function toMatch(
  row: MatchRow,
  patient: PatientRow | undefined,
  candidate: PatientRow | undefined,
  principal: Principal | undefined,
): PatientMatch {
  return {
    id: row.id,
    patient: patient ? toPatient(patient, principal) : undefined,
    candidate: candidate ? toPatient(candidate, principal) : undefined,
    score: row.score,
    reasons: row.reasons,
    status: row.status,
    decidedBy: row.decided_by ?? '',
    decisionReason: row.decision_reason ?? '',
    createdAt: row.created_at,
  };
}
