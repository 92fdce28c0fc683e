// Every (state × action × actor side) combination of the referral workflow: the allowed ones reach the FHIR
// Task state of DESIGN.md §6, the others are refused with the right status, naming the current state.
import { status as GrpcStatus } from '@grpc/grpc-js';
import { DomainError, InvalidArgumentError } from '../../../common/src/errors';
import {
  ACTOR_SIDES,
  ActorSide,
  decideTransition,
  REFERRAL_ACTIONS,
  REFERRAL_STATES,
  ReferralAction,
  ReferralState,
  TransitionFacts,
} from './workflow';

const routineUp: TransitionFacts = { direction: 'up', riskColour: 'yellow', receiverIsCriticalCareCentre: false };

/** The expected table, written out independently of the implementation: action -> side -> from -> to. */
const ALLOWED: Record<ReferralAction, { side: ActorSide[]; from: Partial<Record<ReferralState, ReferralState>> }> = {
  receive: { side: ['receiver'], from: { requested: 'received' } },
  accept: { side: ['receiver'], from: { requested: 'accepted', received: 'accepted' } },
  reject: { side: ['receiver'], from: { requested: 'rejected', received: 'rejected' } },
  redirect: { side: ['receiver'], from: { requested: 'rejected', received: 'rejected' } },
  start: { side: ['receiver'], from: { accepted: 'in-progress' } },
  hold: { side: ['receiver'], from: { 'in-progress': 'on-hold' } },
  resume: { side: ['receiver'], from: { 'on-hold': 'in-progress' } },
  complete: { side: ['receiver'], from: { 'in-progress': 'completed' } },
  fail: { side: ['receiver'], from: { 'in-progress': 'failed' } },
  'refer-back': { side: ['receiver'], from: { 'in-progress': 'completed' } },
  cancel: {
    side: ['sender'],
    from: {
      requested: 'cancelled',
      received: 'cancelled',
      accepted: 'cancelled',
      'in-progress': 'cancelled',
      'on-hold': 'cancelled',
    },
  },
  'business-status': {
    side: ['sender', 'receiver'],
    from: {
      requested: 'requested',
      received: 'received',
      accepted: 'accepted',
      'in-progress': 'in-progress',
      'on-hold': 'on-hold',
    },
  },
};

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

const combinations = REFERRAL_STATES.flatMap((state) =>
  REFERRAL_ACTIONS.flatMap((action) => ACTOR_SIDES.map((side) => [state, action, side] as const)),
);

describe('the referral workflow', () => {
  it('covers all 9 states × 12 actions × 3 sides', () => {
    expect(combinations).toHaveLength(9 * 12 * 3);
  });

  it.each(combinations)('%s + %s by the %s', (state, action, side) => {
    const expected = ALLOWED[action];
    const to = expected.from[state];
    const run = (): unknown => decideTransition(state, action, side, 'a stated reason', routineUp);
    if (!expected.side.includes(side)) {
      const error = refusal(run);
      expect(error.code).toBe(GrpcStatus.PERMISSION_DENIED);
      expect(error.message).toMatch(/only staff of the (sending|receiving|sending or the receiving) institution/);
    } else if (to === undefined) {
      const error = refusal(run);
      expect(error.code).toBe(GrpcStatus.FAILED_PRECONDITION);
      expect(error.reason).toBe('ILLEGAL_TRANSITION');
      expect(error.message).toContain(`that is ${state}`);
    } else {
      expect(decideTransition(state, action, side, 'a stated reason', routineUp)).toEqual({ action, from: state, to });
    }
  });

  it.each(['reject', 'redirect', 'fail'] as const)(
    '%s needs a reason (400 naming `reason`), checked before anything else',
    (action) => {
      for (const state of REFERRAL_STATES) {
        for (const side of ACTOR_SIDES) {
          const error = refusal(() => decideTransition(state, action, side, '  ', routineUp));
          expect(error).toBeInstanceOf(InvalidArgumentError);
          expect((error as InvalidArgumentError).violations.map((v) => v.field)).toEqual(['reason']);
        }
      }
    },
  );

  it.each([
    'receive',
    'accept',
    'start',
    'hold',
    'resume',
    'complete',
    'cancel',
    'business-status',
    'refer-back',
  ] as const)('%s needs no reason', (action) => {
    const from = Object.keys(ALLOWED[action].from)[0] as ReferralState;
    const side = ALLOWED[action].side[0] as ActorSide;
    expect(decideTransition(from, action, side, '', routineUp).from).toBe(from);
  });

  describe('a critical-care centre and an orange or red up-referral', () => {
    const cases = (['orange', 'red'] as const).flatMap((colour) =>
      (['requested', 'received'] as const).map((state) => [colour, state] as const),
    );

    it.each(cases)('may not reject %s (%s): 409 REFUSAL_NOT_ALLOWED', (colour, state) => {
      const error = refusal(() =>
        decideTransition(state, 'reject', 'receiver', 'no bed', {
          direction: 'up',
          riskColour: colour,
          receiverIsCriticalCareCentre: true,
        }),
      );
      expect(error.code).toBe(GrpcStatus.FAILED_PRECONDITION);
      expect(error.reason).toBe('REFUSAL_NOT_ALLOWED');
      expect(error.message).toContain('redirect');
    });

    it.each(cases)('may redirect %s (%s)', (colour, state) => {
      expect(
        decideTransition(state, 'redirect', 'receiver', 'no bed', {
          direction: 'up',
          riskColour: colour,
          receiverIsCriticalCareCentre: true,
        }).to,
      ).toBe('rejected');
    });

    it('may reject a yellow or green up-referral, any down-referral, and a non-centre may reject red', () => {
      for (const facts of [
        { direction: 'up', riskColour: 'yellow', receiverIsCriticalCareCentre: true },
        { direction: 'up', riskColour: 'green', receiverIsCriticalCareCentre: true },
        { direction: 'up', riskColour: '', receiverIsCriticalCareCentre: true },
        { direction: 'down', riskColour: 'red', receiverIsCriticalCareCentre: true },
        { direction: 'up', riskColour: 'red', receiverIsCriticalCareCentre: false },
      ] as const) {
        expect(decideTransition('requested', 'reject', 'receiver', 'no bed', facts).to).toBe('rejected');
      }
    });

    it('the sender still may not reject for it (403 first)', () => {
      const error = refusal(() =>
        decideTransition('requested', 'reject', 'sender', 'x', {
          direction: 'up',
          riskColour: 'red',
          receiverIsCriticalCareCentre: true,
        }),
      );
      expect(error.code).toBe(GrpcStatus.PERMISSION_DENIED);
    });
  });

  it('only an up-referral is referred back down', () => {
    const error = refusal(() =>
      decideTransition('in-progress', 'refer-back', 'receiver', '', { ...routineUp, direction: 'down' }),
    );
    expect(error.code).toBe(GrpcStatus.FAILED_PRECONDITION);
    expect(error.reason).toBe('NOT_AN_UP_REFERRAL');
  });
});
