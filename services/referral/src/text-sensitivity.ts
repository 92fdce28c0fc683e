// Referral's free text (reason, follow-up plan, feedback, status reasons, business status, every transition's note,
// a suggestion's dismissal reason) under the rules records applies to its own (issue 28): classified at write time
// with the kit's term list and matcher, the matches audited, and withheld from a reader for whom her sensitive facts
// are withheld. Who that is comes from the one policy (canAccessSensitive): the patient and her guardians, the
// treating team, or break-glass with a reason. For a referral the treating team is the institutions it puts in
// charge of her: the sender, and the receiver until it gives her up (rejects or redirects her, or the referral is
// cancelled before it accepted); an institution admin or any other reader sees no sensitive text.
import { canAccessSensitive } from '../../common/src/auth/policy';
import type { CallContext } from '../../common/src/grpc/context';
import type { PatientRecord } from '../../common/src/gen/mch/records/v1/records';
import { matchSensitiveTerms } from '../../common/src/sensitive-text';
import type { ReferralRow, SuggestionRow } from './repository';

export { classifyWriteText } from '../../common/src/sensitive-text';

/** What the reader may see of the sensitive text, and whether break-glass is what opened it (to audit). */
export interface TextAccess {
  readonly maySeeSensitive: boolean;
  readonly breakGlass: boolean;
}

export const FULL_TEXT_ACCESS: TextAccess = { maySeeSensitive: true, breakGlass: false };

/** The institutions a referral puts in charge of her: the sender, and the receiver unless it has given her up. */
export function referralHolders(
  row: Pick<ReferralRow, 'from_institution_id' | 'to_institution_id' | 'status' | 'status_reason' | 'accepted_at'>,
): string[] {
  const gaveUp =
    row.status === 'rejected' ||
    row.status_reason === 'redirected' ||
    (row.status === 'cancelled' && row.accepted_at === null);
  return gaveUp ? [row.from_institution_id] : [row.from_institution_id, row.to_institution_id];
}

function accessFor(ctx: CallContext, patientId: string, treating: readonly string[]): TextAccess {
  // Referral's routes are themselves a purpose of use (as for its calls to records): none stated reads as `referral`.
  const decision = canAccessSensitive(
    ctx.principal,
    patientId,
    treating,
    ctx.purpose ?? 'referral',
    ctx.breakGlassReason,
  );
  return { maySeeSensitive: decision.allowed, breakGlass: decision.allowed && decision.breakGlass === true };
}

/** What this reader may see of a referral's sensitive text. */
export function referralTextAccess(
  ctx: CallContext,
  row: Parameters<typeof referralHolders>[0] & Pick<ReferralRow, 'patient_id'>,
): TextAccess {
  return accessFor(ctx, row.patient_id, referralHolders(row));
}

/** What this reader may see of a pending suggestion's text: the institution that graded her treats her. */
export function suggestionTextAccess(
  ctx: CallContext,
  row: Pick<SuggestionRow, 'patient_id' | 'institution_id'>,
): TextAccess {
  return accessFor(ctx, row.patient_id, [row.institution_id]);
}

/** The audit reason of a read: the break-glass reason when it opened sensitive text, a note when text was withheld. */
export function textAuditReason(
  ctx: CallContext,
  access: readonly TextAccess[],
  withheld: boolean,
): string | undefined {
  if (access.some((one) => one.breakGlass)) return `break-glass: ${ctx.breakGlassReason ?? ''}`;
  return withheld ? 'sensitive text withheld' : undefined;
}

/**
 * Whether her record, as the referral's author read it, carries a sensitive fact the referral's text stands beside:
 * a colour beside her grade (purple), or a screening reason or finding that names a condition on the term list.
 */
export function recordCarriesSensitiveFact(record: PatientRecord | undefined): boolean {
  const pregnancy = record?.pregnancies.find((one) => one.status === 'active');
  if (!pregnancy) return false;
  const risk = pregnancy.risk;
  if ((risk?.besideColours ?? []).length > 0) return true;
  return [...(risk?.screenReasons ?? []), ...pregnancy.findings].some(
    (text) => matchSensitiveTerms(text.replace(/_/g, ' ')).length > 0,
  );
}
