import { isUuid, stableUuid } from './ids';

describe('stableUuid', () => {
  it('is a deterministic RFC 4122 version-5 UUID', () => {
    const id = stableUuid('institution', 'CX-PREF-MCH');
    expect(id).toBe(stableUuid('institution', 'CX-PREF-MCH'));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(isUuid(id)).toBe(true);
    expect(stableUuid('institution', 'CX-LFS-MCH')).not.toBe(id);
  });

  it('rejects ids that are not UUIDs', () => {
    for (const bad of ['', '../../etc/passwd', '3521a4f9-c6a3-5aa0-8c94-d331b31fe47', "1' OR '1'='1"])
      expect(isUuid(bad)).toBe(false);
  });
});
