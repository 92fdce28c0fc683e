// Referral's gRPC handlers: each method to the part that owns it.
import { enforce, listAuditEvents } from '../../common/src/audit';
import { canReadAudit } from '../../common/src/auth/policy';
import type { UnaryHandlers } from '../../common/src/grpc/adapter';
import { checkPageSize } from '../../common/src/paging';
import type { Database } from '../../common/src/pg/database';
import { ReferralServiceService } from '../../common/src/gen/mch/referral/v1/referral';
import { readIndicators } from './indicators';
import { requireId } from '../../common/src/ids';
import type { ReferralImport } from './referral-import';
import type { ReferralService } from './referral-service';
import type { ReferralRepository } from './repository';

export function referralHandlers(
  db: Database,
  repository: ReferralRepository,
  referrals: ReferralService,
  imports: ReferralImport,
): UnaryHandlers<typeof ReferralServiceService> {
  return {
    suggestReferralTargets: (request, ctx) => referrals.suggest(request, ctx),
    createReferral: (request, ctx) => referrals.create(request, ctx),
    importReferrals: (request, ctx) => imports.importReferrals(request, ctx),
    getReferral: (request, ctx) => referrals.get(request, ctx),
    receiveReferral: (request, ctx) => referrals.receive(request, ctx),
    acceptReferral: (request, ctx) => referrals.accept(request, ctx),
    rejectReferral: (request, ctx) => referrals.reject(request, ctx),
    redirectReferral: (request, ctx) => referrals.redirect(request, ctx),
    startReferral: (request, ctx) => referrals.start(request, ctx),
    holdReferral: (request, ctx) => referrals.hold(request, ctx),
    resumeReferral: (request, ctx) => referrals.resume(request, ctx),
    completeReferral: (request, ctx) => referrals.complete(request, ctx),
    failReferral: (request, ctx) => referrals.fail(request, ctx),
    cancelReferral: (request, ctx) => referrals.cancel(request, ctx),
    updateBusinessStatus: (request, ctx) => referrals.updateBusinessStatus(request, ctx),
    referBack: (request, ctx) => referrals.referBack(request, ctx),
    listInstitutionReferrals: (request, ctx) => referrals.worklist(request, ctx),
    listPendingSuggestions: (request, ctx) => referrals.pendingSuggestions(request, ctx),
    dismissSuggestion: (request, ctx) => referrals.dismissSuggestion(request, ctx),
    getReferralIndicators: (request, ctx) => readIndicators(repository, request, ctx),
    async listAuditEvents(request, ctx) {
      const patientId = requireId(request.patientId, 'patientId');
      await enforce(db, ctx, canReadAudit(ctx.principal, patientId), patientId, 'audit.read');
      return {
        events: await listAuditEvents(
          db,
          'referral',
          patientId,
          request.before,
          checkPageSize(request.pageSize, 200, 50),
        ),
      };
    },
  };
}
