import { distanceKm, parseNear } from './geo';

describe('distanceKm', () => {
  it('is zero for the same point and symmetric', () => {
    const chuxiong = { latitude: 25.03, longitude: 101.55 };
    const lufeng = { latitude: 25.15, longitude: 102.08 };
    expect(distanceKm(chuxiong, chuxiong)).toBe(0);
    expect(distanceKm(chuxiong, lufeng)).toBeCloseTo(distanceKm(lufeng, chuxiong), 9);
  });

  it('matches known great-circle distances', () => {
    // Chuxiong city to Lufeng: ~54.8 km; one degree of latitude: ~111.2 km.
    expect(distanceKm({ latitude: 25.03, longitude: 101.55 }, { latitude: 25.15, longitude: 102.08 })).toBeCloseTo(
      54.8,
      0,
    );
    expect(distanceKm({ latitude: 0, longitude: 0 }, { latitude: 1, longitude: 0 })).toBeCloseTo(111.2, 1);
  });
});

describe('parseNear', () => {
  it('parses "lat,lon" with spaces and signs', () => {
    expect(parseNear(' 25.03 , 101.55')).toEqual({ latitude: 25.03, longitude: 101.55 });
    expect(parseNear('-33.9,+18.4')).toEqual({ latitude: -33.9, longitude: 18.4 });
  });

  it.each(['abc', '25.03', '25.03,101.55,3', '91,0', '0,181', 'NaN,1', '1e3,1', ',', '25.03;101.55'])(
    'rejects %p naming the field',
    (raw) => {
      expect(() => parseNear(raw)).toThrow(
        expect.objectContaining({ violations: [expect.objectContaining({ field: 'near' })] }),
      );
    },
  );
});
