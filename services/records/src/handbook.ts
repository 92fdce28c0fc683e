// The resident's handbook (母子健康手册) assembled from the record: each schedule in force evaluated on today's
// date against what was done. Pure: the caller loads the rows.
import { HandbookItem, HandbookSection } from '../../common/src/gen/mch/records/v1/records';
import { evaluateSchedule, ItemState, RecordsReferenceData, Schedule, ScheduleAnchors, ScheduleProgress, scheduleInForce } from './domain';
import type { ChildRow, DeliveryRow, GrowthRow, ImmunizationRow, PregnancyRow, VisitRow } from './repository';

function item(state: ItemState): HandbookItem {
  return {
    itemId: state.itemId,
    labelZh: state.label.zh,
    labelEn: state.label.en,
    status: state.status,
    opensOn: state.opensOn ?? '',
    dueOn: state.dueOn ?? '',
    overdueOn: state.overdueOn ?? '',
    doneOn: state.doneOn ?? '',
    vaccine: state.vaccine ?? '',
    dose: state.dose ?? 0,
    service: state.service ?? '',
  };
}

function section(kind: string, schedule: Schedule, anchors: ScheduleAnchors, progress: ScheduleProgress, today: string, pregnancyId = ''): HandbookSection {
  const evaluation = evaluateSchedule(schedule, { anchors, progress, today });
  return { kind, title: schedule.title.zh, scheduleId: schedule.id, pregnancyId, items: evaluation.items.map(item) };
}

export interface HandbookInput {
  readonly today: string;
  /** Her latest pregnancy, if any, with its visits and delivery. */
  readonly pregnancy?: { readonly row: PregnancyRow; readonly visits: readonly VisitRow[]; readonly delivery: DeliveryRow | undefined };
  readonly child?: { readonly row: ChildRow; readonly growth: readonly GrowthRow[]; readonly immunizations: readonly ImmunizationRow[] };
}

/** Sections: pregnancy (antenatal), postpartum once delivered, child health checks and immunizations for a child. */
export function handbookSections(reference: RecordsReferenceData, input: HandbookInput): HandbookSection[] {
  const sections: HandbookSection[] = [];
  const { today } = input;
  if (input.pregnancy) {
    const { row, visits, delivery } = input.pregnancy;
    const antenatal = scheduleInForce(reference.schedules, 'cn-bphs-antenatal', row.registered_on);
    const anchors: ScheduleAnchors = { edd: row.edd, ...(delivery ? { delivery: delivery.delivery_date } : {}) };
    sections.push(section('pregnancy', antenatal, anchors, { visits: visits.map((visit) => ({ service: 'antenatal-visit', date: visit.visit_date })) }, today, row.id));
    if (delivery) {
      const postpartum = scheduleInForce(reference.schedules, 'cn-bphs-postpartum', delivery.delivery_date);
      const postpartumAnchors: ScheduleAnchors = { delivery: delivery.delivery_date, ...(delivery.discharge_date ? { discharge: delivery.discharge_date } : {}) };
      sections.push(section('postpartum', postpartum, postpartumAnchors, {}, today, row.id));
    }
  }
  if (input.child) {
    const { row, growth, immunizations } = input.child;
    const anchors: ScheduleAnchors = { birth: row.birth_date, ...(row.discharge_date ? { discharge: row.discharge_date } : {}) };
    const checks = scheduleInForce(reference.schedules, 'cn-bphs-child-health', row.birth_date);
    // A growth measurement is taken at a child health check: each one stands for the check of its date.
    sections.push(section('child', checks, anchors, { visits: growth.map((measurement) => ({ service: 'child-health-check', date: measurement.measured_on })) }, today));
    const programme = scheduleInForce(reference.schedules, 'cn-nip', row.birth_date);
    sections.push(
      section('immunization', programme, anchors, { doses: immunizations.map((dose) => ({ vaccine: dose.vaccine, dose: dose.dose, date: dose.given_on })) }, today),
    );
  }
  return sections;
}
