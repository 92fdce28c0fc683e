// Due checks: the open items of a patient's schedules come from the records service's schedule engine (scheduling
// computes no schedule itself); each gets the appointment already booked for it or the nearest free slot. Reading
// them also keeps her follow-up entries and due reminders current: overdue with nothing booked opens an entry,
// done or booked resolves it.
import { enforce, recordAudit } from '../../common/src/audit';
import { canAccessPatient } from '../../common/src/auth/policy';
import { Violations } from '../../common/src/errors';
import type { CallContext } from '../../common/src/grpc/context';
import type { Database } from '../../common/src/pg/database';
import type { ServiceIdentity } from '../../common/src/auth/service-identity';
import type { Logger } from '../../common/src/logger';
import type { PoolClient } from '../../common/src/pg/database';
import type { HandbookItem, HandbookSection, ListDueItemsResponse } from '../../common/src/gen/mch/records/v1/records';
import {
  DueCheck,
  ListDueChecksRequest,
  ListDueChecksResponse,
  ServiceType,
  Slot,
} from '../../common/src/gen/mch/scheduling/v1/scheduling';
import { parseNear, Point } from './domain/geo';
import { addLocalDays, instantAt } from './domain/local-time';
import { ServiceCode, serviceCodeOf, serviceForDueItem, serviceTypeOf } from './domain/service-types';
import type { IdentityClient, InstitutionInfo } from './identity-client';
import type { RecordsClient } from './records-client';
import type { AppointmentRow, SchedulingRepository } from './repository';
import type { ScheduleService } from './schedule-service';
import { requireId, toAppointment } from './views';

const STATUS_ORDER: Readonly<Record<string, number>> = { overdue: 0, due: 1, open: 2, upcoming: 3 };
/** Overdue this long with nothing booked: lost to follow-up rather than merely overdue. */
export const LOST_AFTER_DAYS = 30;

/** Where to look for slots when the caller gives no point: her county's MCH hospital, else the prefecture's. */
export function countySeat(institutions: Iterable<InstitutionInfo>, countyCode: string): InstitutionInfo | undefined {
  const all = [...institutions];
  return (
    all.find((institution) => institution.level === 'county' && institution.countyCode === countyCode) ??
    all.find((institution) => institution.level === 'prefecture')
  );
}

export class DueCheckService {
  constructor(
    private readonly db: Database,
    private readonly repository: SchedulingRepository,
    private readonly identity: IdentityClient,
    private readonly records: RecordsClient,
    private readonly schedules: ScheduleService,
  ) {}

  async list(request: ListDueChecksRequest, ctx: CallContext): Promise<ListDueChecksResponse> {
    const violations = new Violations();
    const patientId = violations.check(() => requireId(request.patientId, 'patientId'));
    const near = violations.check(() => parseNear(request.near, 'near'));
    violations.throwIfAny();
    const patient = patientId as string;
    await enforce(this.db, ctx, canAccessPatient(ctx.principal, patient, ctx.purpose), patient, 'due-checks.read');
    const [due, person, institutions] = await Promise.all([
      this.records.dueItems(patient, '', ctx),
      this.identity.patient(patient, ctx),
      this.identity.institutions.all(),
    ]);
    const seat = countySeat(institutions.values(), person.countyCode);
    const point: Point | undefined = near ?? seat?.location;
    const now = new Date();
    const appointments = await this.repository.patientAppointments(patient, false, now, 200, 0);
    const slots = new Map<string, Promise<Slot | undefined>>();
    const nearest = (service: ServiceCode, opensOn: string): Promise<Slot | undefined> => {
      const key = `${service}|${opensOn}`;
      if (!slots.has(key))
        slots.set(
          key,
          point
            ? this.schedules.nearestFree(service, point, opensOn ? instantAt(opensOn, 0) : now)
            : Promise.resolve(undefined),
        );
      return slots.get(key) as Promise<Slot | undefined>;
    };
    const checks: DueCheck[] = [];
    for (const { section, item, service, booked } of openItems(due, appointments)) {
      checks.push({
        itemId: item.itemId,
        labelZh: item.labelZh,
        labelEn: item.labelEn,
        status: item.status,
        opensOn: item.opensOn,
        dueOn: item.dueOn,
        overdueOn: item.overdueOn,
        vaccine: item.vaccine,
        dose: item.dose,
        section: section.kind,
        scheduleId: section.scheduleId,
        service: service ? serviceTypeOf(service) : ServiceType.SERVICE_TYPE_UNSPECIFIED,
        nearestSlot: service && !booked ? await nearest(service, item.opensOn) : undefined,
        bookedAppointment: booked ? toAppointment(booked, institutions) : undefined,
      });
    }
    checks.sort(
      (a, b) =>
        (STATUS_ORDER[a.status] ?? 9) - (STATUS_ORDER[b.status] ?? 9) ||
        a.dueOn.localeCompare(b.dueOn) ||
        a.itemId.localeCompare(b.itemId),
    );
    // The entry belongs to the institution that should reach her: the caller's (staff), her last one, or her county's.
    const institutionId =
      ctx.principal?.kind === 'staff' && ctx.principal.institutionId
        ? ctx.principal.institutionId
        : ((await this.repository.latestInstitution(patient)) ?? seat?.id ?? null);
    const items = checks.map((check) => ({
      ...check,
      service: check.service ? serviceCodeOf(check.service, 'service') : undefined,
      booked: check.bookedAppointment !== undefined,
    }));
    await applyDueItems(
      this.db,
      this.repository,
      { patientId: patient, today: due.asOf, items, countyCode: person.countyCode, institutionId },
      (tx) => recordAudit(tx, ctx, { patientId: patient, action: 'due-checks.read', outcome: 'allowed' }),
    );
    return { patientId: patient, asOf: due.asOf, checks };
  }
}

export interface DueItemsOfPatient {
  readonly patientId: string;
  /** The local date the items were evaluated on. */
  readonly today: string;
  readonly items: ReadonlyArray<{
    readonly itemId: string;
    readonly labelZh: string;
    readonly labelEn: string;
    readonly status: string;
    readonly dueOn: string;
    readonly overdueOn: string;
    readonly service: ServiceCode | undefined;
    readonly booked: boolean;
  }>;
  readonly countyCode: string;
  readonly institutionId: string | null;
}

/**
 * Keeps her follow-up entries and due reminders in step with her open items, in one transaction: an overdue item
 * with nothing booked opens (or keeps) an entry, lost to follow-up after a month; entries for items no longer
 * overdue are resolved; a due or overdue item with nothing booked queues one reminder per due date.
 */
export async function applyDueItems(
  db: Database,
  repository: SchedulingRepository,
  input: DueItemsOfPatient,
  alsoInTransaction?: (tx: PoolClient) => Promise<void>,
): Promise<void> {
  const { patientId } = input;
  const open = input.items.filter((check) => (check.status === 'overdue' || check.status === 'due') && !check.booked);
  const overdue = open.filter((check) => check.status === 'overdue');
  const lostBefore = addLocalDays(input.today, -LOST_AFTER_DAYS);
  await db.withTransaction(async (tx) => {
    for (const check of overdue) {
      await repository.openFollowUp(tx, {
        patient_id: patientId,
        reason_key: `item:${check.itemId}`,
        kind: check.overdueOn && check.overdueOn < lostBefore ? 'lost-to-follow-up' : 'overdue',
        item_id: check.itemId,
        label_zh: check.labelZh,
        label_en: check.labelEn,
        service: check.service ?? '',
        overdue_on: check.overdueOn || null,
        appointment_id: null,
        institution_id: input.institutionId,
        county_code: input.countyCode,
      });
    }
    await repository.resolveItemFollowUps(
      tx,
      patientId,
      overdue.map((check) => `item:${check.itemId}`),
    );
    for (const check of open) {
      await repository.insertDueReminder(
        tx,
        patientId,
        `due:${patientId}:${check.itemId}:${check.dueOn}`,
        `【妇幼联盟】${check.labelZh}${check.status === 'overdue' ? '已逾期' : '已到期'}（应于${check.dueOn}前后完成），请预约附近机构。`,
      );
    }
    await alsoInTransaction?.(tx);
  });
}

/** Records' open items with the service each is booked as and the appointment already booked for it, if any. */
export function openItems(
  due: ListDueItemsResponse,
  appointments: readonly AppointmentRow[],
): Array<{
  section: HandbookSection;
  item: HandbookItem;
  service: ServiceCode | undefined;
  booked: AppointmentRow | undefined;
}> {
  return due.sections.flatMap((section) =>
    section.items.map((item) => {
      const service = serviceForDueItem(item);
      const opens = item.opensOn ? instantAt(item.opensOn, 0) : new Date(0);
      return {
        section,
        item,
        service,
        booked: service ? appointments.find((row) => row.service === service && row.starts_at >= opens) : undefined,
      };
    }),
  );
}

/**
 * Every few hours, one replica (the one that claims the sweep's row) asks records, as the scheduling service, for
 * the open items of every patient scheduling knows (an appointment in the last 400 days or an open follow-up entry)
 * and applies them: follow-up lists and due reminders do not wait for someone to open her due checks.
 */
export class DueSweep {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Database,
    private readonly repository: SchedulingRepository,
    private readonly records: RecordsClient,
    private readonly identity: ServiceIdentity,
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    const run = (): void => {
      this.runOnce().then(
        (swept) => swept !== undefined && this.logger.info({ swept }, 'due sweep done'),
        (error: unknown) => this.logger.warn({ err: error }, 'due sweep failed'),
      );
    };
    this.timer = setInterval(run, Math.min(this.intervalMs, 60_000));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Sweeps when the interval has passed since the last sweep by any replica; the number of patients, or undefined. */
  async runOnce(): Promise<number | undefined> {
    if (!(await this.repository.claimSweep('due-items', this.intervalMs))) return undefined;
    let swept = 0;
    for (const known of await this.repository.knownPatients()) {
      try {
        const metadata = await this.identity.metadata();
        const due = await this.records.dueItemsAs(known.patient_id, metadata);
        const appointments = await this.repository.patientAppointments(known.patient_id, false, new Date(), 200, 0);
        await applyDueItems(this.db, this.repository, {
          patientId: known.patient_id,
          today: due.asOf,
          items: openItems(due, appointments).map(({ item, service, booked }) => ({
            ...item,
            service,
            booked: booked !== undefined,
          })),
          countyCode: known.county_code,
          institutionId: known.institution_id,
        });
        swept++;
      } catch (error) {
        this.logger.warn({ err: error, patientId: known.patient_id }, 'due sweep skipped a patient');
      }
    }
    return swept;
  }
}
