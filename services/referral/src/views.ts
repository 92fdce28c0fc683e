// Rows to wire messages: referral status, direction and urgency names to their proto enums and back.
import {
  Booking,
  BookingStatus,
  PendingSuggestion,
  RecordSnapshot,
  Referral,
  ReferralDirection,
  ReferralStatus,
  ReferralTransition,
  ReferralUrgency,
} from '../../common/src/gen/mch/referral/v1/referral';
import { serviceTypeFromJSON } from '../../common/src/gen/mch/scheduling/v1/scheduling';
import { matchSensitiveTerms, textWithheld, visibleText } from '../../common/src/sensitive-text';
import { isOverdue, Urgency } from './domain/deadlines';
import type { ReferralDirectionName, ReferralState } from './domain/workflow';
import type { BookingRow, ReferralRow, SnapshotJson, SuggestionRow, TransitionRow } from './repository';
import type { TextAccess } from './text-sensitivity';

export const STATUS_OF: Readonly<Record<ReferralState, ReferralStatus>> = {
  requested: ReferralStatus.REFERRAL_STATUS_REQUESTED,
  received: ReferralStatus.REFERRAL_STATUS_RECEIVED,
  accepted: ReferralStatus.REFERRAL_STATUS_ACCEPTED,
  rejected: ReferralStatus.REFERRAL_STATUS_REJECTED,
  'in-progress': ReferralStatus.REFERRAL_STATUS_IN_PROGRESS,
  'on-hold': ReferralStatus.REFERRAL_STATUS_ON_HOLD,
  completed: ReferralStatus.REFERRAL_STATUS_COMPLETED,
  failed: ReferralStatus.REFERRAL_STATUS_FAILED,
  cancelled: ReferralStatus.REFERRAL_STATUS_CANCELLED,
};

export const DIRECTION_OF: Readonly<Record<ReferralDirectionName, ReferralDirection>> = {
  up: ReferralDirection.REFERRAL_DIRECTION_UP,
  down: ReferralDirection.REFERRAL_DIRECTION_DOWN,
};

export const URGENCY_OF: Readonly<Record<Urgency, ReferralUrgency>> = {
  routine: ReferralUrgency.REFERRAL_URGENCY_ROUTINE,
  urgent: ReferralUrgency.REFERRAL_URGENCY_URGENT,
  emergency: ReferralUrgency.REFERRAL_URGENCY_EMERGENCY,
};

export function nameOf<K extends string, V>(table: Readonly<Record<K, V>>, value: V): K | undefined {
  return (Object.keys(table) as K[]).find((key) => table[key] === value);
}

const BOOKING_STATUS_OF: Readonly<Record<BookingRow['status'], BookingStatus>> = {
  pending: BookingStatus.BOOKING_STATUS_PENDING,
  booked: BookingStatus.BOOKING_STATUS_BOOKED,
  failed: BookingStatus.BOOKING_STATUS_FAILED,
  cancelling: BookingStatus.BOOKING_STATUS_CANCELLING,
  cancelled: BookingStatus.BOOKING_STATUS_CANCELLED,
};

export function toBooking(row: BookingRow): Booking {
  return {
    status: BOOKING_STATUS_OF[row.status],
    service: serviceTypeFromJSON(row.service_type),
    requestedStart: row.requested_start,
    earliestAtOrAfter: row.earliest_at_or_after,
    appointmentId: row.appointment_id,
    slotStart: row.slot_start ?? undefined,
    attempts: row.attempts,
    lastError: row.last_error,
    idempotencyKey: row.idempotency_key,
  };
}

/**
 * The record snapshot as this reader may see it. It was taken with the receiver's view at acceptance; a reader who
 * may not see her sensitive facts gets neither the colours beside her grade nor a screening reason or finding that
 * names a listed condition, and `sensitive_withheld` says so.
 */
export function toSnapshot(json: SnapshotJson, access: TextAccess): RecordSnapshot {
  const snapshot = { ...json, takenAt: new Date(json.takenAt) };
  if (access.maySeeSensitive) return snapshot;
  const plain = (text: string): boolean => matchSensitiveTerms(text.replace(/_/g, ' ')).length === 0;
  return {
    ...snapshot,
    besideColours: [],
    screenReasons: json.screenReasons.filter(plain),
    findings: json.findings.filter(plain),
    sensitiveWithheld: true,
  };
}

function snapshotWithheldAnything(json: SnapshotJson, shown: RecordSnapshot): boolean {
  return (
    shown.besideColours.length !== json.besideColours.length ||
    shown.screenReasons.length !== json.screenReasons.length ||
    shown.findings.length !== json.findings.length
  );
}

export function toTransition(row: TransitionRow, access: TextAccess): ReferralTransition {
  const state = (name: string): ReferralStatus =>
    STATUS_OF[name as ReferralState] ?? ReferralStatus.REFERRAL_STATUS_UNSPECIFIED;
  return {
    action: row.action,
    fromStatus: state(row.from_status),
    toStatus: state(row.to_status),
    actorId: row.actor_id,
    institutionId: row.institution_id,
    reason: visibleText(row.reason, row.reason_sensitivity, access.maySeeSensitive),
    at: row.at,
    textWithheld: textWithheld(row.reason, row.reason_sensitivity, access.maySeeSensitive),
  };
}

/**
 * A referral as this reader may see it: each free-text field, each transition's reason and the snapshot withheld
 * when it is sensitive and the reader may not see her sensitive facts, and `text_withheld` set when anything was.
 */
export function toReferral(
  row: ReferralRow,
  extras: { transitions?: readonly TransitionRow[]; booking?: BookingRow | undefined },
  now: Date,
  access: TextAccess,
): Referral {
  const may = access.maySeeSensitive;
  const texts = {
    reason: [row.reason, row.reason_sensitivity],
    followUpPlan: [row.follow_up_plan, row.follow_up_plan_sensitivity],
    feedback: [row.feedback, row.feedback_sensitivity],
    statusReason: [row.status_reason, row.status_reason_sensitivity],
    businessStatus: [row.business_status, row.business_status_sensitivity],
  } as const;
  const transitions = (extras.transitions ?? []).map((transition) => toTransition(transition, access));
  const snapshot = row.snapshot ? toSnapshot(row.snapshot, access) : undefined;
  const withheld =
    Object.values(texts).some(([text, sensitivity]) => textWithheld(text, sensitivity, may)) ||
    transitions.some((transition) => transition.textWithheld) ||
    (row.snapshot !== null && snapshot !== undefined && snapshotWithheldAnything(row.snapshot, snapshot));
  return {
    id: row.id,
    patientId: row.patient_id,
    pregnancyId: row.pregnancy_id ?? '',
    direction: DIRECTION_OF[row.direction],
    status: STATUS_OF[row.status],
    urgency: URGENCY_OF[row.urgency],
    riskColour: row.risk_colour,
    fromInstitutionId: row.from_institution_id,
    toInstitutionId: row.to_institution_id,
    requesterId: row.requester_id,
    reason: visibleText(...texts.reason, may),
    businessStatus: visibleText(...texts.businessStatus, may),
    statusReason: visibleText(...texts.statusReason, may),
    createdAt: row.created_at,
    acceptanceDeadline: row.acceptance_deadline,
    overdue: isOverdue(row.status, row.acceptance_deadline, now),
    acceptedAt: row.accepted_at ?? undefined,
    completedAt: row.completed_at ?? undefined,
    redirectedToReferralId: row.redirected_to ?? '',
    redirectedFromReferralId: row.redirected_from ?? '',
    parentReferralId: row.parent_referral_id ?? '',
    downReferralId: row.down_referral_id ?? '',
    followUpPlan: visibleText(...texts.followUpPlan, may),
    feedback: visibleText(...texts.feedback, may),
    booking: extras.booking ? toBooking(extras.booking) : undefined,
    recordSnapshot: snapshot,
    transitions,
    suggestionId: row.suggestion_id ?? '',
    patientCountyCode: row.patient_county_code,
    updatedAt: row.updated_at,
    consultationId: row.consultation_id,
    textWithheld: withheld,
  };
}

export function toSuggestion(row: SuggestionRow, access: TextAccess): PendingSuggestion {
  return {
    id: row.id,
    patientId: row.patient_id,
    pregnancyId: row.pregnancy_id,
    institutionId: row.institution_id,
    colour: row.colour,
    previousColour: row.previous_colour,
    countyCode: row.county_code,
    status: row.status,
    referralId: row.referral_id ?? '',
    dismissReason: visibleText(row.dismiss_reason, row.dismiss_reason_sensitivity, access.maySeeSensitive),
    gradedAt: row.graded_at,
    createdAt: row.created_at,
    textWithheld: textWithheld(row.dismiss_reason, row.dismiss_reason_sensitivity, access.maySeeSensitive),
  };
}
