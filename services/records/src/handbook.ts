// The resident's handbook (母子健康手册) assembled from the record: each schedule in force evaluated on today's
// date against what was done. Pure: the caller loads the rows.
import { HandbookItem, HandbookSection } from '../../common/src/gen/mch/records/v1/records';
import {
  antenatalScheduleFor,
  caseManagementFollowUp,
  CONTENT_SERVICE_PREFIX,
  ChildFacts,
  evaluateSchedule,
  ItemState,
  RecordsReferenceData,
  Schedule,
  ScheduleAnchors,
  scheduleForChild,
  ScheduleProgress,
  scheduleInForce,
  todayInChina,
  VisitRecord,
} from './domain';
import type {
  ChildCheckRow,
  ChildRow,
  DeliveryRow,
  GrowthRow,
  ImmunizationDeferralRow,
  ImmunizationRow,
  PostpartumVisitRow,
  PregnancyRow,
  VisitRow,
} from './repository';

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

function section(
  kind: string,
  schedule: Schedule,
  anchors: ScheduleAnchors,
  progress: ScheduleProgress,
  today: string,
  pregnancyId = '',
  facts?: ChildFacts,
): HandbookSection {
  const evaluation = evaluateSchedule(schedule, { anchors, progress, today, ...(facts ? { facts } : {}) });
  return { kind, title: schedule.title.zh, scheduleId: schedule.id, pregnancyId, items: evaluation.items.map(item) };
}

/**
 * What counts for the child health schedule: each recorded check, and each growth measurement taken on its own (one
 * is taken at every check, so it stands for the check of its date). A measurement taken at a recorded check is that
 * check, not a second one.
 */
export function childHealthVisits(
  checks: readonly Pick<ChildCheckRow, 'service' | 'checked_on' | 'growth_measurement_id'>[],
  growth: readonly Pick<GrowthRow, 'id' | 'measured_on'>[],
): VisitRecord[] {
  const atChecks = new Set(checks.map((check) => check.growth_measurement_id));
  return [
    ...checks.map((check) => ({ service: check.service, date: check.checked_on })),
    ...growth
      .filter((measurement) => !atChecks.has(measurement.id))
      .map((measurement) => ({ service: 'child-health-check', date: measurement.measured_on })),
  ];
}

/** What counts for an antenatal schedule: each visit, and each content item (test) recorded as done at it. */
export function antenatalVisits(visits: readonly Pick<VisitRow, 'visit_date' | 'content_done'>[]): VisitRecord[] {
  return visits.flatMap((visit) => [
    { service: 'antenatal-visit', date: visit.visit_date },
    ...(visit.content_done ?? []).map((content) => ({
      service: `${CONTENT_SERVICE_PREFIX}${content}`,
      date: visit.visit_date,
    })),
  ]);
}

export interface HandbookInput {
  readonly today: string;
  /** Her latest pregnancy, if any, with its visits, delivery and postpartum visits. */
  readonly pregnancy?: {
    readonly row: PregnancyRow;
    readonly visits: readonly VisitRow[];
    readonly delivery: DeliveryRow | undefined;
    readonly postpartumVisits?: readonly PostpartumVisitRow[];
  };
  readonly child?: {
    readonly row: ChildRow;
    readonly growth: readonly GrowthRow[];
    readonly immunizations: readonly ImmunizationRow[];
    /** Contraindication deferrals: a deferred dose leaves the due list while the deferral holds. */
    readonly deferrals?: readonly ImmunizationDeferralRow[];
    readonly checks?: readonly ChildCheckRow[];
    /** Birth facts for the immunization programme's special rules (HBsAg-exposed, low birth weight, preterm). */
    readonly facts?: ChildFacts;
  };
}

/** Sections: pregnancy (antenatal), postpartum once delivered, child health checks and immunizations for a child. */
export function handbookSections(reference: RecordsReferenceData, input: HandbookInput): HandbookSection[] {
  const sections: HandbookSection[] = [];
  const { today } = input;
  if (input.pregnancy) {
    const { row, visits, delivery } = input.pregnancy;
    // The registering institution's schedule: the basic public health one, or the 2018 guideline's (#25 §3).
    const antenatal = antenatalScheduleFor(
      reference.schedules,
      reference.antenatalAssignments,
      row.registered_at,
      row.registered_on,
    );
    const anchors: ScheduleAnchors = { edd: row.edd, ...(delivery ? { delivery: delivery.delivery_date } : {}) };
    const pregnancySection = section(
      'pregnancy',
      antenatal,
      anchors,
      { visits: antenatalVisits(visits) },
      today,
      row.id,
    );
    // Under 专案管理 (orange, red, purple) the next visit is due within her colour's interval.
    const followUp = row.in_case_management
      ? caseManagementFollowUp(
          reference.caseManagement,
          {
            inCaseManagement: true,
            colours: [row.risk_colour, ...row.risk_beside],
            // The grading is a contact too; its date is China's calendar date, as every date of the record.
            gradedOn: row.risk_graded_at ? todayInChina(new Date(row.risk_graded_at)) : undefined,
            visitDates: visits.map((visit) => visit.visit_date),
            delivered: delivery !== undefined,
          },
          today,
        )
      : undefined;
    sections.push(
      followUp ? { ...pregnancySection, items: [...pregnancySection.items, item(followUp)] } : pregnancySection,
    );
    if (delivery) {
      const postpartum = scheduleInForce(reference.schedules, 'cn-bphs-postpartum', delivery.delivery_date);
      const postpartumAnchors: ScheduleAnchors = {
        delivery: delivery.delivery_date,
        ...(delivery.discharge_date ? { discharge: delivery.discharge_date } : {}),
      };
      const done = (input.pregnancy.postpartumVisits ?? []).map((visit) => ({
        service: visit.service,
        date: visit.visit_date,
      }));
      sections.push(section('postpartum', postpartum, postpartumAnchors, { visits: done }, today, row.id));
    }
  }
  if (input.child) {
    const { row, growth, immunizations, checks = [], facts, deferrals = [] } = input.child;
    const anchors: ScheduleAnchors = {
      birth: row.birth_date,
      ...(row.discharge_date ? { discharge: row.discharge_date } : {}),
    };
    const childHealth = scheduleInForce(reference.schedules, 'cn-bphs-child-health', row.birth_date);
    sections.push(section('child', childHealth, anchors, { visits: childHealthVisits(checks, growth) }, today));
    // The edition by birth date, or the later one a transition moved the child to.
    const programme = scheduleForChild(reference.schedules, 'cn-nip', row.birth_date);
    sections.push(
      section(
        'immunization',
        programme,
        anchors,
        {
          doses: immunizations.map((dose) => ({ vaccine: dose.vaccine, dose: dose.dose, date: dose.given_on })),
          deferrals: deferrals.map((deferral) => ({
            vaccine: deferral.programme_vaccine,
            dose: deferral.dose,
            on: deferral.deferred_on,
            ...(deferral.deferred_until ? { until: deferral.deferred_until } : {}),
            reason: deferral.contraindication,
          })),
        },
        today,
        '',
        facts,
      ),
    );
  }
  return sections;
}
