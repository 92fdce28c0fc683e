// The child programmes beside the schedules: newborn screening entries (blood spot and the hearing 1-3-6 path), the
// psychological and behavioural warning signs answered item by item (sensitive), and the institution's child
// worklist computed on read from those, the growth measurements (WHO nutrition classification) and child checks.
// The worklist only suggests: a clinician books the next step, refers, or enrols a 体弱儿; nothing enrols by itself.
import { recordAudit } from '../../common/src/audit';
import { enforce } from '../../common/src/audit';
import { canReadChildWorklist } from '../../common/src/auth/policy';
import { Violations } from '../../common/src/errors';
import type { CallContext } from '../../common/src/grpc/context';
import { runIdempotent, scopeFromContext } from '../../common/src/idempotency';
import {
  ChildWorklistItem,
  GrowthMeasurement,
  ListChildWorklistRequest,
  ListChildWorklistResponse,
  NewbornScreening,
  RecordNewbornScreeningRequest,
  RecordNewbornScreeningResponse,
  RecordWarningSignsRequest,
  RecordWarningSignsResponse,
  WarningSignCheck,
} from '../../common/src/gen/mch/records/v1/records';
import { RecordAccess, requireId } from './access';
import type { ChildService } from './child-service';
import type { ChildProgrammeRepository, NewbornScreeningRow, WarningSignCheckRow } from './child-programme-repository';
import {
  addMonths,
  checkChildDate,
  checkNewbornScreening,
  checkWarningSigns,
  classifyNutrition,
  displayReferenceFor,
  DISEASE_STAGES,
  FollowUpItem,
  isoDateOf,
  NewbornScreeningEntry,
  NewbornStage,
  NutritionRules,
  newbornFollowUps,
  parseIsoDate,
  todayInChina,
  warningSignBandFor,
  weakChildReasons,
} from './domain';
import { storedAnswer } from './replay';
import { classifyWriteText } from './text-sensitivity';

const STATUS_ORDER: Readonly<Record<string, number>> = { overdue: 0, due: 1, suggested: 2 };

export function toNewbornScreening(row: NewbornScreeningRow): NewbornScreening {
  return {
    id: row.id,
    programme: row.programme,
    stage: row.stage,
    performedOn: row.performed_on,
    results: Object.entries(row.results).map(([key, value]) => ({ key, value })),
    notes: row.notes,
    institutionId: row.institution_id ?? '',
    authorId: row.author_id,
  };
}

export function toWarningSignCheck(row: WarningSignCheckRow, assessmentLevel: string): WarningSignCheck {
  const positive = row.positive.length > 0;
  return {
    id: row.id,
    checkedOn: row.checked_on,
    bandMonths: row.band_months,
    items: row.answers.map((answer) => ({ code: answer.code, present: answer.present })),
    positive: row.positive,
    suggestion: positive ? 'developmental-assessment' : '',
    assessmentLevel: positive ? assessmentLevel : '',
    institutionId: row.institution_id ?? '',
    authorId: row.author_id,
  };
}

function entryOf(row: NewbornScreeningRow): NewbornScreeningEntry {
  return {
    id: row.id,
    stage: row.stage as NewbornStage,
    performedOn: row.performed_on,
    results: row.results,
    institutionId: row.institution_id,
  };
}

function toWorklistItem(childPatientId: string, item: FollowUpItem): ChildWorklistItem {
  return {
    childPatientId,
    kind: item.kind,
    status: item.status,
    dueOn: item.dueOn,
    overdueOn: item.overdueOn,
    causeEntryId: item.causeEntryId,
    reasons: item.condition ? [item.condition] : [],
    suggestedLevel: '',
  };
}

/** A measurement with its WHO nutrition classification and the reference its institution displays. */
export function withNutrition(
  rules: NutritionRules,
  measurement: GrowthMeasurement,
  haemoglobin?: number,
): GrowthMeasurement {
  const assessment = classifyNutrition(rules, measurement.ageDays, measurement.zScores, haemoglobin);
  return {
    ...measurement,
    nutrition: assessment.classifications,
    implausible: assessment.implausible,
    displayReference: displayReferenceFor(rules, measurement.institutionId),
  };
}

export class ChildProgrammeService {
  constructor(
    private readonly access: RecordAccess,
    private readonly children: ChildService,
    private readonly programmes: ChildProgrammeRepository,
  ) {}

  async recordNewbornScreening(
    request: RecordNewbornScreeningRequest,
    ctx: CallContext,
  ): Promise<RecordNewbornScreeningResponse> {
    const replay = await storedAnswer(
      this.access.db,
      ctx,
      RecordNewbornScreeningRequest.encode(request).finish(),
      RecordNewbornScreeningResponse,
    );
    if (replay) return replay;
    const childPatientId = requireId(request.childPatientId, 'childPatientId');
    await this.access.allowWrite(ctx, childPatientId, 'record.newborn-screening');
    const { row: child, known } = await this.children.child(childPatientId, ctx);
    const programme = this.access.reference.childHealth.newbornScreening;
    const violations = new Violations();
    const today = todayInChina();
    const performedOn = violations.check(() =>
      checkChildDate(request.performedOn, 'performedOn', child.birth_date, today),
    );
    const entry = violations.check(() =>
      checkNewbornScreening(programme, child.county_code, { stage: request.stage, results: request.results }),
    );
    if (request.notes.length > 2000) violations.add('notes', 'must be at most 2000 characters');
    violations.throwIfAny();
    const checked = entry as NonNullable<typeof entry>;
    return runIdempotent(
      this.access.db,
      scopeFromContext(ctx),
      RecordNewbornScreeningRequest.encode(request).finish(),
      RecordNewbornScreeningResponse,
      async (tx) => {
        if (!known) await this.access.repository.ensureChild(tx, child);
        const change = await this.access.repository.beginChange(tx, childPatientId, request.expectedVersion);
        const text = await classifyWriteText(
          tx,
          ctx,
          childPatientId,
          'newborn_screening',
          { notes: request.notes, reason: request.reason },
          { accompaniesSensitiveFact: false, authorMarkedNotSensitive: false },
        );
        const row = await this.programmes.insertNewbornScreening(tx, {
          patient_id: childPatientId,
          programme: DISEASE_STAGES.includes(checked.stage) ? 'disease' : 'hearing',
          stage: checked.stage,
          performed_on: performedOn as string,
          results: checked.results,
          notes: request.notes.trim(),
          notes_sensitivity: text.notes,
          institution_id: ctx.principal?.institutionId ?? null,
          author_id: ctx.caller,
          record_version: change.version,
        });
        await this.access.repository.commitChange(change, ctx, {
          change: 'newborn-screening',
          entityId: row.id,
          reason: request.reason,
          reasonSensitivity: text.reason,
          summary: { stage: row.stage, performedOn: row.performed_on },
        });
        await recordAudit(tx, ctx, {
          patientId: childPatientId,
          action: 'record.newborn-screening',
          outcome: 'allowed',
        });
        const entries = (await this.programmes.newbornScreenings(childPatientId, tx)).map(entryOf);
        const birthInstitution = await this.programmes.birthInstitution(childPatientId, tx);
        const followUps = newbornFollowUps(programme, child.birth_date, entries, today, birthInstitution);
        return {
          screening: toNewbornScreening(row),
          followUps: followUps.map((item) => toWorklistItem(childPatientId, item)),
          recordVersion: change.version,
        };
      },
    );
  }

  async recordWarningSigns(request: RecordWarningSignsRequest, ctx: CallContext): Promise<RecordWarningSignsResponse> {
    const replay = await storedAnswer(
      this.access.db,
      ctx,
      RecordWarningSignsRequest.encode(request).finish(),
      RecordWarningSignsResponse,
    );
    if (replay) return replay;
    const childPatientId = requireId(request.childPatientId, 'childPatientId');
    await this.access.allowWrite(ctx, childPatientId, 'record.warning-signs');
    const { row: child, known } = await this.children.child(childPatientId, ctx);
    const table = this.access.reference.childHealth.warningSigns;
    const violations = new Violations();
    const checkedOn = violations.check(() =>
      checkChildDate(request.checkedOn, 'checkedOn', child.birth_date, todayInChina()),
    );
    const band = checkedOn === undefined ? undefined : warningSignBandFor(table, child.birth_date, checkedOn);
    if (checkedOn !== undefined && !band)
      violations.add('checkedOn', `the warning signs start at the ${table.bands[0]?.ageMonths ?? 3}-month check`);
    const answers = band
      ? violations.check(() =>
          checkWarningSigns(
            band,
            request.items.map((item) => ({ code: item.code.trim(), present: item.present })),
          ),
        )
      : undefined;
    violations.throwIfAny();
    const checked = answers as NonNullable<typeof answers>;
    return runIdempotent(
      this.access.db,
      scopeFromContext(ctx),
      RecordWarningSignsRequest.encode(request).finish(),
      RecordWarningSignsResponse,
      async (tx) => {
        if (!known) await this.access.repository.ensureChild(tx, child);
        const change = await this.access.repository.beginChange(tx, childPatientId, request.expectedVersion);
        // A psychological screening is a sensitive fact: its reason is treated as beside one.
        const text = await classifyWriteText(
          tx,
          ctx,
          childPatientId,
          'warning_signs',
          { reason: request.reason },
          { accompaniesSensitiveFact: true, authorMarkedNotSensitive: false },
        );
        const row = await this.programmes.insertWarningSignCheck(tx, {
          patient_id: childPatientId,
          checked_on: checkedOn as string,
          band_months: (band as NonNullable<typeof band>).ageMonths,
          answers: checked.answers,
          positive: checked.positive,
          institution_id: ctx.principal?.institutionId ?? null,
          author_id: ctx.caller,
          record_version: change.version,
        });
        // The version log says warning signs were recorded, never what they found.
        await this.access.repository.commitChange(change, ctx, {
          change: 'warning-signs',
          entityId: row.id,
          reason: request.reason,
          reasonSensitivity: text.reason,
          summary: { checkedOn: row.checked_on },
        });
        await recordAudit(tx, ctx, { patientId: childPatientId, action: 'record.warning-signs', outcome: 'allowed' });
        return { check: toWarningSignCheck(row, table.assessmentLevel), recordVersion: change.version };
      },
    );
  }

  async listChildWorklist(request: ListChildWorklistRequest, ctx: CallContext): Promise<ListChildWorklistResponse> {
    const violations = new Violations();
    const institutionId = violations.check(() => requireId(request.institutionId, 'institutionId'));
    const on = request.on === '' ? todayInChina() : violations.check(() => isoDateOf(parseIsoDate(request.on, 'on')));
    violations.throwIfAny();
    const institution = institutionId as string;
    const today = on as string;
    await enforce(
      this.access.db,
      ctx,
      canReadChildWorklist(ctx.principal, institution),
      '',
      'record.child-worklist.read',
    );
    const reference = this.access.reference.childHealth;
    const day = parseIsoDate(today, 'on');
    const items: ChildWorklistItem[] = [];
    const newborns = await this.programmes.newbornWorklist(institution, isoDateOf(addMonths(day, -12)));
    for (const child of newborns) {
      const followUps = newbornFollowUps(
        reference.newbornScreening,
        child.birth_date,
        child.screenings.map(entryOf),
        today,
        child.birth_institution_id,
      );
      // Each follow-up is on the worklist of the institution that recorded its cause (the birth institution for a
      // missed screen).
      for (const item of followUps)
        if (item.institutionId === institution) items.push(toWorklistItem(child.patient_id, item));
    }
    for (const check of await this.programmes.warningSignWorklist(institution)) {
      if (check.assessed) continue;
      items.push({
        childPatientId: check.patient_id,
        kind: 'developmental-assessment',
        status: 'suggested',
        dueOn: check.checked_on,
        overdueOn: '',
        causeEntryId: check.id,
        reasons: [],
        suggestedLevel: reference.warningSigns.assessmentLevel,
      });
    }
    for (const growth of await this.programmes.growthWorklist(institution, isoDateOf(addMonths(day, -84)))) {
      const haemoglobin = growth.haemoglobin === null ? undefined : Number(growth.haemoglobin);
      const assessment = classifyNutrition(reference.nutrition, growth.age_days, growth.z_scores, haemoglobin);
      const reasons = weakChildReasons(reference.nutrition, assessment);
      if (reasons.length === 0) continue;
      items.push({
        childPatientId: growth.patient_id,
        kind: 'weak-child-enrolment',
        status: 'suggested',
        dueOn: growth.measured_on,
        overdueOn: '',
        causeEntryId: growth.id,
        reasons,
        suggestedLevel: '',
      });
    }
    items.sort(
      (a, b) =>
        (STATUS_ORDER[a.status] ?? 9) - (STATUS_ORDER[b.status] ?? 9) ||
        (a.overdueOn || a.dueOn).localeCompare(b.overdueOn || b.dueOn) ||
        a.childPatientId.localeCompare(b.childPatientId),
    );
    for (const childPatientId of new Set(items.map((item) => item.childPatientId)))
      await recordAudit(this.access.db.rw, ctx, {
        patientId: childPatientId,
        action: 'record.child-worklist.read',
        outcome: 'allowed',
      });
    return { items };
  }
}
