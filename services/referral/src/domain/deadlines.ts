// Acceptance deadlines: urgency sets how long the receiver has to accept; an open referral not accepted by
// then is overdue, and worklists put it first.
import { InvalidArgumentError } from '../../../common/src/errors';
import { AWAITING_ACCEPTANCE, ReferralState } from './workflow';

export const URGENCIES = ['routine', 'urgent', 'emergency'] as const;
export type Urgency = (typeof URGENCIES)[number];

/** Minutes the receiver has to accept, by urgency. */
export type AcceptanceWindows = Readonly<Record<Urgency, number>>;

export const DEFAULT_ACCEPTANCE_WINDOWS: AcceptanceWindows = { routine: 72 * 60, urgent: 24 * 60, emergency: 30 };

export function checkAcceptanceWindows(windows: AcceptanceWindows): AcceptanceWindows {
  for (const urgency of URGENCIES) {
    const minutes = windows[urgency];
    if (!Number.isInteger(minutes) || minutes <= 0)
      throw InvalidArgumentError.field(urgency, 'acceptance window must be a positive number of minutes');
  }
  if (!(windows.emergency <= windows.urgent && windows.urgent <= windows.routine)) {
    throw InvalidArgumentError.field(
      'emergency',
      'windows must not grow with urgency (emergency <= urgent <= routine)',
    );
  }
  return windows;
}

export function acceptanceDeadline(requestedAt: Date, urgency: Urgency, windows: AcceptanceWindows): Date {
  return new Date(requestedAt.getTime() + windows[urgency] * 60_000);
}

/** Overdue: still waiting for acceptance after the deadline. */
export function isOverdue(state: ReferralState, deadline: Date, now: Date): boolean {
  return AWAITING_ACCEPTANCE.includes(state) && now.getTime() > deadline.getTime();
}

export interface WorklistEntry {
  readonly state: ReferralState;
  readonly deadline: Date;
  readonly createdAt: Date;
}

/** Worklist order: overdue first, then open ones by nearest deadline, then the rest newest first. */
export function compareWorklist(a: WorklistEntry, b: WorklistEntry, now: Date): number {
  const overdue = Number(isOverdue(b.state, b.deadline, now)) - Number(isOverdue(a.state, a.deadline, now));
  if (overdue !== 0) return overdue;
  const awaiting = Number(AWAITING_ACCEPTANCE.includes(b.state)) - Number(AWAITING_ACCEPTANCE.includes(a.state));
  if (awaiting !== 0) return awaiting;
  if (AWAITING_ACCEPTANCE.includes(a.state)) return a.deadline.getTime() - b.deadline.getTime();
  return b.createdAt.getTime() - a.createdAt.getTime();
}
