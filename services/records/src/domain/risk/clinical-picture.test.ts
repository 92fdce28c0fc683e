import { InvalidArgumentError } from '../../../../common/src/errors';
import { bodyMassIndex, checkClinicalPicture, maternalAgeAt } from './clinical-picture';

describe('maternal age for grading', () => {
  it('is her completed years on the expected date of delivery', () => {
    expect(maternalAgeAt('1991-08-20', '2026-08-19')).toBe(34);
    expect(maternalAgeAt('1991-08-20', '2026-08-20')).toBe(35);
  });

  it('refuses an EDD before her birth', () => {
    expect(() => maternalAgeAt('1991-08-20', '1990-01-01')).toThrow(InvalidArgumentError);
  });
});

describe('pre-pregnancy BMI', () => {
  it('is rounded to one decimal, as the handbook writes it and the rules compare it', () => {
    expect(bodyMassIndex(64, 160)).toBe(25);
    expect(bodyMassIndex(64.3, 160)).toBe(25.1);
    expect(bodyMassIndex(71.7, 160)).toBe(28);
  });

  it('names the bad measurement', () => {
    expect(() => bodyMassIndex(-1, 160)).toThrow(
      expect.objectContaining({ violations: [expect.objectContaining({ field: 'weightKg' })] }),
    );
    expect(() => bodyMassIndex(60, 1.6)).toThrow(
      expect.objectContaining({ violations: [expect.objectContaining({ field: 'heightCm' })] }),
    );
  });
});

describe('checking a clinical picture', () => {
  it('keeps known codes and plausible numbers, and the latest result of each test', () => {
    const checked = checkClinicalPicture({
      haemoglobin: 118,
      findings: ['twins', 'twins'],
      labs: [
        { code: 'HBsAg', result: 'positive', resultedOn: '2026-01-05' },
        { code: 'HBsAg', result: 'negative', resultedOn: '2026-01-04' },
      ],
    });
    expect([...checked.metrics]).toEqual([['haemoglobin', 118]]);
    expect([...checked.findings]).toEqual(['twins']);
    expect(checked.labs.get('HBsAg')).toBe('positive');
  });
});
