// Acceptance deadlines by urgency, overdue flags and the worklist order.
import {
  acceptanceDeadline,
  checkAcceptanceWindows,
  compareWorklist,
  DEFAULT_ACCEPTANCE_WINDOWS,
  isOverdue,
  WorklistEntry,
} from './deadlines';
import { REFERRAL_STATES } from './workflow';

const requested = new Date('2026-11-20T08:00:00Z');

describe('acceptance deadlines', () => {
  it('are 72 h, 24 h and 30 min by default', () => {
    expect(acceptanceDeadline(requested, 'routine', DEFAULT_ACCEPTANCE_WINDOWS).toISOString()).toBe(
      '2026-11-23T08:00:00.000Z',
    );
    expect(acceptanceDeadline(requested, 'urgent', DEFAULT_ACCEPTANCE_WINDOWS).toISOString()).toBe(
      '2026-11-21T08:00:00.000Z',
    );
    expect(acceptanceDeadline(requested, 'emergency', DEFAULT_ACCEPTANCE_WINDOWS).toISOString()).toBe(
      '2026-11-20T08:30:00.000Z',
    );
  });

  it('follow configured windows, which must be positive and shrink with urgency', () => {
    expect(acceptanceDeadline(requested, 'emergency', { routine: 600, urgent: 60, emergency: 5 }).toISOString()).toBe(
      '2026-11-20T08:05:00.000Z',
    );
    expect(() => checkAcceptanceWindows({ routine: 60, urgent: 120, emergency: 5 })).toThrow(
      /emergency <= urgent <= routine/,
    );
    expect(() => checkAcceptanceWindows({ routine: 60, urgent: 30, emergency: 0 })).toThrow(/positive/);
  });

  it('overdue means still awaiting acceptance after the deadline', () => {
    const deadline = new Date('2026-11-20T08:30:00Z');
    const after = new Date('2026-11-20T08:31:00Z');
    const before = new Date('2026-11-20T08:29:00Z');
    for (const state of REFERRAL_STATES) {
      expect(isOverdue(state, deadline, after)).toBe(state === 'requested' || state === 'received');
      expect(isOverdue(state, deadline, before)).toBe(false);
    }
  });

  it('worklists put overdue first, then open ones by nearest deadline, then the rest newest first', () => {
    const now = new Date('2026-11-20T12:00:00Z');
    const entry = (
      name: string,
      state: WorklistEntry['state'],
      deadline: string,
      createdAt: string,
    ): WorklistEntry & { name: string } => ({
      name,
      state,
      deadline: new Date(deadline),
      createdAt: new Date(createdAt),
    });
    const entries = [
      entry('done-new', 'completed', '2026-11-20T09:00:00Z', '2026-11-20T08:00:00Z'),
      entry('open-later', 'requested', '2026-11-22T09:00:00Z', '2026-11-19T09:00:00Z'),
      entry('overdue', 'received', '2026-11-20T11:00:00Z', '2026-11-20T10:30:00Z'),
      entry('open-sooner', 'requested', '2026-11-20T13:00:00Z', '2026-11-20T11:00:00Z'),
      entry('accepted-old', 'accepted', '2026-11-20T10:00:00Z', '2026-11-18T08:00:00Z'),
    ];
    expect(entries.sort((a, b) => compareWorklist(a, b, now)).map((e) => e.name)).toEqual([
      'overdue',
      'open-sooner',
      'open-later',
      'done-new',
      'accepted-old',
    ]);
  });
});
