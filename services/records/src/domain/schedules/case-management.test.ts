import { defaultRecordsDataDir, loadRecordsReferenceData } from '../reference-data';
import { caseManagementFollowUp } from './case-management';

const { caseManagement } = loadRecordsReferenceData(defaultRecordsDataDir());
const underCase = {
  inCaseManagement: true,
  colours: ['orange'],
  gradedOn: '2026-10-01',
  visitDates: ['2026-09-20', '2026-10-10'],
  delivered: false,
};

describe('专案管理 extra visits (#25 §3)', () => {
  it('orange: the next visit is due 14 days after her last one and overdue the day after', () => {
    expect(caseManagementFollowUp(caseManagement, underCase, '2026-10-20')).toMatchObject({
      itemId: 'case-management-follow-up',
      service: 'antenatal-visit',
      status: 'open',
      opensOn: '2026-10-10',
      dueOn: '2026-10-24',
      overdueOn: '2026-10-25',
    });
    expect(caseManagementFollowUp(caseManagement, underCase, '2026-10-24')?.status).toBe('due');
    expect(caseManagementFollowUp(caseManagement, underCase, '2026-10-25')?.status).toBe('overdue');
  });

  it('red beside purple: the shorter interval (red, 7 days) governs', () => {
    expect(
      caseManagementFollowUp(caseManagement, { ...underCase, colours: ['red', 'purple'] }, '2026-10-12'),
    ).toMatchObject({ dueOn: '2026-10-17', overdueOn: '2026-10-18' });
  });

  it('no item outside case management, for yellow, or once delivered; a grade after the last visit counts from the grade', () => {
    expect(
      caseManagementFollowUp(caseManagement, { ...underCase, inCaseManagement: false }, '2026-10-12'),
    ).toBeUndefined();
    expect(caseManagementFollowUp(caseManagement, { ...underCase, colours: ['yellow'] }, '2026-10-12')).toBeUndefined();
    expect(caseManagementFollowUp(caseManagement, { ...underCase, delivered: true }, '2026-10-12')).toBeUndefined();
    expect(
      caseManagementFollowUp(caseManagement, { ...underCase, gradedOn: '2026-10-15' }, '2026-10-16'),
    ).toMatchObject({ opensOn: '2026-10-15', dueOn: '2026-10-29' });
  });

  it('every interval is marked unconfirmed: the national 规范 read gives none', () => {
    expect([...caseManagement.confirmation.values()]).toEqual(['unconfirmed', 'unconfirmed', 'unconfirmed']);
  });
});
