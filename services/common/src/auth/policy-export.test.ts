// Who starts a FHIR bulk export: health administrators (analysts) within their scope; nobody who takes part in care,
// no other admin, no resident, no service.
import { canExportBulk } from './policy';
import type { Principal } from './principal';

const principal = (kind: Principal['kind'], roles: Principal['roles'], analystScope?: string): Principal => ({
  subject: `${kind}:${roles.join('+')}:${analystScope ?? ''}`,
  kind,
  roles,
  institutionId: kind === 'staff' ? 'inst' : undefined,
  analystScope,
  patientId: kind === 'resident' ? 'p' : undefined,
  childPatientIds: [],
  tokenId: 't',
});

describe('canExportBulk', () => {
  it('lets a prefecture analyst export the alliance or any county, a county analyst only that county', () => {
    const prefecture = principal('staff', ['analyst'], 'prefecture');
    const lufeng = principal('staff', ['analyst'], 'lufeng');
    expect(canExportBulk(prefecture, '').allowed).toBe(true);
    expect(canExportBulk(prefecture, 'shuangbai').allowed).toBe(true);
    expect(canExportBulk(lufeng, 'lufeng').allowed).toBe(true);
    expect(canExportBulk(lufeng, 'shuangbai').allowed).toBe(false);
    expect(canExportBulk(lufeng, '').allowed).toBe(false);
  });

  it('refuses care staff, other admins, residents, services and the anonymous', () => {
    for (const who of [
      principal('staff', ['clinician']),
      principal('staff', ['midwife']),
      principal('staff', ['institution-admin']),
      principal('staff', ['platform-admin']),
      principal('resident', []),
      principal('service', []),
      undefined,
    ])
      expect([who?.subject, canExportBulk(who, 'lufeng').allowed]).toEqual([who?.subject, false]);
  });
});
