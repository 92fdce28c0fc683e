// Worklist filters and the wire view of a referral: status names, overdue computed on read.
import { InvalidArgumentError } from '../../common/src/errors';
import { ReferralStatus } from '../../common/src/gen/mch/referral/v1/referral';
import { parseStatusFilter } from './referral-service';
import type { ReferralRow } from './repository';
import type { TextAccess } from './text-sensitivity';
import { referralHolders } from './text-sensitivity';
import { toReferral } from './views';

const FULL: TextAccess = { maySeeSensitive: true, breakGlass: false };
const RESTRICTED: TextAccess = { maySeeSensitive: false, breakGlass: false };

describe('the worklist status filter', () => {
  it('takes nothing, a state, a comma list, proto names, or "open"', () => {
    expect(parseStatusFilter('')).toBeUndefined();
    expect(parseStatusFilter('requested')).toEqual(['requested']);
    expect(parseStatusFilter('in-progress, on-hold')).toEqual(['in-progress', 'on-hold']);
    expect(parseStatusFilter('REFERRAL_STATUS_IN_PROGRESS')).toEqual(['in-progress']);
    expect(parseStatusFilter('open')).toEqual(['requested', 'received', 'accepted', 'in-progress', 'on-hold']);
  });

  it('names `status` for anything else', () => {
    try {
      parseStatusFilter('requested,pending');
      throw new Error('accepted an unknown status');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).violations).toEqual([
        expect.objectContaining({ field: 'status', description: expect.stringContaining('"pending"') }),
      ]);
    }
  });
});

describe('the wire view', () => {
  const row: ReferralRow = {
    id: 'r1',
    patient_id: 'p1',
    pregnancy_id: null,
    patient_county_code: 'lufeng',
    direction: 'up',
    status: 'requested',
    urgency: 'emergency',
    risk_colour: 'red',
    from_institution_id: 'a',
    to_institution_id: 'b',
    receiver_critical_care: true,
    requester_id: 'u1',
    reason: 'pre-eclampsia',
    business_status: '',
    status_reason: '',
    follow_up_plan: '',
    feedback: '',
    acceptance_deadline: new Date('2026-11-20T08:30:00Z'),
    created_at: new Date('2026-11-20T08:00:00Z'),
    updated_at: new Date('2026-11-20T08:00:00Z'),
    accepted_at: null,
    completed_at: null,
    redirected_to: null,
    redirected_from: null,
    parent_referral_id: null,
    down_referral_id: null,
    suggestion_id: null,
    snapshot: null,
    consultation_id: '',
    reason_sensitivity: 'plain',
    follow_up_plan_sensitivity: 'plain',
    feedback_sensitivity: 'plain',
    status_reason_sensitivity: 'plain',
    business_status_sensitivity: 'plain',
    accompanies_sensitive: false,
  };

  it('flags a referral still awaiting acceptance after its deadline, and no other', () => {
    const after = new Date('2026-11-20T08:31:00Z');
    expect(toReferral(row, {}, after, FULL).overdue).toBe(true);
    expect(toReferral(row, {}, new Date('2026-11-20T08:29:00Z'), FULL).overdue).toBe(false);
    expect(toReferral({ ...row, status: 'accepted', accepted_at: after }, {}, after, FULL).overdue).toBe(false);
    expect(toReferral(row, {}, after, FULL).status).toBe(ReferralStatus.REFERRAL_STATUS_REQUESTED);
  });
});

describe('sensitive text in the wire view', () => {
  const row: ReferralRow = {
    id: 'r1',
    patient_id: 'p1',
    pregnancy_id: null,
    patient_county_code: 'lufeng',
    direction: 'up',
    status: 'rejected',
    urgency: 'routine',
    risk_colour: 'yellow',
    from_institution_id: 'a',
    to_institution_id: 'b',
    receiver_critical_care: false,
    requester_id: 'u1',
    reason: '高血压; HIV阳性',
    business_status: 'transport arranged',
    status_reason: '无床位',
    follow_up_plan: '',
    feedback: '',
    acceptance_deadline: new Date('2026-11-20T08:30:00Z'),
    created_at: new Date('2026-11-20T08:00:00Z'),
    updated_at: new Date('2026-11-20T08:00:00Z'),
    accepted_at: null,
    completed_at: null,
    redirected_to: null,
    redirected_from: null,
    parent_referral_id: null,
    down_referral_id: null,
    suggestion_id: null,
    consultation_id: '',
    snapshot: {
      takenAt: '2026-11-20T08:10:00Z',
      recordVersion: 3,
      pregnancyId: 'g1',
      riskColour: 'red',
      besideColours: ['purple'],
      screenPositive: true,
      screenReasons: ['HIV infection', 'age over 35'],
      edd: '2027-01-01',
      gestationalAge: '30+1',
      findings: ['hiv_infection', 'anaemia'],
      lastVisitDate: '',
      lastSystolicBp: 0,
      lastDiastolicBp: 0,
      visitCount: 2,
      sensitiveWithheld: false,
      unavailable: false,
    },
    reason_sensitivity: 'names-sensitive',
    follow_up_plan_sensitivity: 'plain',
    feedback_sensitivity: 'plain',
    status_reason_sensitivity: 'accompanies-sensitive',
    business_status_sensitivity: 'plain',
    accompanies_sensitive: true,
  };
  const transitions = [
    {
      id: '1',
      referral_id: 'r1',
      action: 'request',
      from_status: '',
      to_status: 'requested',
      actor_id: 'u1',
      institution_id: 'a',
      reason: '高血压; HIV阳性',
      reason_sensitivity: 'names-sensitive' as const,
      at: new Date(),
    },
    {
      id: '2',
      referral_id: 'r1',
      action: 'receive',
      from_status: 'requested',
      to_status: 'received',
      actor_id: 'u2',
      institution_id: 'b',
      reason: '收到',
      reason_sensitivity: 'plain' as const,
      at: new Date(),
    },
  ];

  it("withholds sensitive text, transition reasons and the snapshot's sensitive entries from a restricted reader, and says so", () => {
    const view = toReferral(row, { transitions }, new Date(), RESTRICTED);
    expect(view).toMatchObject({
      reason: '',
      statusReason: '',
      businessStatus: 'transport arranged',
      textWithheld: true,
    });
    expect(view.transitions.map((t) => [t.reason, t.textWithheld])).toEqual([
      ['', true],
      ['收到', false],
    ]);
    expect(view.recordSnapshot).toMatchObject({
      besideColours: [],
      screenReasons: ['age over 35'],
      findings: ['anaemia'],
      sensitiveWithheld: true,
      riskColour: 'red',
    });
  });

  it('shows everything to a reader who may see her sensitive facts', () => {
    const view = toReferral(row, { transitions }, new Date(), FULL);
    expect(view).toMatchObject({ reason: '高血压; HIV阳性', statusReason: '无床位', textWithheld: false });
    expect(view.recordSnapshot).toMatchObject({
      besideColours: ['purple'],
      findings: ['hiv_infection', 'anaemia'],
      sensitiveWithheld: false,
    });
    expect(view.transitions.every((t) => !t.textWithheld)).toBe(true);
  });

  it('treats unclassified text (written before classification) as sensitive', () => {
    const view = toReferral(
      { ...row, reason: '产检', reason_sensitivity: 'unclassified', snapshot: null },
      {},
      new Date(),
      RESTRICTED,
    );
    expect(view).toMatchObject({ reason: '', textWithheld: true });
  });

  it('keeps the receiver among her holders until it gives her up', () => {
    const base = { from_institution_id: 'a', to_institution_id: 'b', status_reason: '', accepted_at: null };
    expect(referralHolders({ ...base, status: 'requested' })).toEqual(['a', 'b']);
    expect(referralHolders({ ...base, status: 'rejected' })).toEqual(['a']);
    expect(referralHolders({ ...base, status: 'rejected', status_reason: 'redirected' })).toEqual(['a']);
    expect(referralHolders({ ...base, status: 'cancelled' })).toEqual(['a']);
    expect(referralHolders({ ...base, status: 'cancelled', accepted_at: new Date() })).toEqual(['a', 'b']);
    expect(referralHolders({ ...base, status: 'completed', accepted_at: new Date() })).toEqual(['a', 'b']);
  });
});
