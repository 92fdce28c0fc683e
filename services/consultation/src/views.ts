// Rows to wire messages, and the wire enums to the names the schema and the policy use.
import type { ConsultationKindName } from '../../common/src/auth/policy';
import {
  Consultation,
  ConsultationKind,
  ConsultationStatus,
  Message,
  MessageKind,
  MessageStatus,
  Participant,
  ParticipantState,
} from '../../common/src/gen/mch/consultation/v1/consultation';
import type { ConsultationStatusName } from './domain/thread';
import type { ConsultationRow, MessageRow, ParticipantRow, ParticipantStateName } from './repository';

export const KIND_NAMES: ReadonlyMap<ConsultationKind, ConsultationKindName> = new Map([
  [ConsultationKind.CONSULTATION_KIND_RESIDENT_CLINICIAN, 'resident-clinician'],
  [ConsultationKind.CONSULTATION_KIND_CLINICIAN_SPECIALIST, 'clinician-specialist'],
]);

const KINDS: Record<ConsultationKindName, ConsultationKind> = {
  'resident-clinician': ConsultationKind.CONSULTATION_KIND_RESIDENT_CLINICIAN,
  'clinician-specialist': ConsultationKind.CONSULTATION_KIND_CLINICIAN_SPECIALIST,
};

export const STATUS_NAMES: ReadonlyMap<ConsultationStatus, ConsultationStatusName> = new Map([
  [ConsultationStatus.CONSULTATION_STATUS_REQUESTED, 'requested'],
  [ConsultationStatus.CONSULTATION_STATUS_IN_PROGRESS, 'in-progress'],
  [ConsultationStatus.CONSULTATION_STATUS_COMPLETED, 'completed'],
  [ConsultationStatus.CONSULTATION_STATUS_CANCELLED, 'cancelled'],
]);

const STATUSES: Record<ConsultationStatusName, ConsultationStatus> = {
  requested: ConsultationStatus.CONSULTATION_STATUS_REQUESTED,
  'in-progress': ConsultationStatus.CONSULTATION_STATUS_IN_PROGRESS,
  completed: ConsultationStatus.CONSULTATION_STATUS_COMPLETED,
  cancelled: ConsultationStatus.CONSULTATION_STATUS_CANCELLED,
};

const PARTICIPANT_STATES: Record<ParticipantStateName, ParticipantState> = {
  invited: ParticipantState.PARTICIPANT_STATE_INVITED,
  active: ParticipantState.PARTICIPANT_STATE_ACTIVE,
  removed: ParticipantState.PARTICIPANT_STATE_REMOVED,
};

export function toParticipant(row: ParticipantRow): Participant {
  return {
    accountId: row.account_id,
    accountKind: row.account_kind,
    institutionId: row.institution_id ?? '',
    state: PARTICIPANT_STATES[row.state],
    invitedBy: row.invited_by,
    joinedAt: row.joined_at ?? undefined,
  };
}

export function toConsultation(row: ConsultationRow, participants: readonly ParticipantRow[]): Consultation {
  return {
    id: row.id,
    kind: KINDS[row.kind],
    status: STATUSES[row.status],
    patientId: row.patient_id,
    subject: row.subject,
    referralId: row.referral_id ?? '',
    requesterAccountId: row.requester_account_id,
    requesterInstitutionId: row.requester_institution_id ?? '',
    addressedInstitutionId: row.addressed_institution_id,
    lastSequence: String(row.last_sequence),
    participants: participants.filter((participant) => participant.consultation_id === row.id).map(toParticipant),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    closedAt: row.closed_at ?? undefined,
    outcome: row.outcome,
  };
}

export function toMessage(row: MessageRow): Message {
  return {
    id: row.id,
    consultationId: row.consultation_id,
    sequence: String(row.sequence),
    kind: row.kind === 'post' ? MessageKind.MESSAGE_KIND_POST : MessageKind.MESSAGE_KIND_EVENT,
    status: MessageStatus.MESSAGE_STATUS_COMPLETED,
    senderAccountId: row.sender_account_id,
    senderInstitutionId: row.sender_institution_id ?? '',
    text: row.text,
    attachments: row.attachments.map((attachment) => ({ ...attachment, sizeBytes: String(attachment.sizeBytes) })),
    event: row.event,
    eventAccountId: row.event_account_id,
    sentAt: row.sent_at,
  };
}
