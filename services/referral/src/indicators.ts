// Referral indicators for statistics (DESIGN.md §2.6): referrals by county of residence and month requested,
// acceptances with the median time to acceptance, rejections, redirections and overdue ones; read from the
// read-only endpoint. Analysts within their scope (records' statistics ask with the analyst's token).
import { canReadStatistics, requireAllowed } from '../../common/src/auth/policy';
import { InvalidArgumentError } from '../../common/src/errors';
import type { CallContext } from '../../common/src/grpc/context';
import { statisticsPeriod } from '../../common/src/months';
import type {
  GetReferralIndicatorsRequest,
  GetReferralIndicatorsResponse,
} from '../../common/src/gen/mch/referral/v1/referral';
import type { ReferralRepository } from './repository';

const todayInChina = (): string => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);

export async function readIndicators(
  repository: ReferralRepository,
  request: GetReferralIndicatorsRequest,
  ctx: CallContext,
): Promise<GetReferralIndicatorsResponse> {
  const county = request.county.trim().toLowerCase();
  if (county && !/^[a-z][a-z-]{1,30}$/.test(county))
    throw InvalidArgumentError.field('county', 'must be a county code, e.g. lufeng');
  requireAllowed(ctx.principal, canReadStatistics(ctx.principal, county || undefined));
  const period = statisticsPeriod(request, todayInChina());
  const rows = await repository.indicators(county, period.from, period.to);
  return {
    indicators: rows.map((row) => ({
      county: row.county,
      month: row.month,
      referralsUp: row.referrals_up,
      referralsDown: row.referrals_down,
      accepted: row.accepted,
      rejected: row.rejected,
      redirected: row.redirected,
      overdue: row.overdue,
      medianMinutesToAcceptance: row.median_minutes === null ? undefined : Math.round(row.median_minutes * 10) / 10,
    })),
    source: 'read-only endpoint',
  };
}
