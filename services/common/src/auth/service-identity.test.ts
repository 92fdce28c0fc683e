import { deriveServiceCredential, isServicePrincipalName, verifyServiceCredential } from './service-identity';

describe('service credentials', () => {
  const secret = 'platform-secret';

  it('verifies the credential derived for the same service under the same secret only', () => {
    const credential = deriveServiceCredential(secret, 'referral');
    expect(verifyServiceCredential(secret, 'referral', credential)).toBe(true);
    expect(verifyServiceCredential(secret, 'scheduling', credential)).toBe(false);
    expect(verifyServiceCredential('other-secret', 'referral', credential)).toBe(false);
    expect(verifyServiceCredential(secret, 'referral', credential.slice(1))).toBe(false);
    expect(verifyServiceCredential(secret, 'referral', '')).toBe(false);
  });

  it('knows no service outside the platform', () => {
    expect(isServicePrincipalName('referral')).toBe(true);
    expect(isServicePrincipalName('stranger')).toBe(false);
    expect(verifyServiceCredential(secret, 'stranger', deriveServiceCredential(secret, 'stranger'))).toBe(false);
  });

  it('gives each service a different credential', () => {
    const names = ['identity', 'records', 'scheduling', 'referral', 'consultation', 'replication', 'gateway'];
    expect(new Set(names.map((name) => deriveServiceCredential(secret, name))).size).toBe(names.length);
  });
});
