// Who reads a death report: the treating team, county staff of her county, prefecture staff, break-glass; not a
// township of another county, not analysts, not residents, never without a purpose.
import { canReadDeathReport } from './policy';
import type { Principal } from './principal';

const staff = (roles: Principal['roles'], institutionId: string): Principal => ({
  subject: `${roles[0]}@${institutionId}`,
  kind: 'staff',
  roles,
  institutionId,
  analystScope: roles.includes('analyst') ? 'lufeng' : undefined,
  patientId: undefined,
  childPatientIds: [],
  tokenId: 't',
});
const patient = { county: 'lufeng', treatingInstitutionIds: ['lufeng-township'] };
const township = (county: string) => ({ level: 'township' as const, countyCode: county });
const county = (code: string) => ({ level: 'county' as const, countyCode: code });
const prefecture = { level: 'prefecture' as const, countyCode: 'chuxiong' };

describe('canReadDeathReport', () => {
  it('allows the treating team, county staff of her county (clinicians and admins) and prefecture staff', () => {
    expect(
      canReadDeathReport(staff(['midwife'], 'lufeng-township'), patient, township('lufeng'), 'treatment', undefined)
        .allowed,
    ).toBe(true);
    expect(
      canReadDeathReport(staff(['institution-admin'], 'lufeng-mch'), patient, county('lufeng'), 'follow-up', undefined)
        .allowed,
    ).toBe(true);
    expect(
      canReadDeathReport(staff(['clinician'], 'pref-mch'), patient, prefecture, 'treatment', undefined).allowed,
    ).toBe(true);
  });

  it('refuses another township of her county, another county, analysts, residents and staff without a purpose', () => {
    expect(
      canReadDeathReport(staff(['midwife'], 'other-township'), patient, township('lufeng'), 'treatment', undefined)
        .allowed,
    ).toBe(false);
    expect(
      canReadDeathReport(
        staff(['midwife'], 'shuangbai-township'),
        patient,
        township('shuangbai'),
        'treatment',
        undefined,
      ).allowed,
    ).toBe(false);
    expect(
      canReadDeathReport(staff(['clinician'], 'shuangbai-mch'), patient, county('shuangbai'), 'treatment', undefined)
        .allowed,
    ).toBe(false);
    expect(
      canReadDeathReport(staff(['analyst'], 'lufeng-mch'), patient, county('lufeng'), 'treatment', undefined).allowed,
    ).toBe(false);
    expect(
      canReadDeathReport(staff(['clinician'], 'pref-mch'), patient, prefecture, undefined, undefined).allowed,
    ).toBe(false);
    const resident: Principal = {
      subject: 'r',
      kind: 'resident',
      roles: [],
      institutionId: undefined,
      analystScope: undefined,
      patientId: 'p',
      childPatientIds: [],
      tokenId: 't',
    };
    expect(canReadDeathReport(resident, patient, undefined, undefined, undefined).allowed).toBe(false);
  });

  it('opens by break-glass with a reason of ten characters or more, and says so', () => {
    const outsider = staff(['clinician'], 'shuangbai-mch');
    expect(canReadDeathReport(outsider, patient, county('shuangbai'), 'break-glass', 'short').allowed).toBe(false);
    expect(
      canReadDeathReport(outsider, patient, county('shuangbai'), 'break-glass', 'transferred in, in labour'),
    ).toEqual({ allowed: true, breakGlass: true });
  });
});
