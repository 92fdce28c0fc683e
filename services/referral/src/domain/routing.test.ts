// Routing by risk colour over the seeded alliance (services/identity/seed/institutions.json): the level and
// capabilities each colour requires, the nearest fitting institutions, and why nearer ones were passed over.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serviceDir } from '../../../common/src/paths';
import {
  CandidateInstitution,
  distanceKm,
  loadRoutingRules,
  parseRoutingRules,
  rankTargets,
  requirementFor,
} from './routing';

interface SeedInstitution {
  code: string;
  name: string;
  level: string;
  countyCode: string;
  lat: number;
  lon: number;
  capabilities: string[];
}

const seed = JSON.parse(
  readFileSync(join(serviceDir('identity'), 'seed', 'institutions.json'), 'utf8'),
) as SeedInstitution[];
const alliance: CandidateInstitution[] = seed.map((row) => ({
  id: row.code,
  code: row.code,
  name: row.name,
  level: row.level.toLowerCase() as CandidateInstitution['level'],
  countyCode: row.countyCode,
  location: { latitude: row.lat, longitude: row.lon },
  capabilities: row.capabilities,
}));
const byCode = (code: string): CandidateInstitution =>
  alliance.find((institution) => institution.code === code) as CandidateInstitution;
const rules = loadRoutingRules();

function rankFrom(
  code: string,
  risk: { colour: string; besideColours?: string[]; screenPositive?: boolean },
  extra: string[] = [],
  limit = 3,
): ReturnType<typeof rankTargets> {
  const origin = byCode(code);
  const requirement = requirementFor(rules, { besideColours: [], screenPositive: false, ...risk }, extra);
  return rankTargets(
    alliance,
    { institutionId: origin.id, place: origin.location },
    requirement,
    risk.colour || 'ungraded',
    limit,
  );
}

describe('what each colour requires', () => {
  it('follows DESIGN.md §4: yellow county+, orange county+ critical care, red 三级', () => {
    expect(requirementFor(rules, { colour: 'green', besideColours: [], screenPositive: false })).toMatchObject({
      minLevel: 'township',
    });
    expect(requirementFor(rules, { colour: 'yellow', besideColours: [], screenPositive: false })).toMatchObject({
      minLevel: 'county',
      capabilities: ['delivery'],
    });
    expect(requirementFor(rules, { colour: 'orange', besideColours: [], screenPositive: false })).toMatchObject({
      minLevel: 'county',
      capabilities: ['critical_maternal_care'],
    });
    expect(requirementFor(rules, { colour: 'red', besideColours: [], screenPositive: false })).toMatchObject({
      minLevel: 'prefecture',
      capabilities: ['critical_maternal_care'],
    });
  });

  it('adds the needs of a colour beside (purple) and of the request, keeping the highest level', () => {
    const requirement = requirementFor(rules, { colour: 'yellow', besideColours: ['purple'], screenPositive: false }, [
      'nicu',
    ]);
    expect(requirement.minLevel).toBe('county');
    expect([...requirement.capabilities].sort()).toEqual(['delivery', 'lab', 'nicu']);
  });

  it('sends an ungraded woman flagged by the screen to county level for grading', () => {
    expect(requirementFor(rules, { colour: '', besideColours: [], screenPositive: true })).toMatchObject({
      minLevel: 'county',
      capabilities: ['high_risk_clinic'],
    });
  });

  it('refuses an unknown colour naming the field', () => {
    expect(() => requirementFor(rules, { colour: 'blue', besideColours: [], screenPositive: false })).toThrow(
      /colour: unknown risk colour blue/,
    );
  });

  it('rejects rule files that name unknown levels or colours', () => {
    expect(() =>
      parseRoutingRules({
        ...JSON.parse(JSON.stringify(rules)),
        colours: { red: { minLevel: 'national', capabilities: [], why: '' } },
      }),
    ).toThrow(/colours.red.minLevel/);
    expect(() => parseRoutingRules({ ...JSON.parse(JSON.stringify(rules)), suggestOnColours: ['blue'] })).toThrow(
      /suggestOnColours/,
    );
  });
});

describe('ranking over the alliance', () => {
  it('red at a township goes to the 三级 prefecture hospital; the nearer county critical-care centre is passed over for its level', () => {
    const ranking = rankFrom('CX-LFS-GUANGTONG-THC', { colour: 'red' });
    expect(ranking.targets.map((target) => target.institution.code)).toEqual(['CX-PREF-MCH']);
    expect(ranking.targets[0]?.reason).toContain('nearest prefecture (三级)');
    const county = ranking.passedOver.find((passed) => passed.institution.code === 'CX-LFS-MCH');
    expect(county?.reason).toBe('level county (二级) is below the prefecture (三级) level red requires');
    const township = ranking.passedOver.find((passed) => passed.institution.code === 'CX-LFS-YIPINGLANG-THC');
    expect(township?.reason).toContain('level township is below');
    expect(township?.reason).toContain('lacks critical_maternal_care');
    // Every passed-over institution is nearer than the target, nearest first.
    const distances = ranking.passedOver.map((passed) => passed.distanceKm);
    expect([...distances].sort((a, b) => a - b)).toEqual(distances);
    expect(Math.max(...distances)).toBeLessThanOrEqual(ranking.targets[0]?.distanceKm ?? 0);
  });

  it('yellow near a county border goes to the nearest county-level institution, in the next county', () => {
    const ranking = rankFrom('CX-LFS-HEIJING-THC', { colour: 'yellow' });
    const first = ranking.targets[0];
    expect(first?.institution.code).toBe('CX-MDX-MCH');
    expect(first?.institution.countyCode).toBe('mouding');
    expect(ranking.targets.map((target) => target.institution.code)).toEqual([
      'CX-MDX-MCH',
      'CX-YMX-MCH',
      'CX-LFS-MCH',
    ]);
    // Her own county's hospital is farther: it is a later target, not passed over.
    expect(ranking.passedOver.map((passed) => passed.institution.level)).not.toContain('county');
  });

  it('orange passes over a nearer county hospital lacking critical care, with the reason', () => {
    const ranking = rankFrom('CX-SBX-DAZHUANG-THC', { colour: 'orange' });
    const shuangbai = ranking.passedOver.find((passed) => passed.institution.code === 'CX-SBX-MCH');
    expect(shuangbai?.reason).toBe('lacks critical_maternal_care');
    expect(ranking.targets[0]?.institution.code).toBe('CX-PREF-MCH');
  });

  it('a needed capability from the request passes over institutions without it', () => {
    const ranking = rankFrom('CX-YAX-TAIPING-THC', { colour: 'yellow' }, ['child_psychology']);
    expect(ranking.passedOver.find((passed) => passed.institution.code === 'CX-DYX-MCH')?.reason).toBe(
      'lacks child_psychology',
    );
    expect(ranking.targets[0]?.institution.code).toBe('CX-YAX-MCH');
  });

  it('never suggests the origin itself, and honours the limit', () => {
    const ranking = rankFrom('CX-LFS-MCH', { colour: 'orange' }, [], 2);
    expect(ranking.targets.map((target) => target.institution.code)).not.toContain('CX-LFS-MCH');
    expect(ranking.targets).toHaveLength(2);
  });

  it('measures great-circle distance', () => {
    // Chuxiong city to Lufeng city: about 54 km.
    expect(distanceKm({ latitude: 25.03, longitude: 101.55 }, { latitude: 25.15, longitude: 102.08 })).toBeCloseTo(
      54.8,
      0,
    );
  });
});
