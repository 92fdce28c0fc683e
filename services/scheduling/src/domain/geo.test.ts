import { InvalidArgumentError } from '../../../common/src/errors';
import { compareSlots, greatCircleKm, parseNear } from './geo';

const CHUXIONG = { latitude: 25.03, longitude: 101.55 };
const LUFENG = { latitude: 25.15, longitude: 102.08 };
const YONGREN = { latitude: 26.05, longitude: 101.67 };

describe('great-circle distance', () => {
  it('measures county seats of the prefecture plausibly (about 55 km Chuxiong-Lufeng, 114 km to Yongren)', () => {
    expect(greatCircleKm(CHUXIONG, LUFENG)).toBeCloseTo(54.9, 0);
    expect(greatCircleKm(CHUXIONG, YONGREN)).toBeCloseTo(114.1, 0);
    expect(greatCircleKm(CHUXIONG, CHUXIONG)).toBe(0);
    // One degree of latitude is ~111.2 km.
    expect(greatCircleKm({ latitude: 0, longitude: 0 }, { latitude: 1, longitude: 0 })).toBeCloseTo(111.2, 1);
  });
});

describe('near=lat,lon', () => {
  it('reads degrees', () => {
    expect(parseNear('25.03,101.55', 'near')).toEqual(CHUXIONG);
    expect(parseNear('', 'near')).toBeUndefined();
  });

  it.each(['91,100', '25,181', 'abc', '25', '25,101,3', '25;101'])('refuses %s naming the field', (value) => {
    expect(() => parseNear(value, 'near')).toThrow(InvalidArgumentError);
    try {
      parseNear(value, 'near');
    } catch (error) {
      expect((error as InvalidArgumentError).violations[0]?.field).toBe('near');
    }
  });
});

describe('ranking', () => {
  it('puts the nearest institution first, then the earliest slot, then the code', () => {
    const at = (iso: string): Date => new Date(iso);
    const slots = [
      { distanceKm: 50, start: at('2026-12-01T01:00:00Z'), institutionCode: 'B' },
      { distanceKm: 2, start: at('2026-12-03T01:00:00Z'), institutionCode: 'A' },
      { distanceKm: 2, start: at('2026-12-02T01:00:00Z'), institutionCode: 'A' },
      { distanceKm: 50, start: at('2026-12-01T01:00:00Z'), institutionCode: 'A' },
    ];
    expect(
      slots.sort(compareSlots).map((slot) => `${slot.distanceKm}${slot.institutionCode}${slot.start.getUTCDate()}`),
    ).toEqual(['2A2', '2A3', '50A1', '50B1']);
  });
});
