// The one authorization policy every service applies. Open enough that any member clinician can treat any
// alliance patient, tight enough that nobody reads what they should not; every decision is audited by the
// service that makes it.
import { InvalidArgumentError, PermissionDeniedError, UnauthenticatedError } from '../errors';
import { hasRole, isClinical, isService, Principal } from './principal';

export type Decision =
  | {
      readonly allowed: true;
      readonly breakGlass?: boolean;
      /** Allowed as a platform operator, not as a party: audit it. */ readonly operator?: boolean;
    }
  | { readonly allowed: false; readonly reason: string };

export const PURPOSES = ['treatment', 'referral', 'consultation', 'follow-up', 'registration', 'break-glass'] as const;
export type Purpose = (typeof PURPOSES)[number];

/** The purpose of use a caller states (header `X-MCH-Purpose`); staff must state one to touch patient data. */
export function parsePurpose(raw: string | undefined): Purpose | undefined {
  if (raw === undefined || raw === '') return undefined;
  const purpose = raw.trim().toLowerCase();
  if (!(PURPOSES as readonly string[]).includes(purpose)) {
    throw InvalidArgumentError.field('X-MCH-Purpose', `must be one of ${PURPOSES.join(', ')}`);
  }
  return purpose as Purpose;
}

/** Turns a denial into the answer: 401 without a principal, 403 with one. */
export function requireAllowed(principal: Principal | undefined, decision: Decision): void {
  if (decision.allowed) return;
  if (!principal) throw new UnauthenticatedError(decision.reason, 'TOKEN_MISSING');
  throw new PermissionDeniedError(decision.reason, 'ACCESS_DENIED');
}

const allow: Decision = { allowed: true };
const deny = (reason: string): Decision => ({ allowed: false, reason });

/** Residents: their own record and their linked children's. */
function isOwnOrChild(principal: Principal, patientId: string): boolean {
  return (
    principal.kind === 'resident' &&
    (principal.patientId === patientId || principal.childPatientIds.includes(patientId))
  );
}

/**
 * The shared record of a patient (demographics and the non-sensitive record): the patient and her guardians,
 * and any clinician or midwife of any member institution who states a purpose.
 */
export function canAccessPatient(
  principal: Principal | undefined,
  patientId: string,
  purpose: Purpose | undefined,
): Decision {
  if (!principal) return deny('not authenticated');
  if (principal.kind === 'resident')
    return isOwnOrChild(principal, patientId)
      ? allow
      : deny("residents see only their own and their linked children's records");
  if (!isClinical(principal))
    return deny('only clinicians and midwives read patient records; analysts see aggregates only');
  if (!purpose) return deny('staff must state a purpose of use (X-MCH-Purpose)');
  return allow;
}

/**
 * Sensitive categories (HIV, syphilis, hepatitis B, psychological screening): the patient, her guardians, the
 * treating team (clinical staff of an institution that treats her), or break-glass with a stated reason.
 */
export function canAccessSensitive(
  principal: Principal | undefined,
  patientId: string,
  treatingInstitutionIds: readonly string[],
  purpose: Purpose | undefined,
  breakGlassReason: string | undefined,
): Decision {
  const base = canAccessPatient(principal, patientId, purpose);
  if (!base.allowed || principal?.kind === 'resident') return base;
  if (principal?.institutionId && treatingInstitutionIds.includes(principal.institutionId)) return allow;
  if (purpose === 'break-glass') {
    if (!breakGlassReason || breakGlassReason.trim().length < 10)
      return deny('break-glass needs a reason of at least 10 characters (X-MCH-Break-Glass-Reason)');
    return { allowed: true, breakGlass: true };
  }
  return deny('sensitive records are visible only to the treating team, or by break-glass with a reason');
}

/** Registering patients, searching the index, issuing activation codes, linking guardians: clinical staff. */
export function canActForPatients(principal: Principal | undefined): Decision {
  if (!principal) return deny('not authenticated');
  return isClinical(principal) ? allow : deny('only clinicians and midwives register and look up patients');
}

/** Who may ask for death reports at all (before the report is known): clinical staff and institution admins stating a purpose. */
export function mayReadDeathReports(principal: Principal | undefined, purpose: Purpose | undefined): Decision {
  if (!principal) return deny('not authenticated');
  if (principal.kind === 'resident')
    return deny('death reports are read by the treating team and the MCH administration, not through the resident app');
  if (!isClinical(principal) && !hasRole(principal, 'institution-admin'))
    return deny('only clinical staff and institution admins read death reports; analysts see aggregates only');
  if (!purpose) return deny('staff must state a purpose of use (X-MCH-Purpose)');
  return allow;
}

/**
 * A death report (maternal or under five): more sensitive than the record. The treating team (clinical staff of an
 * institution that treats the patient); staff (clinicians, midwives, institution admins) of a county-level
 * institution of the patient's county or of a prefecture-level institution, who run the county and prefecture MCH
 * administration and the death review panels (评审); or break-glass with a reason. Not other clinicians, not a
 * township of another county, not analysts (aggregates only), not residents. `callerInstitution` is the caller's
 * institution as the alliance directory has it.
 */
export function canReadDeathReport(
  principal: Principal | undefined,
  patient: { readonly county: string; readonly treatingInstitutionIds: readonly string[] },
  callerInstitution: { readonly level: InstitutionLevelName | undefined; readonly countyCode: string } | undefined,
  purpose: Purpose | undefined,
  breakGlassReason: string | undefined,
): Decision {
  const base = mayReadDeathReports(principal, purpose);
  if (!base.allowed || !principal) return base;
  if (
    isClinical(principal) &&
    principal.institutionId &&
    patient.treatingInstitutionIds.includes(principal.institutionId)
  )
    return allow;
  if (callerInstitution?.level === 'prefecture') return allow;
  if (callerInstitution?.level === 'county' && callerInstitution.countyCode === patient.county) return allow;
  if (purpose === 'break-glass' && isClinical(principal)) {
    if (!breakGlassReason || breakGlassReason.trim().length < 10)
      return deny('break-glass needs a reason of at least 10 characters (X-MCH-Break-Glass-Reason)');
    return { allowed: true, breakGlass: true };
  }
  return deny(
    'death reports are visible only to the treating team and to county (of her county) and prefecture MCH staff, or by break-glass with a reason',
  );
}

/**
 * The death review panels (评审): the county panel is staff (clinicians, midwives, institution admins) of a county-level
 * institution of the death's county; the prefecture panel staff of a prefecture-level institution. Not the treating
 * team as such, not townships, not analysts, not residents; no break-glass (a review is not care). `county` is the
 * death's county; undefined asks for the panel's worklist, which county and prefecture staff may read.
 */
export function canReviewDeath(
  principal: Principal | undefined,
  callerInstitution: { readonly level: InstitutionLevelName | undefined; readonly countyCode: string } | undefined,
  purpose: Purpose | undefined,
  review: { readonly level: 'county' | 'prefecture'; readonly county: string } | undefined,
): Decision {
  const base = mayReadDeathReports(principal, purpose);
  if (!base.allowed) return base;
  const level = callerInstitution?.level;
  if (level !== 'county' && level !== 'prefecture')
    return deny(
      'death reviews are the county and prefecture panels’: staff of a county- or prefecture-level institution',
    );
  if (!review) return allow;
  if (review.level === 'prefecture')
    return level === 'prefecture' ? allow : deny('the prefecture review is by staff of a prefecture-level institution');
  if (level === 'county' && callerInstitution?.countyCode === review.county) return allow;
  return deny('the county review is by staff of a county-level institution of the county the death is reported in');
}

/** Staff management: only the admins of that institution. */
export function canManageInstitution(principal: Principal | undefined, institutionId: string): Decision {
  if (!principal) return deny('not authenticated');
  if (!hasRole(principal, 'institution-admin')) return deny('only institution admins manage staff');
  return principal.institutionId === institutionId
    ? allow
    : deny('institution admins manage only their own institution');
}

/** The duplicate-patient review queue: institution admins (the records office) and clinicians. */
export function canReviewMatches(principal: Principal | undefined): Decision {
  if (!principal) return deny('not authenticated');
  return hasRole(principal, 'institution-admin', 'clinician')
    ? allow
    : deny('only clinicians and institution admins review duplicate patients');
}

/** A patient's audit trail: the patient and her guardians, institution admins and platform admins. */
export function canReadAudit(principal: Principal | undefined, patientId: string): Decision {
  if (!principal) return deny('not authenticated');
  if (principal.kind === 'resident')
    return isOwnOrChild(principal, patientId) ? allow : deny('residents see only their own audit trail');
  return hasRole(principal, 'institution-admin', 'platform-admin') ? allow : deny('only admins read audit trails');
}

/** Aggregate statistics: analysts within their scope (`prefecture` sees every county). */
export function canReadStatistics(principal: Principal | undefined, county: string | undefined): Decision {
  if (!principal) return deny('not authenticated');
  if (!hasRole(principal, 'analyst')) return deny('only analysts read statistics');
  if (principal.analystScope === 'prefecture') return allow;
  if (!county) return deny(`analysts scoped to ${principal.analystScope ?? 'nothing'} must ask for their county`);
  return principal.analystScope === county
    ? allow
    : deny(`analysts scoped to ${principal.analystScope ?? 'nothing'} see only that county`);
}

/**
 * The bulk import paths of each service (internal, no HTTP route): the data generator acting as the `seeder`
 * service, and platform admins. It writes whole records at once, so no clinician or service of the platform has it.
 */
export function canImportBulk(principal: Principal | undefined): Decision {
  if (!principal) return deny('not authenticated');
  if (isService(principal, 'seeder') || hasRole(principal, 'platform-admin')) return allow;
  return deny('only the seeder service and platform admins import in bulk');
}

/** Replication operations (switchover): platform admins. */
export function canOperatePlatform(principal: Principal | undefined): Decision {
  if (!principal) return deny('not authenticated');
  return hasRole(principal, 'platform-admin') ? allow : deny('only platform admins operate replication');
}

/** Writing to a patient's shared record: clinicians and midwives who state a purpose (residents only read). */
export function canWriteRecord(
  principal: Principal | undefined,
  patientId: string,
  purpose: Purpose | undefined,
): Decision {
  const base = canAccessPatient(principal, patientId, purpose);
  if (!base.allowed) return base;
  return isClinical(principal) ? allow : deny('only clinicians and midwives write to patient records');
}

/**
 * Confirming a pregnancy risk colour (五色 grading): clinicians at county (二级) or prefecture (三级) level;
 * township staff only screen. `institutionLevel` is the caller's institution's level as identity reports it.
 */
export function canGradePregnancyRisk(
  principal: Principal | undefined,
  institutionLevel: 'prefecture' | 'county' | 'township' | undefined,
): Decision {
  if (!principal) return deny('not authenticated');
  if (!hasRole(principal, 'clinician')) return deny('only clinicians grade pregnancy risk; midwives screen');
  return institutionLevel === 'prefecture' || institutionLevel === 'county'
    ? allow
    : deny('risk colours are graded at county (二级) level and above; township institutions screen');
}

/**
 * The risk-change outbox and the high-risk case register (who is orange, red or purple, and where): clinical staff.
 * Platform admins run the platform and take no part in care, so they read no list of patients.
 */
export function canReadRiskRegister(principal: Principal | undefined): Decision {
  if (!principal) return deny('not authenticated');
  return isClinical(principal) ? allow : deny('only clinical staff read the high-risk register');
}

/** The caller's relation to a referral: clinical staff of its sending or receiving institution, or neither. */
export function referralSide(
  principal: Principal | undefined,
  fromInstitutionId: string,
  toInstitutionId: string,
): 'sender' | 'receiver' | 'other' {
  if (!principal || principal.kind !== 'staff' || !isClinical(principal) || !principal.institutionId) return 'other';
  if (principal.institutionId === fromInstitutionId) return 'sender';
  if (principal.institutionId === toInstitutionId) return 'receiver';
  return 'other';
}

/** Referring a patient (and asking where to): clinicians and midwives of a member institution, for it. */
export function canReferPatient(
  principal: Principal | undefined,
  patientId: string,
  purpose: Purpose | undefined,
): Decision {
  const base = canAccessPatient(principal, patientId, purpose);
  if (!base.allowed) return base;
  if (principal?.kind !== 'staff' || !principal.institutionId)
    return deny('only staff of a member institution refer patients');
  return allow;
}

/**
 * One referral: clinical staff of its sending or receiving institution (the patient's data travels with it), and
 * the patient herself or her guardian.
 */
export function canReadReferral(
  principal: Principal | undefined,
  patientId: string,
  partyInstitutionIds: readonly string[],
): Decision {
  if (!principal) return deny('not authenticated');
  if (principal.kind === 'resident')
    return isOwnOrChild(principal, patientId) ? allow : deny('residents see only their own referrals');
  if (!isClinical(principal)) return deny('only clinicians and midwives read referrals');
  return principal.institutionId && partyInstitutionIds.includes(principal.institutionId)
    ? allow
    : deny('only staff of the sending or receiving institution read this referral');
}

/** An institution's referral worklist and pending suggestions: its own clinical staff and admins. */
export function canReadReferralWorklist(principal: Principal | undefined, institutionId: string): Decision {
  if (!principal) return deny('not authenticated');
  if (!hasRole(principal, 'clinician', 'midwife', 'institution-admin'))
    return deny('only clinical staff and admins read referral worklists');
  return principal.institutionId === institutionId
    ? allow
    : deny("staff read only their own institution's referral worklist");
}

/** Records' risk-change outbox: what may read the register, and the referral service acting as itself. */
export function canReadRiskOutbox(principal: Principal | undefined): Decision {
  if (isService(principal, 'referral')) return allow;
  return canReadRiskRegister(principal);
}

export type ConsultationKindName = 'resident-clinician' | 'clinician-specialist';
export type InstitutionLevelName = 'prefecture' | 'county' | 'township';

const LEVEL_RANK: Readonly<Record<InstitutionLevelName, number>> = { township: 1, county: 2, prefecture: 3 };

/**
 * Opening a consultation thread about a patient. Residents: a resident↔clinician thread about themselves or a linked
 * child. Clinical staff who state a purpose: a resident↔clinician thread, or a clinician↔specialist thread addressed
 * to an institution of a higher level than their own (levels as identity reports them).
 */
export function canOpenConsultation(
  principal: Principal | undefined,
  kind: ConsultationKindName,
  patientId: string,
  purpose: Purpose | undefined,
  callerLevel: InstitutionLevelName | undefined,
  addressedLevel: InstitutionLevelName | undefined,
): Decision {
  if (!principal) return deny('not authenticated');
  if (principal.kind === 'resident') {
    if (kind !== 'resident-clinician') return deny('residents open resident–clinician consultations only');
    return isOwnOrChild(principal, patientId)
      ? allow
      : deny('residents consult about themselves and their linked children only');
  }
  const base = canAccessPatient(principal, patientId, purpose);
  if (!base.allowed) return base;
  if (kind === 'resident-clinician') return allow;
  if (!callerLevel || !addressedLevel || LEVEL_RANK[addressedLevel] <= LEVEL_RANK[callerLevel]) {
    return deny("a specialist consultation is addressed to an institution of a higher level than the caller's");
  }
  return allow;
}

/** Where the caller stands in a thread, as the consultation service read it. */
export interface ConsultationStanding {
  readonly kind: ConsultationKindName;
  readonly patientId: string;
  readonly requesterInstitutionId: string | undefined;
  readonly addressedInstitutionId: string;
  /** The caller's participant row, if any. */
  readonly participation: 'invited' | 'active' | 'removed' | undefined;
}

/** Reading a thread (messages, attachments, live stream): its active participants; platform admins as operators. */
export function canReadConsultation(principal: Principal | undefined, standing: ConsultationStanding): Decision {
  if (!principal) return deny('not authenticated');
  if (standing.participation === 'active') return allow;
  if (hasRole(principal, 'platform-admin')) return { allowed: true, operator: true };
  return deny('only the participants of a consultation read it');
}

/**
 * Joining a thread: the resident whose (or whose child's) resident↔clinician thread it is; clinical staff who state a
 * purpose and work at the requesting or the addressed institution, or were invited. A removed participant needs a
 * new invitation.
 */
export function canJoinConsultation(
  principal: Principal | undefined,
  standing: ConsultationStanding,
  purpose: Purpose | undefined,
): Decision {
  if (!principal) return deny('not authenticated');
  if (standing.participation === 'active') return allow;
  if (standing.participation === 'removed') return deny('a removed participant joins again only when invited again');
  if (principal.kind === 'resident') {
    if (standing.kind !== 'resident-clinician') return deny('residents take no part in specialist consultations');
    return isOwnOrChild(principal, standing.patientId)
      ? allow
      : deny("residents join only their own and their linked children's consultations");
  }
  const base = canAccessPatient(principal, standing.patientId, purpose);
  if (!base.allowed) return base;
  if (standing.participation === 'invited') return allow;
  const institution = principal.institutionId;
  if (
    institution &&
    (institution === standing.addressedInstitutionId || institution === standing.requesterInstitutionId)
  )
    return allow;
  return deny('only staff of the requesting or the addressed institution, or invited staff, join a consultation');
}

/** Posting messages and marking them read: active participants (operators read, they do not write). */
export function canPostToConsultation(principal: Principal | undefined, standing: ConsultationStanding): Decision {
  if (!principal) return deny('not authenticated');
  return standing.participation === 'active' ? allow : deny('only the participants of a consultation write to it');
}

/** Inviting, removing others and closing: the thread's active staff participants. */
export function canManageConsultation(principal: Principal | undefined, standing: ConsultationStanding): Decision {
  const base = canPostToConsultation(principal, standing);
  if (!base.allowed) return base;
  return principal?.kind === 'staff' ? allow : deny('only the clinicians of a consultation invite, remove or close');
}

/**
 * Booking, cancelling and rescheduling a patient's appointments: the patient herself or her guardian (her linked
 * children), clinical staff who state a purpose (any member institution books for any alliance patient), and the
 * referral service acting as itself for purpose `referral`: accepting a referral books the appointment it asks for,
 * later without a human when scheduling was away, and a withdrawn referral cancels it (referral records and audits
 * the clinician who acted).
 */
export function canBookForPatient(
  principal: Principal | undefined,
  patientId: string,
  purpose: Purpose | undefined,
): Decision {
  if (isService(principal, 'referral') && purpose === 'referral') return allow;
  return canAccessPatient(principal, patientId, purpose);
}

/** An institution's day list, arrivals and no-shows: its own clinical staff and admins. */
export function canWorkAppointmentsAt(principal: Principal | undefined, institutionId: string): Decision {
  if (!principal) return deny('not authenticated');
  if (!hasRole(principal, 'clinician', 'midwife', 'institution-admin'))
    return deny("only an institution's clinical staff and admins work its appointments");
  return principal.institutionId === institutionId
    ? allow
    : deny("staff work only their own institution's appointments");
}

/**
 * Follow-up lists for outreach: an institution's list to its own clinical staff and admins; a county's list to
 * the clinical staff and admins of institutions in that county or at the prefecture (which oversees every county).
 */
export function canReadFollowUps(
  principal: Principal | undefined,
  scope: { readonly institutionId: string } | { readonly county: string },
  callerInstitution: { readonly countyCode: string; readonly level: string | undefined } | undefined,
): Decision {
  if (!principal) return deny('not authenticated');
  if (!hasRole(principal, 'clinician', 'midwife', 'institution-admin'))
    return deny('only clinical staff and institution admins read follow-up lists');
  if ('institutionId' in scope)
    return principal.institutionId === scope.institutionId
      ? allow
      : deny("staff read only their own institution's follow-up list");
  if (callerInstitution?.level === 'prefecture' || callerInstitution?.countyCode === scope.county) return allow;
  return deny("a county's follow-up list is for staff of that county and of the prefecture");
}

/**
 * A patient's open schedule items (records' ListDueItems): whoever may read her record, and the scheduling service
 * acting as itself, which sweeps known patients for reminders and the follow-up lists (dates and item names only,
 * never clinical content).
 */
export function canReadDueItems(
  principal: Principal | undefined,
  patientId: string,
  purpose: Purpose | undefined,
): Decision {
  if (isService(principal, 'scheduling')) return allow;
  return canAccessPatient(principal, patientId, purpose);
}
