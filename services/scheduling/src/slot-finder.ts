// Free slots: the schedules expanded over a period, minus what slot_occupancy says is taken, nearest institution
// first then earliest. Pages are cached in Redis under a key that folds in a capacity generation for every
// institution the search covers (bumped after each booking, cancellation, move or publication there), so a cached
// page never outlives a change of the capacity it shows.
import { createHash } from 'node:crypto';
import type { Cache } from '../../common/src/cache';
import { SearchSlotsResponse, Slot, SlotStatus } from '../../common/src/gen/mch/scheduling/v1/scheduling';
import { compareSlots, greatCircleKm, Point } from './domain/geo';
import { expandSlots, ScheduleRules, SlotTime } from './domain/schedule';
import { ServiceCode, serviceTypeOf } from './domain/service-types';
import type { InstitutionInfo } from './identity-client';
import type { SchedulingRepository } from './repository';

export interface FreeSlot {
  readonly institution: InstitutionInfo;
  readonly slot: SlotTime;
  readonly booked: number;
  readonly capacity: number;
  readonly distanceKm: number | undefined;
}

export interface SlotQuery {
  readonly service: ServiceCode;
  readonly candidates: readonly InstitutionInfo[];
  readonly near: Point | undefined;
  readonly from: Date;
  readonly to: Date;
  /** Enough ranked slots to serve the page: offset + limit (+1 to know whether there is a next page). */
  readonly wanted: number;
}

const SEARCH_TTL_SECONDS = 60;
/** Institutions read per round when walking outwards from `near`. */
const INSTITUTIONS_PER_ROUND = 12;
const DAY_MS = 86_400_000;

export function capacityCounterKey(cache: Cache, institutionId: string, service: string): string {
  return cache.key('capacity-generation', `${institutionId}:${service}`);
}

export function toSlot(free: FreeSlot): Slot {
  return {
    institutionId: free.institution.id,
    institutionCode: free.institution.code,
    institutionName: free.institution.name,
    countyCode: free.institution.countyCode,
    service: serviceTypeOf(free.slot.service),
    start: free.slot.start,
    end: free.slot.end,
    capacity: free.capacity,
    booked: free.booked,
    free: Math.max(0, free.capacity - free.booked),
    status: free.booked >= free.capacity ? SlotStatus.SLOT_STATUS_BUSY : SlotStatus.SLOT_STATUS_FREE,
    location: free.institution.location,
    distanceKm: free.distanceKm === undefined ? undefined : Math.round(free.distanceKm * 100) / 100,
  };
}

export class SlotFinder {
  constructor(
    private readonly repository: SchedulingRepository,
    private readonly cache: Cache,
  ) {}

  /**
   * The first `wanted` free slots in rank order. With a point, institutions are read outwards in rounds and the walk
   * stops once enough slots are found (ranking is by distance first); without one, day by day across all of them.
   */
  async freeSlots(query: SlotQuery): Promise<FreeSlot[]> {
    const distance = (institution: InstitutionInfo): number | undefined =>
      query.near && institution.location ? greatCircleKm(query.near, institution.location) : undefined;
    const ordered = [...query.candidates].sort(
      (a, b) => (distance(a) ?? 0) - (distance(b) ?? 0) || a.code.localeCompare(b.code),
    );
    const found: FreeSlot[] = [];
    if (ordered.length === 0 || query.to <= query.from) return found;
    const schedules = await this.repository.currentSchedules(ordered.map((institution) => institution.id));
    const offered = ordered.filter((institution) => schedules.has(institution.id));
    const rulesOf = (institution: InstitutionInfo): ScheduleRules =>
      (schedules.get(institution.id) as { rules: ScheduleRules }).rules;
    if (query.near) {
      for (let index = 0; index < offered.length && found.length < query.wanted; index += INSTITUTIONS_PER_ROUND) {
        const round = offered.slice(index, index + INSTITUTIONS_PER_ROUND);
        const slots = await this.freeIn(round, rulesOf, query.service, query.from, query.to, distance);
        found.push(...slots.sort(compareSlots));
      }
      return found;
    }
    for (
      let dayStart = query.from;
      dayStart < query.to && found.length < query.wanted;
      dayStart = new Date(dayStart.getTime() + DAY_MS)
    ) {
      const dayEnd = new Date(Math.min(dayStart.getTime() + DAY_MS, query.to.getTime()));
      const slots = await this.freeIn(offered, rulesOf, query.service, dayStart, dayEnd, distance);
      found.push(...slots.sort(compareSlots));
    }
    return found;
  }

  private async freeIn(
    institutions: readonly InstitutionInfo[],
    rulesOf: (institution: InstitutionInfo) => ScheduleRules,
    service: ServiceCode,
    from: Date,
    to: Date,
    distance: (institution: InstitutionInfo) => number | undefined,
  ): Promise<Array<FreeSlot & { institutionCode: string; start: Date }>> {
    const expanded = institutions
      .map((institution) => ({ institution, slots: expandSlots(rulesOf(institution), service, from, to) }))
      .filter((entry) => entry.slots.length > 0);
    if (expanded.length === 0) return [];
    const occupancy = await this.repository.occupancy(
      expanded.map((entry) => entry.institution.id),
      service,
      from,
      to,
    );
    const taken = new Map(occupancy.map((row) => [`${row.institution_id}|${row.starts_at.getTime()}`, row]));
    const out: Array<FreeSlot & { institutionCode: string; start: Date }> = [];
    for (const { institution, slots } of expanded) {
      const distanceKm = distance(institution);
      for (const slot of slots) {
        const row = taken.get(`${institution.id}|${slot.start.getTime()}`);
        const capacity = row?.capacity ?? slot.capacity;
        const booked = row?.booked ?? 0;
        if (booked < capacity)
          out.push({
            institution,
            slot,
            booked,
            capacity,
            distanceKm,
            institutionCode: institution.code,
            start: slot.start,
          });
      }
    }
    return out;
  }

  /**
   * A cached page of a search. The key holds the query and a digest of the capacity generations of every candidate
   * institution for the service; Redis unavailable means computing the page, never failing.
   */
  async cachedPage(
    query: SlotQuery,
    queryKey: unknown,
    page: (found: FreeSlot[]) => SearchSlotsResponse,
  ): Promise<SearchSlotsResponse> {
    const counterKeys = query.candidates.map((institution) =>
      capacityCounterKey(this.cache, institution.id, query.service),
    );
    const generations = await this.cache.counters(counterKeys);
    const load = async (): Promise<SearchSlotsResponse> => page(await this.freeSlots(query));
    if (!generations) return load();
    const digest = createHash('sha256')
      .update(JSON.stringify(queryKey))
      .update('\0')
      .update(generations.join(','))
      .digest('base64url')
      .slice(0, 32);
    const { value } = await this.cache.getOrLoad(
      this.cache.key('slots', `${query.service}:${digest}`),
      SearchSlotsResponse,
      load,
      SEARCH_TTL_SECONDS,
    );
    return value;
  }

  /** After a committed change of capacity at these institutions for a service. */
  async capacityChanged(changes: ReadonlyArray<{ institutionId: string; service: string }>): Promise<void> {
    await this.cache.bumpCounters(
      ...changes.map((change) => capacityCounterKey(this.cache, change.institutionId, change.service)),
    );
  }
}
