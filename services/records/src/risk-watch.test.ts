import type { RiskEvent } from '../../common/src/gen/mch/records/v1/records';
import { deidentified } from './risk-watch';

describe("an analyst's view of a live risk event", () => {
  const event: RiskEvent = {
    cursor: 'MTIzOjQ1',
    patientId: 'p-1',
    pregnancyId: 'g-1',
    assessmentId: 'a-1',
    previousColour: 'yellow',
    previousBesideColours: ['purple'],
    colour: 'red',
    besideColours: ['purple'],
    inCaseManagement: true,
    countyCode: 'lufeng',
    institutionId: 'i-1',
    occurredAt: new Date('2026-12-08T03:00:00Z'),
  };

  it('keeps what the statistics could show and drops whatever names a woman or her infection', () => {
    expect(deidentified(event)).toEqual({
      ...event,
      patientId: '',
      pregnancyId: '',
      assessmentId: '',
      institutionId: '',
      previousBesideColours: [],
      besideColours: [],
    });
  });
});
