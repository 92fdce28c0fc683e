// Referral's indicators for statistics (counts by county of residence and month, median time to acceptance), asked
// of the referral service with the analyst's own token: referral applies the same scope rule.
import type { Client } from '@grpc/grpc-js';
import { callUnary, createChannelClient } from '../../common/src/grpc/client';
import type { CallContext } from '../../common/src/grpc/context';
import { ReferralIndicator, ReferralServiceService } from '../../common/src/gen/mch/referral/v1/referral';

export interface ReferralIndicatorSource {
  /** The indicators, or undefined when referral could not answer (statistics then say so). */
  indicators(county: string, from: string, to: string, ctx: CallContext): Promise<ReferralIndicator[] | undefined>;
}

export class ReferralIndicatorClient implements ReferralIndicatorSource {
  private readonly client: Client;

  constructor(address: string) {
    this.client = createChannelClient(address);
  }

  async indicators(county: string, from: string, to: string, ctx: CallContext): Promise<ReferralIndicator[] | undefined> {
    try {
      const response = await callUnary(this.client, ReferralServiceService.getReferralIndicators, { county, from, to }, { parent: ctx, idempotent: true, timeoutMs: 5_000 });
      return response.indicators;
    } catch (error) {
      ctx.logger.warn({ err: error }, 'referral indicators unavailable');
      return undefined;
    }
  }
}
