import { CAPABILITIES } from './domain/institutions';
import { readSeedInstitutions } from './seed';

describe('the alliance reference data', () => {
  const institutions = readSeedInstitutions();

  it('holds the prefecture hospital, 10 county MCH hospitals and 116 midwifery institutions', () => {
    const byLevel = (level: string): number => institutions.filter((i) => i.level === level).length;
    expect(institutions).toHaveLength(127);
    expect(byLevel('PREFECTURE')).toBe(1);
    expect(byLevel('COUNTY')).toBe(10);
    expect(byLevel('TOWNSHIP')).toBe(116);
    expect(new Set(institutions.filter((i) => i.level === 'COUNTY').map((i) => i.countyCode)).size).toBe(10);
  });

  it('has unique codes and names, coordinates in the prefecture and known capabilities', () => {
    expect(new Set(institutions.map((i) => i.code)).size).toBe(127);
    expect(new Set(institutions.map((i) => i.name)).size).toBe(127);
    for (const institution of institutions) {
      expect(institution.lat).toBeGreaterThan(24.2);
      expect(institution.lat).toBeLessThan(26.5);
      expect(institution.lon).toBeGreaterThan(100.7);
      expect(institution.lon).toBeLessThan(102.6);
      for (const capability of institution.capabilities) expect(CAPABILITIES).toContain(capability);
    }
  });
});
