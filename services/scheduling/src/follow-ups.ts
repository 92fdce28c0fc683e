// Follow-up lists for outreach by township staff: per institution or per county, the women and children who are
// overdue for a check with nothing booked, or lost to follow-up (a missed appointment not booked again, or overdue
// for more than a month). Every patient shown is an audited access.
import { enforce, listAuditEvents, recordAudits } from '../../common/src/audit';
import { canReadAudit, canReadFollowUps } from '../../common/src/auth/policy';
import { InvalidArgumentError, Violations } from '../../common/src/errors';
import type { CallContext } from '../../common/src/grpc/context';
import { checkPageSize, decodeOffsetToken, nextOffsetToken } from '../../common/src/paging';
import type { Database } from '../../common/src/pg/database';
import {
  FollowUp,
  FollowUpKind,
  ListAuditEventsRequest,
  ListAuditEventsResponse,
  ListFollowUpsRequest,
  ListFollowUpsResponse,
} from '../../common/src/gen/mch/scheduling/v1/scheduling';
import { serviceTypeOf } from './domain/service-types';
import type { IdentityClient } from './identity-client';
import type { FollowUpRow, SchedulingRepository } from './repository';
import { requireId } from './views';

const KIND_CODES: Partial<Record<FollowUpKind, string>> = {
  [FollowUpKind.FOLLOW_UP_KIND_OVERDUE]: 'overdue',
  [FollowUpKind.FOLLOW_UP_KIND_LOST_TO_FOLLOW_UP]: 'lost-to-follow-up',
};

function toFollowUp(row: FollowUpRow): FollowUp {
  return {
    patientId: row.patient_id,
    kind: row.kind === 'overdue' ? FollowUpKind.FOLLOW_UP_KIND_OVERDUE : FollowUpKind.FOLLOW_UP_KIND_LOST_TO_FOLLOW_UP,
    itemId: row.item_id,
    labelZh: row.label_zh,
    labelEn: row.label_en,
    service: serviceTypeOf(row.service),
    overdueOn: row.overdue_on ?? '',
    appointmentId: row.appointment_id ?? '',
    institutionId: row.institution_id ?? '',
    countyCode: row.county_code,
    since: row.since,
  };
}

export class FollowUpService {
  constructor(
    private readonly db: Database,
    private readonly repository: SchedulingRepository,
    private readonly identity: IdentityClient,
  ) {}

  async list(request: ListFollowUpsRequest, ctx: CallContext): Promise<ListFollowUpsResponse> {
    const violations = new Violations();
    const county = request.county.trim().toLowerCase();
    if (!request.institutionId === !county)
      violations.add('institutionId', 'give exactly one of institutionId and county');
    const institutionId = request.institutionId
      ? violations.check(() => requireId(request.institutionId, 'institutionId'))
      : undefined;
    if (county && !/^[a-z][a-z-]{1,30}$/.test(county)) violations.add('county', 'must be a county code, e.g. lufeng');
    const kind = request.kind === FollowUpKind.FOLLOW_UP_KIND_UNSPECIFIED ? undefined : KIND_CODES[request.kind];
    if (request.kind !== FollowUpKind.FOLLOW_UP_KIND_UNSPECIFIED && !kind)
      violations.add('kind', 'must be FOLLOW_UP_KIND_OVERDUE or FOLLOW_UP_KIND_LOST_TO_FOLLOW_UP');
    const limit = violations.check(() => checkPageSize(request.pageSize, 200, 50));
    violations.throwIfAny();
    const callerInstitution = ctx.principal?.institutionId
      ? await this.identity.institutions.get(ctx.principal.institutionId)
      : undefined;
    const scope = institutionId ? { institutionId } : { county };
    await enforce(this.db, ctx, canReadFollowUps(ctx.principal, scope, callerInstitution), '', 'follow-ups.read');
    const filters = { ...scope, kind };
    const offset = decodeOffsetToken(request.pageToken, filters);
    const pageSize = limit as number;
    const rows = await this.repository.followUps(
      institutionId ? { institutionId } : { county },
      kind,
      pageSize + 1,
      offset,
    );
    const page = rows.slice(0, pageSize);
    await recordAudits(
      this.db,
      ctx,
      page.map((row) => ({ patientId: row.patient_id, action: 'follow-ups.read', outcome: 'allowed' as const })),
    );
    return { followUps: page.map(toFollowUp), nextPageToken: nextOffsetToken(filters, offset, pageSize, rows.length) };
  }

  async auditEvents(request: ListAuditEventsRequest, ctx: CallContext): Promise<ListAuditEventsResponse> {
    const patientId = requireId(request.patientId, 'patientId');
    await enforce(this.db, ctx, canReadAudit(ctx.principal, patientId), patientId, 'audit.read');
    if (request.pageSize < 0) throw InvalidArgumentError.field('pageSize', 'must not be negative');
    return {
      events: await listAuditEvents(
        this.db,
        'scheduling',
        patientId,
        request.before,
        checkPageSize(request.pageSize, 200, 50),
      ),
    };
  }
}
