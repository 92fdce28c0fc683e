// Due checks: the open items of a patient's schedules come from the records service's schedule engine (scheduling
// computes no schedule itself); each gets the appointment already booked for it or the nearest free slot. Reading
// them also keeps her follow-up entries and due reminders current: overdue with nothing booked opens an entry,
// done or booked resolves it.
import { enforce, recordAudit } from '../../common/src/audit';
import { canAccessPatient } from '../../common/src/auth/policy';
import { Violations } from '../../common/src/errors';
import type { CallContext } from '../../common/src/grpc/context';
import type { Database } from '../../common/src/pg/database';
import { DueCheck, ListDueChecksRequest, ListDueChecksResponse, Slot } from '../../common/src/gen/mch/scheduling/v1/scheduling';
import { parseNear, Point } from './domain/geo';
import { addLocalDays, instantAt } from './domain/local-time';
import { ServiceCode, serviceCodeOf, serviceForDueItem, serviceTypeOf } from './domain/service-types';
import type { IdentityClient, InstitutionInfo } from './identity-client';
import type { RecordsClient } from './records-client';
import type { SchedulingRepository } from './repository';
import type { ScheduleService } from './schedule-service';
import { requireId, toAppointment } from './views';

const STATUS_ORDER: Readonly<Record<string, number>> = { overdue: 0, due: 1, open: 2, upcoming: 3 };
/** Overdue this long with nothing booked: lost to follow-up rather than merely overdue. */
export const LOST_AFTER_DAYS = 30;

/** Where to look for slots when the caller gives no point: her county's MCH hospital, else the prefecture's. */
export function countySeat(institutions: Iterable<InstitutionInfo>, countyCode: string): InstitutionInfo | undefined {
  const all = [...institutions];
  return all.find((institution) => institution.level === 'county' && institution.countyCode === countyCode) ?? all.find((institution) => institution.level === 'prefecture');
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
    const [due, person, institutions] = await Promise.all([this.records.dueItems(patient, '', ctx), this.identity.patient(patient, ctx), this.identity.institutions.all()]);
    const seat = countySeat(institutions.values(), person.countyCode);
    const point: Point | undefined = near ?? seat?.location;
    const now = new Date();
    const appointments = await this.repository.patientAppointments(patient, false, now, 200, 0);
    const slots = new Map<string, Promise<Slot | undefined>>();
    const nearest = (service: ServiceCode, opensOn: string): Promise<Slot | undefined> => {
      const key = `${service}|${opensOn}`;
      if (!slots.has(key)) slots.set(key, point ? this.schedules.nearestFree(service, point, opensOn ? instantAt(opensOn, 0) : now) : Promise.resolve(undefined));
      return slots.get(key) as Promise<Slot | undefined>;
    };
    const checks: DueCheck[] = [];
    for (const section of due.sections) {
      for (const item of section.items) {
        const service = serviceForDueItem(item);
        const opens = item.opensOn ? instantAt(item.opensOn, 0) : now;
        const booked = service ? appointments.find((row) => row.service === service && row.starts_at >= opens) : undefined;
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
          service: service ? serviceTypeOf(service) : 0,
          nearestSlot: service && !booked ? await nearest(service, item.opensOn) : undefined,
          bookedAppointment: booked ? toAppointment(booked, institutions) : undefined,
        });
      }
    }
    checks.sort((a, b) => (STATUS_ORDER[a.status] ?? 9) - (STATUS_ORDER[b.status] ?? 9) || a.dueOn.localeCompare(b.dueOn) || a.itemId.localeCompare(b.itemId));
    await this.keepFollowUpCurrent(patient, due.asOf, checks, ctx, person.countyCode, seat);
    return { patientId: patient, asOf: due.asOf, checks };
  }

  private async keepFollowUpCurrent(patientId: string, today: string, checks: readonly DueCheck[], ctx: CallContext, countyCode: string, seat: InstitutionInfo | undefined): Promise<void> {
    const open = checks.filter((check) => (check.status === 'overdue' || check.status === 'due') && !check.bookedAppointment);
    const overdue = open.filter((check) => check.status === 'overdue');
    // The entry belongs to the institution that should reach her: the caller's (staff), her last one, or her county's.
    const institutionId = ctx.principal?.kind === 'staff' && ctx.principal.institutionId ? ctx.principal.institutionId : ((await this.repository.latestInstitution(patientId)) ?? seat?.id ?? null);
    const lostBefore = addLocalDays(today, -LOST_AFTER_DAYS);
    await this.db.withTransaction(async (tx) => {
      for (const check of overdue) {
        await this.repository.openFollowUp(tx, {
          patient_id: patientId,
          reason_key: `item:${check.itemId}`,
          kind: check.overdueOn && check.overdueOn < lostBefore ? 'lost-to-follow-up' : 'overdue',
          item_id: check.itemId,
          label_zh: check.labelZh,
          label_en: check.labelEn,
          service: check.service ? serviceCodeOf(check.service, 'service') : '',
          overdue_on: check.overdueOn || null,
          appointment_id: null,
          institution_id: institutionId,
          county_code: countyCode,
        });
      }
      await this.repository.resolveItemFollowUps(tx, patientId, overdue.map((check) => `item:${check.itemId}`));
      for (const check of open) {
        await this.repository.insertDueReminder(tx, patientId, `due:${patientId}:${check.itemId}:${check.dueOn}`, `【妇幼联盟】${check.labelZh}${check.status === 'overdue' ? '已逾期' : '已到期'}（应于${check.dueOn}前后完成），请预约附近机构。`);
      }
      await recordAudit(tx, ctx, { patientId, action: 'due-checks.read', outcome: 'allowed' });
    });
  }
}
