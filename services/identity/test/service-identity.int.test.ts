// Service identities against the real platform: a service buys its own token from identity with the credential
// the platform derived for it, and the policy grants that token only what is granted to the service by name.
import { status } from '@grpc/grpc-js';
import { deriveServiceCredential, ServiceIdentity } from '../../common/src/auth/service-identity';
import { callUnary, createChannelClient } from '../../common/src/grpc/client';
import { IdentityServiceService } from '../../common/src/gen/mch/identity/v1/identity';
import { RecordsServiceService } from '../../common/src/gen/mch/records/v1/records';
import { loadOrCreateCredentials } from '../../platform/src/secrets';
import { readTestPlatform } from '../../platform/test/platform-env';
import { Api } from './support';

const platform = readTestPlatform();
const api = new Api(platform.gatewayUrl);
const { serviceSecret } = loadOrCreateCredentials(platform.dataDir);
const identityAddress = platform.serviceAddresses['identity'] as string;
const recordsAddress = platform.serviceAddresses['records'] as string;
const identity = createChannelClient(identityAddress);
const records = createChannelClient(recordsAddress);

function asService(name: string, credential = deriveServiceCredential(serviceSecret, name)): ServiceIdentity {
  return new ServiceIdentity({ serviceName: name, credential, identityAddress });
}

async function grpcCode(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return status.OK;
  } catch (error) {
    return (error as { code: number }).code;
  }
}

afterAll(() => {
  identity.close();
  records.close();
});

describe('service identity', () => {
  it('issues referral a token that reads the risk outbox', async () => {
    const referral = asService('referral');
    try {
      const page = await callUnary(
        records,
        RecordsServiceService.listRiskEvents,
        { afterCursor: '', limit: 10 },
        { metadata: await referral.metadata() },
      );
      expect(Array.isArray(page.events)).toBe(true);
      // The token is kept and reused until it nears expiry.
      expect(await referral.token()).toBe(await referral.token());
    } finally {
      referral.close();
    }
  });

  it("refuses a wrong credential, another service's credential and an unknown service", async () => {
    const cases = [
      { serviceName: 'referral', credential: 'not-the-credential' },
      { serviceName: 'referral', credential: deriveServiceCredential(serviceSecret, 'scheduling') },
      { serviceName: 'stranger', credential: deriveServiceCredential(serviceSecret, 'stranger') },
      { serviceName: 'referral', credential: deriveServiceCredential("another platform's secret", 'referral') },
    ];
    for (const request of cases) {
      expect(await grpcCode(callUnary(identity, IdentityServiceService.issueServiceToken, request))).toBe(
        status.UNAUTHENTICATED,
      );
    }
    const missing = await grpcCode(
      callUnary(identity, IdentityServiceService.issueServiceToken, { serviceName: '', credential: '' }),
    );
    expect(missing).toBe(status.INVALID_ARGUMENT);
  });

  it('grants a service token nothing that is not granted to that service by name', async () => {
    const scheduling = asService('scheduling');
    try {
      const metadata = await scheduling.metadata();
      expect(
        await grpcCode(
          callUnary(records, RecordsServiceService.listRiskEvents, { afterCursor: '', limit: 10 }, { metadata }),
        ),
      ).toBe(status.PERMISSION_DENIED);
      expect(
        await grpcCode(
          callUnary(
            records,
            RecordsServiceService.listHighRiskCases,
            { county: '', pageSize: 0, pageToken: '' },
            { metadata },
          ),
        ),
      ).toBe(status.PERMISSION_DENIED);
      const token = await scheduling.token();
      // Through the gateway: a service token is no account and reads no patient.
      expect((await api.call('GET', '/v1/me', { token })).status).toBe(403);
      expect((await api.call('GET', '/v1/patient-matches', { token })).status).toBe(403);
      expect(
        (
          await api.call('POST', '/v1/patients', {
            token,
            body: { nationalId: '530102199503080028', name: '测试', countyCode: 'lufeng' },
          })
        ).status,
      ).toBe(403);
    } finally {
      scheduling.close();
    }
  });

  it('is not reachable over HTTP', async () => {
    const answer = await api.call('POST', '/v1/auth/service-token', {
      body: { serviceName: 'referral', credential: deriveServiceCredential(serviceSecret, 'referral') },
    });
    expect(answer.status).toBe(404);
  });
});
