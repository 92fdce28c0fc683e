// Who may open, join, read, write and manage which consultation (the predicates live in the kit's policy).
import {
  canJoinConsultation,
  canManageConsultation,
  canOpenConsultation,
  canPostToConsultation,
  canReadConsultation,
  ConsultationStanding,
} from '../../../common/src/auth/policy';
import type { Principal } from '../../../common/src/auth/principal';

const PATIENT = 'p-mother';
const CHILD = 'p-child';
const TOWNSHIP = 'inst-township';
const COUNTY = 'inst-county';
const PREFECTURE = 'inst-prefecture';

function staff(roles: Principal['roles'], institutionId: string): Principal {
  return {
    subject: `staff-${roles.join('-')}-${institutionId}`,
    kind: 'staff',
    roles,
    institutionId,
    analystScope: undefined,
    patientId: undefined,
    childPatientIds: [],
    tokenId: 't',
  };
}

const mother: Principal = {
  subject: 'resident-1',
  kind: 'resident',
  roles: [],
  institutionId: undefined,
  analystScope: undefined,
  patientId: PATIENT,
  childPatientIds: [CHILD],
  tokenId: 't',
};
const stranger: Principal = { ...mother, subject: 'resident-2', patientId: 'p-other', childPatientIds: [] };
const townshipMidwife = staff(['midwife'], TOWNSHIP);
const countyClinician = staff(['clinician'], COUNTY);
const prefectureClinician = staff(['clinician'], PREFECTURE);
const analyst = staff(['analyst'], PREFECTURE);
const platformAdmin = staff(['platform-admin'], PREFECTURE);
const referralService: Principal = {
  subject: 'service:referral',
  kind: 'service',
  roles: [],
  institutionId: undefined,
  analystScope: undefined,
  patientId: undefined,
  childPatientIds: [],
  tokenId: 't',
  serviceName: 'referral',
};

describe('opening a consultation', () => {
  it('lets a resident open a resident–clinician thread about herself or her linked child, and nothing else', () => {
    expect(canOpenConsultation(mother, 'resident-clinician', PATIENT, undefined, undefined, 'county').allowed).toBe(
      true,
    );
    expect(canOpenConsultation(mother, 'resident-clinician', CHILD, undefined, undefined, 'county').allowed).toBe(true);
    expect(canOpenConsultation(stranger, 'resident-clinician', PATIENT, undefined, undefined, 'county').allowed).toBe(
      false,
    );
    expect(
      canOpenConsultation(mother, 'clinician-specialist', PATIENT, undefined, undefined, 'prefecture').allowed,
    ).toBe(false);
  });

  it('sends a specialist consultation only up: township to county or prefecture, county to prefecture', () => {
    expect(
      canOpenConsultation(townshipMidwife, 'clinician-specialist', PATIENT, 'consultation', 'township', 'county')
        .allowed,
    ).toBe(true);
    expect(
      canOpenConsultation(townshipMidwife, 'clinician-specialist', PATIENT, 'consultation', 'township', 'prefecture')
        .allowed,
    ).toBe(true);
    expect(
      canOpenConsultation(countyClinician, 'clinician-specialist', PATIENT, 'consultation', 'county', 'prefecture')
        .allowed,
    ).toBe(true);
    expect(
      canOpenConsultation(countyClinician, 'clinician-specialist', PATIENT, 'consultation', 'county', 'county').allowed,
    ).toBe(false);
    expect(
      canOpenConsultation(prefectureClinician, 'clinician-specialist', PATIENT, 'consultation', 'prefecture', 'county')
        .allowed,
    ).toBe(false);
  });

  it('needs clinical staff who state a purpose', () => {
    expect(
      canOpenConsultation(countyClinician, 'clinician-specialist', PATIENT, undefined, 'county', 'prefecture').allowed,
    ).toBe(false);
    expect(
      canOpenConsultation(analyst, 'resident-clinician', PATIENT, 'consultation', 'prefecture', 'prefecture').allowed,
    ).toBe(false);
    expect(
      canOpenConsultation(undefined, 'resident-clinician', PATIENT, 'consultation', undefined, 'county').allowed,
    ).toBe(false);
    expect(
      canOpenConsultation(townshipMidwife, 'resident-clinician', PATIENT, 'consultation', 'township', 'township')
        .allowed,
    ).toBe(true);
  });
});

describe('a thread', () => {
  const specialist = (participation: ConsultationStanding['participation']): ConsultationStanding => ({
    kind: 'clinician-specialist',
    patientId: PATIENT,
    requesterInstitutionId: COUNTY,
    addressedInstitutionId: PREFECTURE,
    participation,
  });
  const residentThread = (participation: ConsultationStanding['participation']): ConsultationStanding => ({
    kind: 'resident-clinician',
    patientId: CHILD,
    requesterInstitutionId: undefined,
    addressedInstitutionId: COUNTY,
    participation,
  });

  it('is read by its active participants, and by platform admins only as an operation', () => {
    expect(canReadConsultation(prefectureClinician, specialist('active'))).toEqual({ allowed: true });
    expect(canReadConsultation(prefectureClinician, specialist(undefined)).allowed).toBe(false);
    expect(canReadConsultation(prefectureClinician, specialist('invited')).allowed).toBe(false);
    expect(canReadConsultation(prefectureClinician, specialist('removed')).allowed).toBe(false);
    expect(canReadConsultation(platformAdmin, specialist(undefined))).toEqual({ allowed: true, operator: true });
  });

  it('is joined by staff of the requesting or addressed institution, invited staff, and the resident it concerns', () => {
    expect(canJoinConsultation(prefectureClinician, specialist(undefined), 'consultation').allowed).toBe(true);
    expect(canJoinConsultation(countyClinician, specialist(undefined), 'consultation').allowed).toBe(true);
    expect(canJoinConsultation(townshipMidwife, specialist(undefined), 'consultation').allowed).toBe(false);
    expect(canJoinConsultation(townshipMidwife, specialist('invited'), 'consultation').allowed).toBe(true);
    expect(canJoinConsultation(townshipMidwife, specialist('removed'), 'consultation').allowed).toBe(false);
    expect(canJoinConsultation(prefectureClinician, specialist(undefined), undefined).allowed).toBe(false);
    expect(canJoinConsultation(mother, specialist(undefined), undefined).allowed).toBe(false);
    expect(canJoinConsultation(mother, residentThread(undefined), undefined).allowed).toBe(true);
    expect(canJoinConsultation(stranger, residentThread(undefined), undefined).allowed).toBe(false);
    expect(canJoinConsultation(platformAdmin, specialist(undefined), 'consultation').allowed).toBe(false);
    expect(canJoinConsultation(referralService, specialist(undefined), 'consultation').allowed).toBe(false);
    expect(canReadConsultation(referralService, specialist(undefined)).allowed).toBe(false);
    expect(
      canOpenConsultation(referralService, 'clinician-specialist', PATIENT, 'referral', 'county', 'prefecture').allowed,
    ).toBe(false);
  });

  it('is written by active participants and managed by its staff only', () => {
    expect(canPostToConsultation(mother, residentThread('active')).allowed).toBe(true);
    expect(canPostToConsultation(platformAdmin, residentThread(undefined)).allowed).toBe(false);
    expect(canManageConsultation(mother, residentThread('active')).allowed).toBe(false);
    expect(canManageConsultation(countyClinician, residentThread('active')).allowed).toBe(true);
    expect(canManageConsultation(countyClinician, residentThread('invited')).allowed).toBe(false);
  });
});
