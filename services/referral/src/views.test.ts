// Worklist filters and the wire view of a referral: status names, overdue computed on read.
import { InvalidArgumentError } from '../../common/src/errors';
import { ReferralStatus } from '../../common/src/gen/mch/referral/v1/referral';
import { parseStatusFilter } from './referral-service';
import type { ReferralRow } from './repository';
import { toReferral } from './views';

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
      expect((error as InvalidArgumentError).violations).toEqual([expect.objectContaining({ field: 'status', description: expect.stringContaining('"pending"') })]);
    }
  });
});

describe('the wire view', () => {
  const row: ReferralRow = {
    id: 'r1', patient_id: 'p1', pregnancy_id: null, patient_county_code: 'lufeng', direction: 'up', status: 'requested', urgency: 'emergency',
    risk_colour: 'red', from_institution_id: 'a', to_institution_id: 'b', receiver_critical_care: true, requester_id: 'u1', reason: 'pre-eclampsia',
    business_status: '', status_reason: '', follow_up_plan: '', feedback: '', acceptance_deadline: new Date('2026-11-20T08:30:00Z'),
    created_at: new Date('2026-11-20T08:00:00Z'), updated_at: new Date('2026-11-20T08:00:00Z'), accepted_at: null, completed_at: null,
    redirected_to: null, redirected_from: null, parent_referral_id: null, down_referral_id: null, suggestion_id: null, snapshot: null, consultation_id: '',
  };

  it('flags a referral still awaiting acceptance after its deadline, and no other', () => {
    const after = new Date('2026-11-20T08:31:00Z');
    expect(toReferral(row, {}, after).overdue).toBe(true);
    expect(toReferral(row, {}, new Date('2026-11-20T08:29:00Z')).overdue).toBe(false);
    expect(toReferral({ ...row, status: 'accepted', accepted_at: after }, {}, after).overdue).toBe(false);
    expect(toReferral(row, {}, after).status).toBe(ReferralStatus.REFERRAL_STATUS_REQUESTED);
  });
});
