// The referral workflow as FHIR Task states (DESIGN.md §6) and who may move it: the sender requests and may
// cancel while it is open; the receiver receives, accepts, rejects or redirects (with a reason), starts, holds,
// resumes, completes, or fails it (with a reason). Pure rules: the service applies them under a row lock.
import { FailedPreconditionError, InvalidArgumentError, PermissionDeniedError } from '../../../common/src/errors';

export const REFERRAL_STATES = [
  'requested',
  'received',
  'accepted',
  'rejected',
  'in-progress',
  'on-hold',
  'completed',
  'failed',
  'cancelled',
] as const;
export type ReferralState = (typeof REFERRAL_STATES)[number];

export const OPEN_STATES: readonly ReferralState[] = ['requested', 'received', 'accepted', 'in-progress', 'on-hold'];
/** States in which the receiver has not yet accepted: the acceptance deadline runs. */
export const AWAITING_ACCEPTANCE: readonly ReferralState[] = ['requested', 'received'];

export const REFERRAL_ACTIONS = [
  'receive',
  'accept',
  'reject',
  'redirect',
  'start',
  'hold',
  'resume',
  'complete',
  'fail',
  'cancel',
  'refer-back',
  'business-status',
] as const;
export type ReferralAction = (typeof REFERRAL_ACTIONS)[number];

/** The caller's relation to a referral: staff of the sending or the receiving institution, or neither. */
export type ActorSide = 'sender' | 'receiver' | 'other';
export const ACTOR_SIDES: readonly ActorSide[] = ['sender', 'receiver', 'other'];

export type ReferralDirectionName = 'up' | 'down';

interface Rule {
  readonly side: 'sender' | 'receiver' | 'either';
  readonly from: readonly ReferralState[];
  /** The state after; undefined: it stays (a business-status change). */
  readonly to: ReferralState | undefined;
  readonly reasonRequired: boolean;
}

const RULES: Readonly<Record<ReferralAction, Rule>> = {
  receive: { side: 'receiver', from: ['requested'], to: 'received', reasonRequired: false },
  accept: { side: 'receiver', from: ['requested', 'received'], to: 'accepted', reasonRequired: false },
  reject: { side: 'receiver', from: ['requested', 'received'], to: 'rejected', reasonRequired: true },
  // Ends the referral as rejected with reason "redirected"; a linked new one goes to the other institution.
  redirect: { side: 'receiver', from: ['requested', 'received'], to: 'rejected', reasonRequired: true },
  start: { side: 'receiver', from: ['accepted'], to: 'in-progress', reasonRequired: false },
  hold: { side: 'receiver', from: ['in-progress'], to: 'on-hold', reasonRequired: false },
  resume: { side: 'receiver', from: ['on-hold'], to: 'in-progress', reasonRequired: false },
  complete: { side: 'receiver', from: ['in-progress'], to: 'completed', reasonRequired: false },
  fail: { side: 'receiver', from: ['in-progress'], to: 'failed', reasonRequired: true },
  cancel: { side: 'sender', from: OPEN_STATES, to: 'cancelled', reasonRequired: false },
  // Completes an up-referral and opens the down-referral back to the community.
  'refer-back': { side: 'receiver', from: ['in-progress'], to: 'completed', reasonRequired: false },
  'business-status': { side: 'either', from: OPEN_STATES, to: undefined, reasonRequired: false },
};

/** The field that carries an action's reason in its request. */
const REASON_FIELD: Partial<Record<ReferralAction, string>> = { reject: 'reason', redirect: 'reason', fail: 'reason' };

export interface TransitionFacts {
  readonly direction: ReferralDirectionName;
  /** Her colour when the referral was requested. */
  readonly riskColour: string;
  /** The receiver is a critical-care centre (critical_maternal_care). */
  readonly receiverIsCriticalCareCentre: boolean;
}

export interface Transition {
  readonly action: ReferralAction;
  readonly from: ReferralState;
  readonly to: ReferralState;
}

const SIDE_NAMES = { sender: 'the sending institution', receiver: 'the receiving institution' } as const;

/** Colours a receiving critical-care centre may not refuse on an up-referral (DESIGN.md §4). */
export const NON_REFUSABLE_COLOURS: readonly string[] = ['orange', 'red'];

export function isOpen(state: ReferralState): boolean {
  return OPEN_STATES.includes(state);
}

/** Who may take an action, for messages and tests. */
export function sideAllowed(action: ReferralAction, side: ActorSide): boolean {
  const rule = RULES[action];
  if (side === 'other') return false;
  return rule.side === 'either' || rule.side === side;
}

export function statesAllowing(action: ReferralAction): readonly ReferralState[] {
  return RULES[action].from;
}

/**
 * Decides one action. Checked in the order a client can fix them: a missing reason (400), the wrong actor (403),
 * the current state (409 naming it), then the rule that a critical-care centre may not refuse orange/red (409).
 */
export function decideTransition(
  state: ReferralState,
  action: ReferralAction,
  side: ActorSide,
  reason: string,
  facts: TransitionFacts,
): Transition {
  const rule = RULES[action];
  const field = REASON_FIELD[action];
  if (rule.reasonRequired && field && reason.trim().length === 0)
    throw InvalidArgumentError.field(field, `a reason is required to ${action} a referral`);
  if (!sideAllowed(action, side)) {
    const who = rule.side === 'either' ? 'the sending or the receiving institution' : SIDE_NAMES[rule.side];
    throw new PermissionDeniedError(`only staff of ${who} may ${action} this referral`, 'NOT_A_PARTY');
  }
  if (!rule.from.includes(state)) {
    throw new FailedPreconditionError(
      `cannot ${action} a referral that is ${state} (allowed from ${rule.from.join(', ')})`,
      'ILLEGAL_TRANSITION',
    );
  }
  if (
    action === 'reject' &&
    facts.direction === 'up' &&
    facts.receiverIsCriticalCareCentre &&
    NON_REFUSABLE_COLOURS.includes(facts.riskColour)
  ) {
    throw new FailedPreconditionError(
      `a critical-care centre may not refuse an ${facts.riskColour} up-referral; redirect it to another institution instead`,
      'REFUSAL_NOT_ALLOWED',
    );
  }
  if (action === 'refer-back' && facts.direction !== 'up')
    throw new FailedPreconditionError('only an up-referral is referred back down', 'NOT_AN_UP_REFERRAL');
  return { action, from: state, to: rule.to ?? state };
}
