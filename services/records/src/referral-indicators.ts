// The referral service's indicators for statistics (GetReferralIndicators), asked with the analyst's own token:
// referral applies the same scope rule. A failure is thrown; the statistics say which indicators are missing.
import type { Client } from '@grpc/grpc-js';
import { callUnary, createChannelClient } from '../../common/src/grpc/client';
import type { CallContext } from '../../common/src/grpc/context';
import { ReferralServiceService } from '../../common/src/gen/mch/referral/v1/referral';
import type { ReferralIndicatorRow, ReferralIndicatorSource } from './statistics';

export class ReferralIndicatorClient implements ReferralIndicatorSource {
  private readonly client: Client;

  constructor(address: string) {
    this.client = createChannelClient(address);
  }

  async indicators(
    filter: { county: string; from: string; to: string },
    ctx: CallContext,
  ): Promise<readonly ReferralIndicatorRow[]> {
    const response = await callUnary(this.client, ReferralServiceService.getReferralIndicators, filter, {
      parent: ctx,
      idempotent: true,
      timeoutMs: 5_000,
    });
    return response.indicators;
  }
}
