// Live monitoring of high-risk cases (实时监控): the risk outbox followed from a cursor and streamed with the open
// case counts after each change. Clinical staff see events as the high-risk register shows them (audited per
// patient); analysts see them de-identified within their county scope, as they see the statistics.
import { setTimeout as sleep } from 'node:timers/promises';
import { enforce, recordAudits } from '../../common/src/audit';
import { canReadRiskRegister, canReadStatistics, requireAllowed } from '../../common/src/auth/policy';
import { hasRole } from '../../common/src/auth/principal';
import { InvalidArgumentError } from '../../common/src/errors';
import type { CallContext } from '../../common/src/grpc/context';
import type {
  OpenCaseCount,
  RiskEvent,
  WatchHighRiskCasesRequest,
  WatchHighRiskCasesResponse,
} from '../../common/src/gen/mch/records/v1/records';
import type { RecordAccess } from './access';
import { todayInChina } from './domain';
import { decodeRiskCursor, encodeRiskCursor, toVisibleRiskEvent } from './views';

/** Outbox rows read per poll. */
const BATCH = 100;

type Audience = 'clinical' | 'analyst';

/** Who may follow the stream and how much of each event they see; bad input named by field. */
export async function watchAudience(access: RecordAccess, ctx: CallContext, county: string): Promise<Audience> {
  if (county && !/^[a-z][a-z-]{1,30}$/.test(county))
    throw InvalidArgumentError.field('county', 'must be a county code, e.g. lufeng');
  if (hasRole(ctx.principal, 'analyst')) {
    requireAllowed(ctx.principal, canReadStatistics(ctx.principal, county || undefined));
    return 'analyst';
  }
  const decision = canReadRiskRegister(ctx.principal);
  if (!decision.allowed) await enforce(access.db, ctx, decision, '', 'record.high-risk-register.read');
  if (!ctx.purpose)
    throw InvalidArgumentError.field(
      'X-MCH-Purpose',
      'staff must state a purpose of use to read the high-risk register',
    );
  return 'clinical';
}

/** An event for an analyst: what the statistics could show (county, colours, time), nothing that names a woman. */
export function deidentified(event: RiskEvent): RiskEvent {
  return {
    ...event,
    patientId: '',
    pregnancyId: '',
    assessmentId: '',
    institutionId: '',
    previousBesideColours: [],
    besideColours: [],
  };
}

export async function* watchHighRiskCases(
  access: RecordAccess,
  request: WatchHighRiskCasesRequest,
  ctx: CallContext,
  pollMs: number,
): AsyncGenerator<WatchHighRiskCasesResponse> {
  const county = request.county.trim().toLowerCase();
  const audience = await watchAudience(access, ctx, county);
  const given = request.afterCursor.trim();
  const start = given ? decodeRiskCursor(given) : await access.repository.riskEventsTail();
  if (!start) throw InvalidArgumentError.field('afterCursor', 'is not a cursor this stream issued');
  let cursor = start;
  const counts = async (): Promise<OpenCaseCount[]> =>
    (await access.repository.openCaseCounts(county)).map((row) => ({
      countyCode: row.county_code,
      colour: row.colour,
      cases: row.cases,
    }));
  let replaying = true;
  while (!ctx.signal.aborted) {
    const rows = await access.repository.riskEventsAfter(cursor.txid, cursor.id, BATCH);
    const last = rows[rows.length - 1];
    if (last) cursor = { txid: last.txid, id: last.id };
    const visible = rows.filter((row) => !county || row.county_code === county);
    if (audience === 'clinical' && visible.length > 0)
      await recordAudits(
        access.db.rw,
        ctx,
        visible.map((row) => ({
          patientId: row.patient_id,
          action: 'record.high-risk-register.read',
          outcome: 'allowed' as const,
        })),
      );
    const visibility = access.restrictedVisibility(todayInChina());
    const openCases = visible.length > 0 || (replaying && rows.length < BATCH) ? await counts() : [];
    for (const row of visible) {
      const event = toVisibleRiskEvent(row, visibility);
      yield {
        cursor: encodeRiskCursor(row.txid, row.id),
        ready: false,
        event: audience === 'analyst' ? deidentified(event) : event,
        openCases,
      };
    }
    if (replaying && rows.length < BATCH) {
      replaying = false;
      yield { cursor: encodeRiskCursor(cursor.txid, cursor.id), ready: true, event: undefined, openCases };
    }
    if (rows.length < BATCH) await sleep(pollMs, undefined, { signal: ctx.signal }).catch(() => undefined);
  }
}
