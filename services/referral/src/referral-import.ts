// ImportReferrals: the data generator's bulk path. Each referral goes between two member institutions in the
// direction their levels say (up: to a higher level; down: to a lower or equal one), and its path from `requested`
// is walked through the state machine's own rules (a rejection, failure or cancellation states a reason). The batch
// is written with COPY in one transaction with every transition, and one audit event per patient.
import { recordAudits } from '../../common/src/audit';
import { admitBatch, runBulkImport } from '../../common/src/bulk-import';
import { FailedPreconditionError, InvalidArgumentError, Violations, withFieldPrefix } from '../../common/src/errors';
import {
  ImportReferralsRequest,
  ImportReferralsResponse,
  ImportedReferral,
  ReferralDirection,
  ReferralStatus,
  ReferralUrgency,
} from '../../common/src/gen/mch/referral/v1/referral';
import type { CallContext } from '../../common/src/grpc/context';
import { requireId } from '../../common/src/ids';
import type { CopyValue } from '../../common/src/pg/copy';
import type { Database } from '../../common/src/pg/database';
import { auditSensitiveText, classifyText, type ClassifiedField } from '../../common/src/sensitive-text';
import { acceptanceDeadline, AcceptanceWindows, Urgency } from './domain/deadlines';
import { LEVELS, type CandidateInstitution } from './domain/routing';
import { REFERRAL_STATES, ReferralAction, ReferralState, statesAllowing } from './domain/workflow';
import type { ReferralImportRepository } from './repository';

export const MAX_IMPORTED_REFERRALS = 10_000;

const URGENCY: ReadonlyMap<ReferralUrgency, Urgency> = new Map([
  [ReferralUrgency.REFERRAL_URGENCY_ROUTINE, 'routine'],
  [ReferralUrgency.REFERRAL_URGENCY_URGENT, 'urgent'],
  [ReferralUrgency.REFERRAL_URGENCY_EMERGENCY, 'emergency'],
]);

/** The action that moves a referral into each state (in-progress: start from accepted, resume from on-hold). */
const ACTION_INTO: Readonly<Partial<Record<ReferralState, ReferralAction>>> = {
  received: 'receive',
  accepted: 'accept',
  rejected: 'reject',
  'on-hold': 'hold',
  completed: 'complete',
  failed: 'fail',
  cancelled: 'cancel',
};

const stateOf = (status: ReferralStatus): ReferralState | undefined => REFERRAL_STATES[status - 1];

export interface ReferralStep {
  readonly action: ReferralAction;
  readonly from: ReferralState;
  readonly to: ReferralState;
}

/** The transitions of a path after `requested`, each allowed by the state machine; throws naming `path[i]`. */
export function walkReferralPath(path: readonly ReferralStatus[], statusReason: string): ReferralStep[] {
  const steps: ReferralStep[] = [];
  let current: ReferralState = 'requested';
  for (const [index, status] of path.entries()) {
    const next = stateOf(status);
    if (!next || next === 'requested')
      throw InvalidArgumentError.field(`path[${index}]`, 'must be a state after requested');
    const action: ReferralAction | undefined =
      next === 'in-progress' ? (current === 'on-hold' ? 'resume' : 'start') : ACTION_INTO[next];
    if (!action || !statesAllowing(action).includes(current))
      throw InvalidArgumentError.field(`path[${index}]`, `${current} cannot become ${next}`);
    steps.push({ action, from: current, to: next });
    current = next;
  }
  if (['rejected', 'failed', 'cancelled'].includes(current) && statusReason.trim().length < 3) {
    throw InvalidArgumentError.field('statusReason', `a ${current} referral states why`);
  }
  return steps;
}

export class ReferralImport {
  constructor(
    private readonly db: Database,
    private readonly repository: ReferralImportRepository,
    private readonly institutions: () => Promise<CandidateInstitution[]>,
    private readonly windows: AcceptanceWindows,
  ) {}

  async importReferrals(request: ImportReferralsRequest, ctx: CallContext): Promise<ImportReferralsResponse> {
    admitBatch(ctx, 'referrals', request.referrals.length, MAX_IMPORTED_REFERRALS);
    const members = new Map((await this.institutions()).map((institution) => [institution.id, institution]));
    const now = new Date();
    const violations = new Violations();
    const referrals: CopyValue[][] = [];
    const transitions: CopyValue[][] = [];
    const matched = new Map<string, { patientId: string; fields: ClassifiedField[] }>();
    for (const [index, item] of request.referrals.entries()) {
      if (violations.count() >= 20) break;
      const built = violations.check(() =>
        withFieldPrefix(`referrals[${index}].`, () => this.rows(item, members, now, ctx.caller)),
      );
      if (!built) continue;
      referrals.push(built.referral);
      transitions.push(...built.transitions);
      if (built.classified.length > 0)
        matched.set(built.referral[0] as string, { patientId: built.referral[1] as string, fields: built.classified });
    }
    violations.throwIfAny();
    if (new Set(referrals.map((row) => row[0])).size !== referrals.length)
      throw InvalidArgumentError.field('referrals', 'holds one id twice');

    return runBulkImport(
      this.db,
      ctx,
      ImportReferralsRequest.encode(request).finish(),
      ImportReferralsResponse,
      async (tx) => {
        let created: Set<string>;
        try {
          created = await this.repository.insertReferrals(tx, referrals);
        } catch (error) {
          if ((error as { constraint?: string }).constraint === 'referrals_one_open_per_pair') {
            throw new FailedPreconditionError(
              'the batch opens a second open referral of a patient between the same two institutions',
              'REFERRAL_ALREADY_OPEN',
            );
          }
          throw error;
        }
        const fresh = transitions.filter((row) => created.has(row[0] as string));
        await this.repository.insertTransitions(tx, fresh);
        const patients = new Set(
          referrals.filter((row) => created.has(row[0] as string)).map((row) => row[1] as string),
        );
        await recordAudits(
          tx,
          ctx,
          [...patients].map((patientId) => ({
            patientId,
            action: 'referral.import',
            outcome: 'allowed',
            reason: 'bulk import',
          })),
        );
        // The term matches of the imported text, audited like those of a write (field and category, never the text).
        for (const [id, { patientId, fields }] of matched)
          if (created.has(id)) await auditSensitiveText(tx, ctx, patientId, fields);
        return { created: created.size, existing: referrals.length - created.size, transitions: fresh.length };
      },
    );
  }

  private rows(
    item: ImportedReferral,
    members: ReadonlyMap<string, CandidateInstitution>,
    now: Date,
    caller: string,
  ): { referral: CopyValue[]; transitions: CopyValue[][]; classified: ClassifiedField[] } {
    const id = requireId(item.id, 'id');
    const patientId = requireId(item.patientId, 'patientId');
    const from = members.get(requireId(item.fromInstitutionId, 'fromInstitutionId'));
    if (!from) throw InvalidArgumentError.field('fromInstitutionId', 'is not a member institution');
    const to = members.get(requireId(item.toInstitutionId, 'toInstitutionId'));
    if (!to) throw InvalidArgumentError.field('toInstitutionId', 'is not a member institution');
    if (from.id === to.id) throw InvalidArgumentError.field('toInstitutionId', 'must differ from fromInstitutionId');
    const up = LEVELS.indexOf(to.level) > LEVELS.indexOf(from.level);
    if (item.direction === ReferralDirection.REFERRAL_DIRECTION_UP && !up)
      throw InvalidArgumentError.field('direction', 'up goes to an institution of a higher level');
    if (item.direction === ReferralDirection.REFERRAL_DIRECTION_DOWN && up)
      throw InvalidArgumentError.field('direction', 'down goes to an institution of a lower or equal level');
    if (
      item.direction !== ReferralDirection.REFERRAL_DIRECTION_UP &&
      item.direction !== ReferralDirection.REFERRAL_DIRECTION_DOWN
    )
      throw InvalidArgumentError.field('direction', 'must be UP or DOWN');
    const urgency = URGENCY.get(item.urgency);
    if (!urgency) throw InvalidArgumentError.field('urgency', 'must be ROUTINE, URGENT or EMERGENCY');
    const reason = item.reason.trim();
    if (reason.length < 3 || reason.length > 2000)
      throw InvalidArgumentError.field('reason', 'state why (3 to 2000 characters)');
    if (!item.createdAt) throw InvalidArgumentError.field('createdAt', 'is required');
    const hoursPerStep = item.hoursPerStep;
    if (hoursPerStep < 0 || hoursPerStep > 24 * 30)
      throw InvalidArgumentError.field('hoursPerStep', 'must be between 0 and 720');
    const steps = walkReferralPath(item.path, item.statusReason);
    const at = (step: number): Date => new Date(item.createdAt!.getTime() + step * hoursPerStep * 3_600_000);
    if (at(steps.length) > now) throw InvalidArgumentError.field('createdAt', 'its path would end in the future');
    const status = steps[steps.length - 1]?.to ?? 'requested';
    const acceptedStep = steps.findIndex((step) => step.to === 'accepted');
    const completedStep = steps.findIndex((step) => step.to === 'completed');
    const statusReason = ['rejected', 'failed', 'cancelled'].includes(status) ? item.statusReason.trim() : '';
    // Imported text carries no record beside it: it is sensitive when it names a listed condition.
    const plainContext = { accompaniesSensitiveFact: false, authorMarkedNotSensitive: false };
    const reasonClass = classifyText(reason, plainContext);
    const lastReason = item.statusReason.trim();
    const lastClass = classifyText(lastReason, plainContext);
    const referral: CopyValue[] = [
      id,
      patientId,
      item.patientCountyCode.trim(),
      up ? 'up' : 'down',
      status,
      urgency,
      item.riskColour.trim(),
      from.id,
      to.id,
      caller,
      reason,
      statusReason,
      acceptanceDeadline(item.createdAt, urgency, this.windows),
      item.createdAt,
      at(steps.length),
      acceptedStep >= 0 ? at(acceptedStep + 1) : null,
      completedStep >= 0 ? at(completedStep + 1) : null,
      reasonClass.sensitivity,
      statusReason ? lastClass.sensitivity : 'plain',
      'plain',
      'plain',
      'plain',
      false,
    ];
    const transitions: CopyValue[][] = [[id, 'request', '', 'requested', caller, from.id, '', item.createdAt, 'plain']];
    for (const [index, step] of steps.entries()) {
      const side = step.action === 'cancel' ? from.id : to.id;
      const last = index === steps.length - 1;
      transitions.push([
        id,
        step.action,
        step.from,
        step.to,
        caller,
        side,
        last ? lastReason : '',
        at(index + 1),
        last ? lastClass.sensitivity : 'plain',
      ]);
    }
    const classified = [
      { field: 'referral.reason', classification: reasonClass },
      ...(steps.length > 0 ? [{ field: 'referral_transition.reason', classification: lastClass }] : []),
    ].filter((field) => field.classification.categories.length > 0);
    return { referral, transitions, classified };
  }
}
