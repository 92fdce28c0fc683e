// Reading records: the whole record (sensitive parts by visibility), its version history, the handbook (cached
// under the record version, audited on every read), the high-risk case register, the risk outbox and the audit
// trail that identity gathers.
import { enforce, listAuditEvents, recordAudit, recordAudits } from '../../common/src/audit';
import type { AuditBatcher } from '../../common/src/audit-batch';
import { canReadAudit, canReadRiskOutbox, canReadRiskRegister } from '../../common/src/auth/policy';
import type { Cache } from '../../common/src/cache';
import { InvalidArgumentError } from '../../common/src/errors';
import type { CallContext } from '../../common/src/grpc/context';
import { checkPageSize, decodeOffsetToken, encodeOffsetToken, nextOffsetToken } from '../../common/src/paging';
import {
  GetHandbookRequest,
  GetHandbookResponse,
  GetPatientRecordRequest,
  GetPatientRecordResponse,
  ListHighRiskCasesRequest,
  ListHighRiskCasesResponse,
  ListRecordHistoryRequest,
  ListRecordHistoryResponse,
  ListRiskEventsRequest,
  ListRiskEventsResponse,
  ListAuditEventsRequest,
  ListAuditEventsResponse,
  ListDueItemsRequest,
  ListDueItemsResponse,
  ChildRecord,
  PatientRecord,
} from '../../common/src/gen/mch/records/v1/records';
import { RecordAccess, requireId } from './access';
import { ChildHealthProgrammes, childFactsOf, LabResult, parseIsoDate, todayInChina } from './domain';
import { toNewbornScreening, toWarningSignCheck, withNutrition } from './child-programme-service';
import { visibleText } from '../../common/src/sensitive-text';
import { handbookSections } from './handbook';
import type { RecordSnapshot } from './repository';
import {
  decodeRiskCursor,
  toChildRecord,
  toHighRiskCase,
  toPregnancy,
  toRecordVersion,
  toRiskEvent,
  Visibility,
} from './views';

/**
 * The whole record of one patient from her rows, as a reader with `visibility` may see it (pure: the privacy rules
 * test reads every field of it as each kind of reader).
 */
export function assembleRecord(
  patientId: string,
  snapshot: RecordSnapshot,
  visibility: Visibility,
  today: string,
  childHealth: ChildHealthProgrammes,
): PatientRecord {
  const todayDay = parseIsoDate(today, 'today');
  const of = <T extends { pregnancy_id: string }>(rows: readonly T[], pregnancyId: string): T[] =>
    rows.filter((row) => row.pregnancy_id === pregnancyId);
  return {
    patientId,
    version: snapshot.version,
    pregnancies: snapshot.pregnancies.map((pregnancy) =>
      toPregnancy(
        pregnancy,
        {
          visits: of(snapshot.visits, pregnancy.id),
          assessments: of(snapshot.assessments, pregnancy.id),
          delivery: snapshot.deliveries.find((delivery) => delivery.pregnancy_id === pregnancy.id),
          postpartumVisits: of(snapshot.postpartumVisits, pregnancy.id),
          imagingStudies: of(snapshot.imagingStudies, pregnancy.id),
        },
        visibility,
        todayDay - parseIsoDate(pregnancy.lmp, 'lmp'),
      ),
    ),
    child: snapshot.child ? childRecordOf(snapshot.child, snapshot, visibility, childHealth) : undefined,
    sensitiveWithheld: !visibility.sensitive,
    updatedAt: snapshot.updatedAt,
  };
}

/** The child part, with each measurement's nutrition classification, newborn screening and warning signs. */
function childRecordOf(
  child: NonNullable<RecordSnapshot['child']>,
  snapshot: RecordSnapshot,
  visibility: Visibility,
  childHealth: ChildHealthProgrammes,
): ChildRecord {
  const record = toChildRecord(child, snapshot, visibility);
  const haemoglobinAt = new Map(
    snapshot.checks
      .filter((check) => check.growth_measurement_id && check.haemoglobin !== null)
      .map((check) => [check.growth_measurement_id as string, Number(check.haemoglobin)]),
  );
  return {
    ...record,
    growth: record.growth.map((measurement) =>
      withNutrition(childHealth.nutrition, measurement, haemoglobinAt.get(measurement.id)),
    ),
    newbornScreenings: snapshot.newbornScreenings.map((row) => ({
      ...toNewbornScreening(row),
      notes: visibleText(row.notes, row.notes_sensitivity, visibility.sensitive),
    })),
    // Psychological screening: withheld whole, like screenings.
    warningSignChecks: visibility.sensitive
      ? snapshot.warningSignChecks.map((row) => toWarningSignCheck(row, childHealth.warningSigns.assessmentLevel))
      : [],
  };
}

const HANDBOOK_TTL_SECONDS = 600;
const RECORD_TTL_SECONDS = 600;

export class ReadService {
  constructor(
    private readonly access: RecordAccess,
    private readonly cache: Cache,
    private readonly audit: AuditBatcher,
  ) {}

  private get repository() {
    return this.access.repository;
  }

  private async assemble(patientId: string, visibility: Visibility, today: string): Promise<PatientRecord> {
    return assembleRecord(
      patientId,
      await this.repository.recordSnapshot(patientId),
      visibility,
      today,
      this.access.reference.childHealth,
    );
  }

  /**
   * The record, cached under (patient, version, what the caller may see, today): a write makes a new version and so
   * a new key, and the day is in it because the record shows today's gestational age. One query reads the version
   * and the treating team; then a Redis GET (or, on a miss, one more query for the whole record) beside the audit
   * event's commit.
   */
  async getRecord(request: GetPatientRecordRequest, ctx: CallContext): Promise<GetPatientRecordResponse> {
    const patientId = requireId(request.patientId, 'patientId');
    await this.access.allowRead(ctx, patientId, 'record.read');
    const today = todayInChina();
    const header = await this.repository.recordHeaderWithTeam(patientId);
    const { visibility, auditReason } = this.access.visibilityFor(ctx, patientId, header.careInstitutions, today);
    const key = this.cache.key(
      'record',
      `${patientId}:v${header.version}:${visibility.sensitive ? 'full' : 'restricted'}:${today}`,
    );
    // The audit event commits while the answer is fetched or assembled: the answer waits for both, so no read is
    // answered unaudited (a read that then fails was still attempted, and stays audited).
    const [{ value }] = await Promise.all([
      this.cache.getOrLoad(
        key,
        GetPatientRecordResponse,
        async () => ({ record: await this.assemble(patientId, visibility, today) }),
        RECORD_TTL_SECONDS,
      ),
      this.audit.record(ctx, {
        patientId,
        action: visibility.sensitive ? 'record.read' : 'record.read.non-sensitive',
        outcome: 'allowed',
        reason: auditReason,
      }),
    ]);
    return value;
  }

  async history(request: ListRecordHistoryRequest, ctx: CallContext): Promise<ListRecordHistoryResponse> {
    const patientId = requireId(request.patientId, 'patientId');
    await this.access.allowRead(ctx, patientId, 'record.history.read');
    const limit = checkPageSize(request.pageSize, 200, 50);
    // The token carries the last version of the previous page (keyset): writes meanwhile do not shift pages.
    const after = decodeOffsetToken(request.pageToken, { patientId });
    // A version's reason may name what the record withholds: the history shows it to those who may see the record's
    // sensitive parts.
    const header = await this.repository.recordHeaderWithTeam(patientId);
    const current = header.version;
    const { visibility, auditReason } = this.access.visibilityFor(
      ctx,
      patientId,
      header.careInstitutions,
      todayInChina(),
    );
    const rows = await this.repository.history(patientId, after > 0 ? after : current + 1, limit + 1);
    await recordAudit(this.access.db, ctx, {
      patientId,
      action: 'record.history.read',
      outcome: 'allowed',
      reason: auditReason,
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      versions: page.map((row) => toRecordVersion(row, visibility)),
      nextPageToken: rows.length > limit && last ? encodeOffsetToken({ patientId }, last.version) : '',
      currentVersion: current,
    };
  }

  async handbook(request: GetHandbookRequest, ctx: CallContext): Promise<GetHandbookResponse> {
    const patientId = requireId(request.patientId, 'patientId');
    await this.access.allowRead(ctx, patientId, 'record.handbook.read');
    const today = todayInChina();
    const version = await this.repository.currentVersion(patientId);
    // The key carries the record version and the day: a write makes a new key, and so does tomorrow.
    const key = this.cache.key('handbook', `${patientId}:v${version}:${today}`);
    // Audited whether or not the answer came from the cache (a cached read is still an access), committed beside it.
    const [{ value }] = await Promise.all([
      this.cache.getOrLoad(
        key,
        GetHandbookResponse,
        () => this.loadHandbook(patientId, version, today),
        HANDBOOK_TTL_SECONDS,
      ),
      this.audit.record(ctx, { patientId, action: 'record.handbook.read', outcome: 'allowed' }),
    ]);
    return value;
  }

  /** The open items of her schedules on `asOf` (today by default), for the scheduling service's due checks. */
  async dueItems(request: ListDueItemsRequest, ctx: CallContext): Promise<ListDueItemsResponse> {
    const patientId = requireId(request.patientId, 'patientId');
    const asOf = request.asOf || todayInChina();
    parseIsoDate(asOf, 'asOf');
    await this.access.allowDueItems(ctx, patientId);
    const version = await this.repository.currentVersion(patientId);
    const handbook = await this.loadHandbook(patientId, version, asOf);
    await recordAudit(this.access.db, ctx, { patientId, action: 'record.due-items.read', outcome: 'allowed' });
    const open = new Set(['upcoming', 'open', 'due', 'overdue']);
    return {
      patientId,
      asOf,
      sections: handbook.sections.map((section) => ({
        ...section,
        items: section.items.filter((item) => open.has(item.status)),
      })),
    };
  }

  private async loadHandbook(patientId: string, version: number, today: string): Promise<GetHandbookResponse> {
    // The handbook shows schedules and the current pregnancy's summary, never sensitive entries, so one cached
    // answer serves every caller allowed to read the record.
    const visibility = this.access.restrictedVisibility(today);
    // The whole record in one statement; the handbook reads the latest pregnancy and the child part of it.
    const snapshot = await this.repository.recordSnapshot(patientId);
    const latest = snapshot.pregnancies[0];
    let pregnancy;
    let currentPregnancy;
    if (latest) {
      const delivery = snapshot.deliveries.find((row) => row.pregnancy_id === latest.id);
      const visits = snapshot.visits.filter((row) => row.pregnancy_id === latest.id);
      pregnancy = {
        row: latest,
        visits,
        delivery,
        postpartumVisits: snapshot.postpartumVisits.filter((row) => row.pregnancy_id === latest.id),
      };
      const summary = toPregnancy(
        latest,
        { visits: [], assessments: [], delivery },
        visibility,
        parseIsoDate(today, 'today') - parseIsoDate(latest.lmp, 'lmp'),
      );
      currentPregnancy = { ...summary, findings: [] };
    }
    const child = snapshot.child;
    // The mother's pregnancy is records' own data: the special immunization rules read her HBsAg and the delivery.
    const birthPregnancy = child?.pregnancy_id ? await this.repository.birthPregnancy(child.pregnancy_id) : undefined;
    const facts = child
      ? childFactsOf({
          birthWeightGrams: child.birth_weight_grams,
          ...(birthPregnancy
            ? {
                pregnancy: {
                  labs: birthPregnancy.labs as LabResult[],
                  gestationalAgeDays: birthPregnancy.gestationalAgeDays,
                },
              }
            : {}),
        })
      : undefined;
    const childPart = child
      ? {
          row: child,
          growth: snapshot.growth,
          immunizations: snapshot.immunizations,
          deferrals: snapshot.deferrals,
          checks: snapshot.checks,
          facts,
        }
      : undefined;
    return {
      patientId,
      recordVersion: version,
      today,
      sections: handbookSections(this.access.reference, { today, pregnancy, child: childPart }),
      currentPregnancy,
    };
  }

  async listHighRiskCases(request: ListHighRiskCasesRequest, ctx: CallContext): Promise<ListHighRiskCasesResponse> {
    const decision = canReadRiskRegister(ctx.principal);
    if (!decision.allowed) await enforce(this.access.db, ctx, decision, '', 'record.high-risk-register.read');
    if (!ctx.purpose)
      throw InvalidArgumentError.field(
        'X-MCH-Purpose',
        'staff must state a purpose of use to read the high-risk register',
      );
    const county = request.county.trim().toLowerCase();
    if (county && !/^[a-z][a-z-]{1,30}$/.test(county))
      throw InvalidArgumentError.field('county', 'must be a county code, e.g. lufeng');
    const limit = checkPageSize(request.pageSize, 200, 50);
    const offset = decodeOffsetToken(request.pageToken, { county });
    const rows = await this.repository.openCases(county, limit + 1, offset);
    const page = rows.slice(0, limit);
    const visibility = this.access.restrictedVisibility(todayInChina());
    await recordAudits(
      this.access.db,
      ctx,
      page.map((row) => ({
        patientId: row.patient_id,
        action: 'record.high-risk-register.read',
        outcome: 'allowed' as const,
      })),
    );
    return {
      cases: page.map((row) => toHighRiskCase(row, visibility)),
      nextPageToken: nextOffsetToken({ county }, offset, limit, rows.length),
    };
  }

  async listRiskEvents(request: ListRiskEventsRequest, ctx: CallContext): Promise<ListRiskEventsResponse> {
    const decision = canReadRiskOutbox(ctx.principal);
    if (!decision.allowed) await enforce(this.access.db, ctx, decision, '', 'record.risk-events.read');
    const cursor = decodeRiskCursor(request.afterCursor);
    if (!cursor) throw InvalidArgumentError.field('afterCursor', 'is not a cursor this API issued');
    const limit = checkPageSize(request.limit, 500, 100);
    const rows = await this.repository.riskEventsAfter(cursor.txid, cursor.id, limit);
    const last = rows[rows.length - 1];
    return { events: rows.map(toRiskEvent), nextCursor: last ? toRiskEvent(last).cursor : request.afterCursor };
  }

  async listAuditEvents(request: ListAuditEventsRequest, ctx: CallContext): Promise<ListAuditEventsResponse> {
    const patientId = requireId(request.patientId, 'patientId');
    await enforce(this.access.db, ctx, canReadAudit(ctx.principal, patientId), patientId, 'audit.read');
    return {
      events: await listAuditEvents(
        this.access.db,
        'records',
        patientId,
        request.before,
        checkPageSize(request.pageSize, 200, 50),
      ),
    };
  }
}
