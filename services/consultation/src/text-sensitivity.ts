// A consultation's free text (subject, outcome, each message's text and attachment names) under the rules records
// and referral apply to theirs (issue 28): classified at write time with the kit's term list, the matches audited,
// and withheld from a reader for whom her sensitive facts are withheld, in every answer and the live stream. Who
// that is comes from the one policy (canAccessSensitive): the patient and her guardians, the treating team, or
// break-glass with a reason. A thread's treating team is its requesting and its addressed institution; staff invited
// from elsewhere, and a platform admin reading as an operator, see no sensitive text.
import { canAccessSensitive } from '../../common/src/auth/policy';
import type { CallContext } from '../../common/src/grpc/context';
import type { ConsultationRow } from './repository';

export { classifyWriteText } from '../../common/src/sensitive-text';

/** What the reader may see of the sensitive text, and whether break-glass is what opened it (to audit). */
export interface TextAccess {
  readonly maySeeSensitive: boolean;
  readonly breakGlass: boolean;
}

export const FULL_TEXT_ACCESS: TextAccess = { maySeeSensitive: true, breakGlass: false };

/** The institutions that treat her in this thread: the one that asked and the one asked. */
export function threadTreatingTeam(
  row: Pick<ConsultationRow, 'requester_institution_id' | 'addressed_institution_id'>,
): string[] {
  return [row.requester_institution_id, row.addressed_institution_id].filter((id): id is string => !!id);
}

export function consultationTextAccess(
  ctx: CallContext,
  row: Pick<ConsultationRow, 'patient_id' | 'requester_institution_id' | 'addressed_institution_id'>,
): TextAccess {
  // A consultation is itself a purpose of use: none stated reads as `consultation`.
  const decision = canAccessSensitive(
    ctx.principal,
    row.patient_id,
    threadTreatingTeam(row),
    ctx.purpose ?? 'consultation',
    ctx.breakGlassReason,
  );
  return { maySeeSensitive: decision.allowed, breakGlass: decision.allowed && decision.breakGlass === true };
}

/** Attachment names as one text to classify. */
export function attachmentNames(attachments: readonly { fileName: string }[]): string {
  return attachments.map((attachment) => attachment.fileName).join('\n');
}
