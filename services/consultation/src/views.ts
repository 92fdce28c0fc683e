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
import { isSensitiveText, textWithheld, visibleText, type TextSensitivity } from '../../common/src/sensitive-text';
import type { ConsultationStatusName } from './domain/thread';
import type { ConsultationRow, MessageRow, ParticipantRow, ParticipantStateName } from './repository';
import type { TextAccess } from './text-sensitivity';

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

/** A thread as this reader may see it: a sensitive subject or outcome withheld, and `text_withheld` saying so. */
export function toConsultation(
  row: ConsultationRow,
  participants: readonly ParticipantRow[],
  access: TextAccess,
): Consultation {
  const may = access.maySeeSensitive;
  return {
    id: row.id,
    kind: KINDS[row.kind],
    status: STATUSES[row.status],
    patientId: row.patient_id,
    subject: visibleText(row.subject, row.subject_sensitivity, may),
    referralId: row.referral_id ?? '',
    requesterAccountId: row.requester_account_id,
    requesterInstitutionId: row.requester_institution_id ?? '',
    addressedInstitutionId: row.addressed_institution_id,
    lastSequence: String(row.last_sequence),
    participants: participants.filter((participant) => participant.consultation_id === row.id).map(toParticipant),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    closedAt: row.closed_at ?? undefined,
    outcome: visibleText(row.outcome, row.outcome_sensitivity, may),
    textWithheld:
      textWithheld(row.subject, row.subject_sensitivity, may) ||
      textWithheld(row.outcome, row.outcome_sensitivity, may),
  };
}

/** A stored message, whole: what the live feed carries between processes, before any reader's view. */
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
    textWithheld: false,
  };
}

export interface MessageSensitivity {
  readonly text_sensitivity: TextSensitivity;
  readonly attachments_sensitivity: TextSensitivity;
}

/**
 * A message as this reader may see it: sensitive text withheld, and the attachments left out when their names are
 * sensitive (the name is their description, and the object goes with it); `text_withheld` says so.
 */
export function messageFor(message: Message, sensitivity: MessageSensitivity | undefined, access: TextAccess): Message {
  if (access.maySeeSensitive || message.kind !== MessageKind.MESSAGE_KIND_POST) return message;
  // A message whose classification cannot be read is treated as written before classification: sensitive.
  const textClass = sensitivity?.text_sensitivity ?? 'unclassified';
  const attachmentsClass = sensitivity?.attachments_sensitivity ?? 'unclassified';
  const hideAttachments = message.attachments.length > 0 && isSensitiveText(attachmentsClass);
  const hideText = textWithheld(message.text, textClass, false);
  if (!hideText && !hideAttachments) return message;
  return {
    ...message,
    text: hideText ? '' : message.text,
    attachments: hideAttachments ? [] : message.attachments,
    textWithheld: true,
  };
}

/** A stored message as this reader may see it. */
export function messageView(row: MessageRow, access: TextAccess): Message {
  return messageFor(toMessage(row), row, access);
}
