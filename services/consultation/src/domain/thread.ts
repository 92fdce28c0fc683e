// The rules of a consultation thread with no I/O: what a message may hold, and how a thread's state moves
// (requested -> in-progress when someone other than the requester joins; closing completes an answered thread and
// cancels an unanswered one; a closed thread takes no more messages or participants).
import { FailedPreconditionError, InvalidArgumentError, Violations } from '../../../common/src/errors';

export type ConsultationStatusName = 'requested' | 'in-progress' | 'completed' | 'cancelled';

export const MAX_TEXT_CHARS = 4_000;
export const MAX_ATTACHMENTS = 10;
export const MAX_SUBJECT_CHARS = 200;
export const MAX_OUTCOME_CHARS = 2_000;
export const MAX_FILE_NAME_CHARS = 255;
/** Object ids are the SHA-256 of the bytes (content-addressed), lower-case hex. */
const OBJECT_ID = /^[0-9a-f]{64}$/;

export interface AttachmentInput {
  readonly objectId: string;
  readonly fileName: string;
}

/** An attachment as stored with its message: type and size as the object store holds them. */
export interface CheckedAttachment {
  readonly objectId: string;
  readonly fileName: string;
  readonly contentType: string;
  readonly sizeBytes: number;
}

/** An attachment whose own fields are valid, before the object store confirmed it. */
export interface NamedAttachment {
  readonly objectId: string;
  readonly fileName: string;
}

export interface CheckedMessage {
  readonly text: string;
  readonly attachments: readonly NamedAttachment[];
}

/** Characters as a reader counts them (code points: one per Chinese character, one per emoji). */
function charCount(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

function checkAttachment(violations: Violations, attachment: AttachmentInput, index: number): NamedAttachment {
  const field = (name: string): string => `attachments[${index}].${name}`;
  const objectId = attachment.objectId.toLowerCase();
  if (!OBJECT_ID.test(objectId))
    violations.add(field('objectId'), 'must be the id of an uploaded object (64 hex characters)');
  const fileName = attachment.fileName.trim();
  if (fileName === '' || charCount(fileName) > MAX_FILE_NAME_CHARS || /[\u0000-\u001f/\\]/.test(fileName)) {
    violations.add(
      field('fileName'),
      `must be 1 to ${MAX_FILE_NAME_CHARS} characters without slashes or control characters`,
    );
  }
  return { objectId, fileName };
}

/** A message's text and attachments: some text or at least one attachment, within the limits; names every bad field. */
export function checkMessage(
  text: string,
  attachments: readonly AttachmentInput[],
  violations = new Violations(),
): CheckedMessage {
  const trimmed = text.trim();
  if (charCount(text) > MAX_TEXT_CHARS) violations.add('text', `must be at most ${MAX_TEXT_CHARS} characters`);
  if (attachments.length > MAX_ATTACHMENTS)
    violations.add('attachments', `at most ${MAX_ATTACHMENTS} attachments per message`);
  const checked = attachments
    .slice(0, MAX_ATTACHMENTS)
    .map((attachment, index) => checkAttachment(violations, attachment, index));
  const ids = checked.map((attachment) => attachment.objectId);
  if (new Set(ids).size !== ids.length) violations.add('attachments', 'names the same object twice');
  if (trimmed === '' && attachments.length === 0) violations.add('text', 'a message needs text or an attachment');
  violations.throwIfAny();
  return { text: trimmed, attachments: checked };
}

/** A free-text field within its limit (subject, outcome). */
export function checkNote(violations: Violations, field: string, value: string, max: number): string {
  if (charCount(value) > max) violations.add(field, `must be at most ${max} characters`);
  return value.trim();
}

export function isClosed(status: ConsultationStatusName): boolean {
  return status === 'completed' || status === 'cancelled';
}

/** Refuses a change to a closed thread. */
export function requireOpen(status: ConsultationStatusName): void {
  if (isClosed(status)) throw new FailedPreconditionError(`the consultation is ${status}`, 'CONSULTATION_CLOSED');
}

/** The state after an account joins: the first to join besides the requester answers the request. */
export function statusAfterJoin(status: ConsultationStatusName, joinerIsRequester: boolean): ConsultationStatusName {
  requireOpen(status);
  return status === 'requested' && !joinerIsRequester ? 'in-progress' : status;
}

/** The state a close moves a thread to: completed once answered, cancelled while nobody answered. */
export function statusAfterClose(status: ConsultationStatusName): ConsultationStatusName {
  requireOpen(status);
  return status === 'requested' ? 'cancelled' : 'completed';
}

/** A sequence number from the wire (int64 as a decimal string): 0 or more. */
export function parseSequence(raw: string, field: string): number {
  const value = Number(raw || '0');
  if (!Number.isSafeInteger(value) || value < 0)
    throw InvalidArgumentError.field(field, 'must be a sequence number (0 or more)');
  return value;
}
