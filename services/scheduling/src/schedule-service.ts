// Schedules and slot search: institutions' admins publish their weekly sessions and exceptions; anyone signed in
// searches free slots for a service, nearest first. A publication re-states the capacity of already-occupied
// future slots (never below what is booked) in the same transaction.
import { requireAllowed, canManageInstitution } from '../../common/src/auth/policy';
import { InvalidArgumentError, NotFoundError, Violations } from '../../common/src/errors';
import type { CallContext } from '../../common/src/grpc/context';
import { runIdempotent, scopeFromContext } from '../../common/src/idempotency';
import { checkPageSize, decodeOffsetToken, nextOffsetToken } from '../../common/src/paging';
import type { Database } from '../../common/src/pg/database';
import {
  GetScheduleRequest,
  GetScheduleResponse,
  PublishScheduleRequest,
  PublishScheduleResponse,
  Schedule,
  SearchSlotsRequest,
  SearchSlotsResponse,
  Slot,
} from '../../common/src/gen/mch/scheduling/v1/scheduling';
import { parseNear, Point } from './domain/geo';
import { slotStartingAt, toProtoSessions, validateSchedule } from './domain/schedule';
import { SERVICE_CODES, ServiceCode, serviceCodeOf } from './domain/service-types';
import type { IdentityClient, InstitutionInfo } from './identity-client';
import type { SchedulingRepository, ScheduleRow } from './repository';
import { SlotFinder, toSlot } from './slot-finder';
import { requireId } from './views';

const DAY_MS = 86_400_000;
export const DEFAULT_SEARCH_DAYS = 14;
export const MAX_SEARCH_DAYS = 92;
const COUNTY = /^[a-z][a-z-]{1,30}$/;

function toSchedule(institutionId: string, row: ScheduleRow | undefined): Schedule {
  const { sessions, exceptions } = row ? toProtoSessions(row.rules) : { sessions: [], exceptions: [] };
  return {
    institutionId,
    sessions,
    exceptions,
    version: row?.version ?? 0,
    updatedAt: row?.updatedAt,
    updatedBy: row?.updatedBy ?? '',
  };
}

export class ScheduleService {
  constructor(
    private readonly db: Database,
    private readonly repository: SchedulingRepository,
    private readonly identity: IdentityClient,
    readonly finder: SlotFinder,
  ) {}

  private async institution(id: string): Promise<InstitutionInfo> {
    const institution = await this.identity.institutions.get(id);
    if (!institution) throw new NotFoundError(`institution ${id} is not a member institution`, 'INSTITUTION_NOT_FOUND');
    return institution;
  }

  async publish(request: PublishScheduleRequest, ctx: CallContext): Promise<PublishScheduleResponse> {
    const institutionId = requireId(request.institutionId, 'institutionId');
    requireAllowed(ctx.principal, canManageInstitution(ctx.principal, institutionId));
    await this.institution(institutionId);
    const rules = validateSchedule(request.sessions, request.exceptions);
    const response = await runIdempotent(
      this.db,
      scopeFromContext(ctx),
      PublishScheduleRequest.encode(request).finish(),
      PublishScheduleResponse,
      async (tx) => {
        await this.repository.replaceSchedule(tx, institutionId, rules, ctx.caller);
        for (const row of await this.repository.futureOccupancy(tx, institutionId)) {
          // A slot the new schedule no longer has keeps only what is booked in it: nobody else can take it.
          await this.repository.setCapacity(
            tx,
            row,
            slotStartingAt(rules, row.service as ServiceCode, row.starts_at)?.capacity ?? 0,
          );
        }
        const saved = (await this.repository.schedules([institutionId], tx)).get(institutionId);
        return { schedule: toSchedule(institutionId, saved) };
      },
    );
    // The old schedule may have offered services the new one drops: every service's searches are stale.
    await this.finder.capacityChanged(SERVICE_CODES.map((service) => ({ institutionId, service })));
    return response;
  }

  async get(request: GetScheduleRequest): Promise<GetScheduleResponse> {
    const institutionId = requireId(request.institutionId, 'institutionId');
    await this.institution(institutionId);
    return {
      schedule: toSchedule(institutionId, (await this.repository.schedules([institutionId])).get(institutionId)),
    };
  }

  async search(request: SearchSlotsRequest): Promise<SearchSlotsResponse> {
    const violations = new Violations();
    const service = violations.check(() => serviceCodeOf(request.service, 'service'));
    const near = violations.check(() => parseNear(request.near, 'near'));
    const now = new Date();
    const period = violations.check(() => searchPeriod(request.from, request.to, now));
    const county = request.county.trim().toLowerCase();
    if (county && !COUNTY.test(county)) violations.add('county', 'must be a county code, e.g. lufeng');
    const limit = violations.check(() => checkPageSize(request.pageSize, 200, 50));
    violations.throwIfAny();
    const filters = {
      service,
      near: request.near,
      from: request.from?.toISOString() ?? '',
      to: request.to?.toISOString() ?? '',
      institution: request.institution,
      county,
    };
    const offset = decodeOffsetToken(request.pageToken, filters);
    let candidates = [...(await this.identity.institutions.all()).values()];
    if (request.institution) {
      const one = await this.identity.institutions.find(request.institution);
      if (!one) throw InvalidArgumentError.field('institution', 'is not a member institution (id or code)');
      candidates = [one];
    }
    if (county) candidates = candidates.filter((institution) => institution.countyCode === county);
    const pageSize = limit as number;
    const { from, to } = period as { from: Date; to: Date };
    const query = { service: service as ServiceCode, candidates, near, from, to, wanted: offset + pageSize + 1 };
    const answer = await this.finder.cachedPage(
      query,
      { ...filters, from: from.toISOString(), to: to.toISOString(), offset, pageSize },
      (found) => ({
        slots: found.slice(offset, offset + pageSize).map(toSlot),
        nextPageToken: nextOffsetToken(filters, offset, pageSize, found.length - offset),
      }),
    );
    // The cached page was computed up to a minute ago: drop a slot that began since.
    return { ...answer, slots: answer.slots.filter((slot) => (slot.start?.getTime() ?? 0) >= now.getTime()) };
  }

  /** The nearest free slot of a service from `from` within 28 days, for a due check. */
  async nearestFree(service: ServiceCode, near: Point, from: Date): Promise<Slot | undefined> {
    const start = new Date(Math.floor(Math.max(from.getTime(), Date.now()) / 60_000) * 60_000 + 60_000);
    const candidates = [...(await this.identity.institutions.all()).values()];
    const query = { service, candidates, near, from: start, to: new Date(start.getTime() + 28 * DAY_MS), wanted: 1 };
    const answer = await this.finder.cachedPage(
      query,
      { nearest: service, near, from: start.toISOString() },
      (found) => ({ slots: found.slice(0, 1).map(toSlot), nextPageToken: '' }),
    );
    return answer.slots[0];
  }
}

/**
 * The period searched: from `from` (now when unset or past) to `to` (14 days on when unset). The start is rounded
 * down to the minute so that searches within one minute share a cache entry.
 */
export function searchPeriod(
  fromRequest: Date | undefined,
  toRequest: Date | undefined,
  now: Date,
): { from: Date; to: Date } {
  const violations = new Violations();
  if (toRequest && toRequest <= now) violations.add('to', 'must be in the future');
  if (fromRequest && toRequest && toRequest <= fromRequest) violations.add('to', 'must be after from');
  violations.throwIfAny();
  const from = new Date(Math.floor(Math.max(fromRequest?.getTime() ?? 0, now.getTime()) / 60_000) * 60_000);
  const to = toRequest ?? new Date(from.getTime() + DEFAULT_SEARCH_DAYS * DAY_MS);
  if (to.getTime() - from.getTime() > MAX_SEARCH_DAYS * DAY_MS)
    throw InvalidArgumentError.field('to', `must be at most ${MAX_SEARCH_DAYS} days after from`);
  return { from, to };
}
