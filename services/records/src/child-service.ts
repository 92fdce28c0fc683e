// Writing a child's record: growth measurements (WHO z-scores computed and stored), vaccine doses, and
// psychological or developmental screenings (sensitive), and child health checks (with the growth measurement
// taken at them). Each write is a new version of the child's record.
import { recordAudit } from '../../common/src/audit';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, Violations } from '../../common/src/errors';
import type { CallContext } from '../../common/src/grpc/context';
import { runIdempotent, scopeFromContext } from '../../common/src/idempotency';
import { Sex } from '../../common/src/gen/mch/identity/v1/identity';
import {
  GrowthInput,
  RecordChildCheckRequest,
  RecordChildCheckResponse,
  RecordGrowthRequest,
  RecordGrowthResponse,
  RecordImmunizationDeferralRequest,
  RecordImmunizationDeferralResponse,
  RecordImmunizationRequest,
  RecordImmunizationResponse,
  RecordScreeningRequest,
  RecordScreeningResponse,
  ScreeningKind,
  ScreeningResult,
} from '../../common/src/gen/mch/records/v1/records';
import { RecordAccess, requireId } from './access';
import {
  ageInDays,
  assessGrowth,
  checkChildCheck,
  checkChildDate,
  isoDateOf,
  MeasurementPosition,
  parseIsoDate,
  programmeVaccineOf,
  scheduleForChild,
  scheduleInForce,
  todayInChina,
  withFieldPrefix,
  ZScoreResult,
} from './domain';
import type { IdentityClient } from './identity-client';
import type { ChildRow, GrowthRow } from './repository';
import { withNutrition } from './child-programme-service';
import { storedAnswer } from './replay';
import { classifyWriteText } from './text-sensitivity';
import { FULL_VISIBILITY, toChildCheck, toDeferral, toGrowth, toImmunization, toScreening } from './views';

/**
 * A measurement checked and assessed against the WHO references: the growth row to insert (without its id and
 * version). `prefix` names the fields of a nested message (`growth.` in a child check).
 */
function authorOf(ctx: CallContext): { institutionId: string | null; authorId: string } {
  return { institutionId: ctx.principal?.institutionId ?? null, authorId: ctx.caller };
}

export function measureGrowth(
  standards: RecordAccess['reference']['growthStandards'],
  child: Pick<ChildRow, 'patient_id' | 'birth_date' | 'sex'>,
  measuredOn: string,
  input: GrowthInput,
  author: { readonly institutionId: string | null; readonly authorId: string },
  prefix = '',
): Omit<GrowthRow, 'id'> {
  return withFieldPrefix(prefix, () => {
    if (input.weightKg === undefined && input.lengthHeightCm === undefined && input.headCircumferenceCm === undefined) {
      throw InvalidArgumentError.field(
        'weightKg',
        'give at least one of weightKg, lengthHeightCm and headCircumferenceCm',
      );
    }
    const ageDays = ageInDays(child.birth_date, measuredOn);
    const position = input.position ? (input.position as MeasurementPosition) : undefined;
    const violations = new Violations();
    // Every measurement is checked even when another is wrong, so one answer names every bad field.
    for (const [field, value] of [
      ['weightKg', input.weightKg],
      ['lengthHeightCm', input.lengthHeightCm],
      ['headCircumferenceCm', input.headCircumferenceCm],
    ] as const) {
      if (value !== undefined && (!Number.isFinite(value) || value <= 0))
        violations.add(field, 'must be a positive number');
    }
    violations.throwIfAny();
    const assessment = assessGrowth(standards, {
      sex: child.sex,
      ageDays,
      weightKg: input.weightKg,
      lengthHeightCm: input.lengthHeightCm,
      position,
      headCircumferenceCm: input.headCircumferenceCm,
    });
    return {
      patient_id: child.patient_id,
      measured_on: measuredOn,
      age_days: ageDays,
      weight_kg: input.weightKg === undefined ? null : String(input.weightKg),
      length_height_cm: input.lengthHeightCm === undefined ? null : String(input.lengthHeightCm),
      position: input.position,
      head_circumference_cm: input.headCircumferenceCm === undefined ? null : String(input.headCircumferenceCm),
      z_scores: (Object.values(assessment) as ZScoreResult[]).map((z) => ({
        indicator: z.indicator,
        zScore: z.zScoreReported,
        restricted: z.restricted,
        reference: z.reference,
      })),
      institution_id: author.institutionId,
      author_id: author.authorId,
    };
  });
}

export class ChildService {
  constructor(
    private readonly access: RecordAccess,
    private readonly identity: IdentityClient,
  ) {}

  private get repository() {
    return this.access.repository;
  }

  /** The child as records knows it: from a delivery recorded here, or else from identity (then kept). */
  async child(childPatientId: string, ctx: CallContext): Promise<{ row: ChildRow; known: boolean }> {
    const row = await this.repository.child(childPatientId);
    if (row) return { row, known: true };
    const patient = await this.identity.patient(childPatientId, ctx);
    if (patient.sex !== Sex.SEX_FEMALE && patient.sex !== Sex.SEX_MALE) {
      throw new FailedPreconditionError(
        'the child has no recorded sex in the patient index; growth references are by sex',
        'CHILD_SEX_UNKNOWN',
      );
    }
    if (!patient.birthDate)
      throw new FailedPreconditionError('the child has no birth date in the patient index', 'CHILD_BIRTH_DATE_UNKNOWN');
    return {
      known: false,
      row: {
        patient_id: patient.id,
        mother_patient_id: patient.guardianPatientIds[0] ?? null,
        pregnancy_id: null,
        birth_date: patient.birthDate,
        sex: patient.sex === Sex.SEX_FEMALE ? 'female' : 'male',
        discharge_date: null,
        birth_order: patient.newborn?.birthOrder ?? null,
        birth_weight_grams: null,
        birth_length_cm: null,
        county_code: patient.countyCode,
      },
    };
  }

  async recordGrowth(request: RecordGrowthRequest, ctx: CallContext): Promise<RecordGrowthResponse> {
    const replay = await storedAnswer(
      this.access.db,
      ctx,
      RecordGrowthRequest.encode(request).finish(),
      RecordGrowthResponse,
    );
    if (replay) return replay;
    const childPatientId = requireId(request.childPatientId, 'childPatientId');
    await this.access.allowWrite(ctx, childPatientId, 'record.growth');
    const { row: child, known } = await this.child(childPatientId, ctx);
    const measuredOn = checkChildDate(request.measuredOn, 'measuredOn', child.birth_date, todayInChina());
    const measurement = measureGrowth(this.access.reference.growthStandards, child, measuredOn, request, authorOf(ctx));
    return runIdempotent(
      this.access.db,
      scopeFromContext(ctx),
      RecordGrowthRequest.encode(request).finish(),
      RecordGrowthResponse,
      async (tx) => {
        if (!known) await this.repository.ensureChild(tx, child);
        const change = await this.repository.beginChange(tx, childPatientId, request.expectedVersion);
        const row = await this.repository.insertGrowth(tx, { ...measurement, record_version: change.version });
        const text = await classifyWriteText(
          tx,
          ctx,
          childPatientId,
          'growth',
          { reason: request.reason },
          { accompaniesSensitiveFact: false, authorMarkedNotSensitive: false },
        );
        await this.repository.commitChange(change, ctx, {
          change: 'growth',
          entityId: row.id,
          reason: request.reason,
          reasonSensitivity: text.reason,
          summary: { measuredOn, ageDays: row.age_days },
        });
        await recordAudit(tx, ctx, { patientId: childPatientId, action: 'record.growth', outcome: 'allowed' });
        return {
          measurement: withNutrition(this.access.reference.childHealth.nutrition, toGrowth(row)),
          recordVersion: change.version,
        };
      },
    );
  }

  /** A child health check; a measurement taken at it is stored as a growth measurement in the same version. */
  async recordChildCheck(request: RecordChildCheckRequest, ctx: CallContext): Promise<RecordChildCheckResponse> {
    const replay = await storedAnswer(
      this.access.db,
      ctx,
      RecordChildCheckRequest.encode(request).finish(),
      RecordChildCheckResponse,
    );
    if (replay) return replay;
    const childPatientId = requireId(request.childPatientId, 'childPatientId');
    await this.access.allowWrite(ctx, childPatientId, 'record.child.check');
    const { row: child, known } = await this.child(childPatientId, ctx);
    const violations = new Violations();
    const checkedOn = violations.check(() =>
      checkChildDate(request.checkedOn, 'checkedOn', child.birth_date, todayInChina()),
    );
    const schedule = scheduleInForce(
      this.access.reference.schedules,
      'cn-bphs-child-health',
      child.birth_date,
      'birthDate',
    );
    const check = violations.check(() =>
      checkChildCheck(
        {
          service: request.service,
          development: request.development,
          feeding: request.feeding,
          haemoglobin: request.haemoglobin,
          notes: request.notes,
        },
        schedule,
      ),
    );
    const measurement =
      checkedOn !== undefined && request.growth
        ? violations.check(() =>
            measureGrowth(
              this.access.reference.growthStandards,
              child,
              checkedOn,
              request.growth as GrowthInput,
              authorOf(ctx),
              'growth.',
            ),
          )
        : undefined;
    violations.throwIfAny();
    return runIdempotent(
      this.access.db,
      scopeFromContext(ctx),
      RecordChildCheckRequest.encode(request).finish(),
      RecordChildCheckResponse,
      async (tx) => {
        if (!known) await this.repository.ensureChild(tx, child);
        const change = await this.repository.beginChange(tx, childPatientId, request.expectedVersion);
        const growth = measurement
          ? await this.repository.insertGrowth(tx, { ...measurement, record_version: change.version })
          : undefined;
        const text = await classifyWriteText(
          tx,
          ctx,
          childPatientId,
          'child_check',
          { notes: request.notes, reason: request.reason },
          { accompaniesSensitiveFact: false, authorMarkedNotSensitive: false },
        );
        const row = await this.repository.insertChildCheck(tx, {
          patient_id: childPatientId,
          service: (check as { service: string }).service,
          checked_on: checkedOn as string,
          age_days: ageInDays(child.birth_date, checkedOn as string),
          development: request.development,
          feeding: request.feeding,
          haemoglobin: request.haemoglobin === undefined ? null : String(request.haemoglobin),
          notes: request.notes,
          notes_sensitivity: text.notes,
          growth_measurement_id: growth?.id ?? null,
          institution_id: ctx.principal?.institutionId ?? null,
          author_id: ctx.caller,
          record_version: change.version,
        });
        await this.repository.commitChange(change, ctx, {
          change: 'child.check',
          entityId: row.id,
          reason: request.reason,
          reasonSensitivity: text.reason,
          summary: {
            checkedOn: row.checked_on,
            service: row.service,
            ageDays: row.age_days,
            growthMeasurementId: growth?.id,
          },
        });
        await recordAudit(tx, ctx, { patientId: childPatientId, action: 'record.child.check', outcome: 'allowed' });
        return {
          check: toChildCheck(row, FULL_VISIBILITY),
          measurement: growth
            ? withNutrition(this.access.reference.childHealth.nutrition, toGrowth(growth), request.haemoglobin)
            : undefined,
          recordVersion: change.version,
        };
      },
    );
  }

  async recordImmunization(request: RecordImmunizationRequest, ctx: CallContext): Promise<RecordImmunizationResponse> {
    const replay = await storedAnswer(
      this.access.db,
      ctx,
      RecordImmunizationRequest.encode(request).finish(),
      RecordImmunizationResponse,
    );
    if (replay) return replay;
    const childPatientId = requireId(request.childPatientId, 'childPatientId');
    await this.access.allowWrite(ctx, childPatientId, 'record.immunization');
    const { row: child, known } = await this.child(childPatientId, ctx);
    const violations = new Violations();
    const givenOn = violations.check(() =>
      checkChildDate(request.givenOn, 'givenOn', child.birth_date, todayInChina()),
    );
    const schedule = scheduleForChild(this.access.reference.schedules, 'cn-nip', child.birth_date, 'birthDate');
    const programmeVaccine = violations.check(() => programmeVaccineOf(schedule, request.vaccine.trim(), request.dose));
    if (request.lotNumber.length > 50) violations.add('lotNumber', 'must be at most 50 characters');
    violations.throwIfAny();
    return runIdempotent(
      this.access.db,
      scopeFromContext(ctx),
      RecordImmunizationRequest.encode(request).finish(),
      RecordImmunizationResponse,
      async (tx) => {
        if (!known) await this.repository.ensureChild(tx, child);
        const change = await this.repository.beginChange(tx, childPatientId, request.expectedVersion);
        const row = await this.repository.insertImmunization(tx, {
          patient_id: childPatientId,
          vaccine: request.vaccine.trim(),
          programme_vaccine: programmeVaccine as string,
          dose: request.dose,
          given_on: givenOn as string,
          lot_number: request.lotNumber.trim(),
          institution_id: ctx.principal?.institutionId ?? null,
          author_id: ctx.caller,
          record_version: change.version,
        });
        if (!row)
          throw new AlreadyExistsError(
            `${programmeVaccine} dose ${request.dose} is already recorded for this child`,
            'DOSE_ALREADY_RECORDED',
          );
        const text = await classifyWriteText(
          tx,
          ctx,
          childPatientId,
          'immunization',
          { reason: request.reason },
          { accompaniesSensitiveFact: false, authorMarkedNotSensitive: false },
        );
        await this.repository.commitChange(change, ctx, {
          change: 'immunization',
          entityId: row.id,
          reason: request.reason,
          reasonSensitivity: text.reason,
          summary: { vaccine: row.vaccine, dose: row.dose, givenOn: row.given_on },
        });
        await recordAudit(tx, ctx, { patientId: childPatientId, action: 'record.immunization', outcome: 'allowed' });
        return { immunization: toImmunization(row), recordVersion: change.version };
      },
    );
  }

  /**
   * A programme dose deferred for a contraindication of the programme data (`deferralReasons`), with notes; "other"
   * needs notes saying which. The dose leaves the due list while the deferral holds, then falls due as a catch-up
   * dose. Idempotent under the client's key like every write; the version log names the dose, never the reason.
   */
  async recordImmunizationDeferral(
    request: RecordImmunizationDeferralRequest,
    ctx: CallContext,
  ): Promise<RecordImmunizationDeferralResponse> {
    const replay = await storedAnswer(
      this.access.db,
      ctx,
      RecordImmunizationDeferralRequest.encode(request).finish(),
      RecordImmunizationDeferralResponse,
    );
    if (replay) return replay;
    const childPatientId = requireId(request.childPatientId, 'childPatientId');
    await this.access.allowWrite(ctx, childPatientId, 'record.immunization.deferral');
    const { row: child, known } = await this.child(childPatientId, ctx);
    const violations = new Violations();
    const today = todayInChina();
    const deferredOn = violations.check(() =>
      checkChildDate(request.deferredOn, 'deferredOn', child.birth_date, today),
    );
    let deferredUntil: string | undefined;
    if (request.deferredUntil !== '') {
      deferredUntil = violations.check(() => isoDateOf(parseIsoDate(request.deferredUntil, 'deferredUntil')));
      if (deferredUntil !== undefined && deferredOn !== undefined && !(deferredUntil > deferredOn)) {
        violations.add('deferredUntil', 'must be after deferredOn (leave it empty for a deferral until reviewed)');
      }
    }
    const schedule = scheduleForChild(this.access.reference.schedules, 'cn-nip', child.birth_date, 'birthDate');
    const programmeVaccine = violations.check(() => programmeVaccineOf(schedule, request.vaccine.trim(), request.dose));
    const contraindication = request.contraindication.trim();
    const codes = schedule.deferralReasons.map((reason) => reason.code);
    if (!codes.includes(contraindication)) violations.add('contraindication', `must be one of ${codes.join(', ')}`);
    if (request.notes.length > 2000) violations.add('notes', 'must be at most 2000 characters');
    if (contraindication === 'other' && request.notes.trim() === '')
      violations.add('notes', 'say which contraindication ("other")');
    violations.throwIfAny();
    return runIdempotent(
      this.access.db,
      scopeFromContext(ctx),
      RecordImmunizationDeferralRequest.encode(request).finish(),
      RecordImmunizationDeferralResponse,
      async (tx) => {
        if (!known) await this.repository.ensureChild(tx, child);
        const change = await this.repository.beginChange(tx, childPatientId, request.expectedVersion);
        // Abnormal immune function is itself a sensitive fact: the notes beside it are treated as such.
        const text = await classifyWriteText(
          tx,
          ctx,
          childPatientId,
          'immunization_deferral',
          { notes: request.notes, reason: request.reason },
          { accompaniesSensitiveFact: contraindication === 'immunodeficiency', authorMarkedNotSensitive: false },
        );
        const row = await this.repository.insertDeferral(tx, {
          patient_id: childPatientId,
          programme_vaccine: programmeVaccine as string,
          dose: request.dose,
          contraindication,
          deferred_on: deferredOn as string,
          deferred_until: deferredUntil ?? null,
          notes: request.notes.trim(),
          notes_sensitivity: text.notes,
          institution_id: ctx.principal?.institutionId ?? null,
          author_id: ctx.caller,
          record_version: change.version,
        });
        await this.repository.commitChange(change, ctx, {
          change: 'immunization.deferral',
          entityId: row.id,
          reason: request.reason,
          reasonSensitivity: text.reason,
          summary: { vaccine: row.programme_vaccine, dose: row.dose, deferredOn: row.deferred_on },
        });
        await recordAudit(tx, ctx, {
          patientId: childPatientId,
          action: 'record.immunization.deferral',
          outcome: 'allowed',
        });
        return { deferral: toDeferral(row), recordVersion: change.version };
      },
    );
  }

  async recordScreening(request: RecordScreeningRequest, ctx: CallContext): Promise<RecordScreeningResponse> {
    const replay = await storedAnswer(
      this.access.db,
      ctx,
      RecordScreeningRequest.encode(request).finish(),
      RecordScreeningResponse,
    );
    if (replay) return replay;
    const childPatientId = requireId(request.childPatientId, 'childPatientId');
    await this.access.allowWrite(ctx, childPatientId, 'record.screening');
    const { row: child, known } = await this.child(childPatientId, ctx);
    const violations = new Violations();
    const screenedOn = violations.check(() =>
      checkChildDate(request.screenedOn, 'screenedOn', child.birth_date, todayInChina()),
    );
    if (
      request.kind !== ScreeningKind.SCREENING_KIND_PSYCHOLOGICAL &&
      request.kind !== ScreeningKind.SCREENING_KIND_DEVELOPMENTAL
    )
      violations.add('kind', 'must be psychological or developmental');
    if (
      ![
        ScreeningResult.SCREENING_RESULT_NORMAL,
        ScreeningResult.SCREENING_RESULT_SUSPECTED,
        ScreeningResult.SCREENING_RESULT_ABNORMAL,
      ].includes(request.result)
    )
      violations.add('result', 'must be normal, suspected or abnormal');
    const instrument = request.instrument.trim();
    if (!instrument || instrument.length > 50)
      violations.add('instrument', 'name the instrument used (at most 50 characters)');
    if (request.score !== undefined && !Number.isFinite(request.score)) violations.add('score', 'must be a number');
    if (request.notes.length > 2000) violations.add('notes', 'must be at most 2000 characters');
    violations.throwIfAny();
    return runIdempotent(
      this.access.db,
      scopeFromContext(ctx),
      RecordScreeningRequest.encode(request).finish(),
      RecordScreeningResponse,
      async (tx) => {
        if (!known) await this.repository.ensureChild(tx, child);
        const change = await this.repository.beginChange(tx, childPatientId, request.expectedVersion);
        const row = await this.repository.insertScreening(tx, {
          patient_id: childPatientId,
          kind: request.kind,
          instrument,
          screened_on: screenedOn as string,
          score: request.score === undefined ? null : String(request.score),
          result: request.result,
          notes: request.notes,
          institution_id: ctx.principal?.institutionId ?? null,
          author_id: ctx.caller,
          record_version: change.version,
        });
        // The version log says a screening was added, never what it found; its reason stands beside the screening.
        const text = await classifyWriteText(
          tx,
          ctx,
          childPatientId,
          'screening',
          { notes: request.notes, reason: request.reason },
          { accompaniesSensitiveFact: true, authorMarkedNotSensitive: false },
        );
        await this.repository.commitChange(change, ctx, {
          change: 'screening',
          entityId: row.id,
          reason: request.reason,
          reasonSensitivity: text.reason,
          summary: { screenedOn: row.screened_on },
        });
        await recordAudit(tx, ctx, { patientId: childPatientId, action: 'record.screening', outcome: 'allowed' });
        return { screening: toScreening(row), recordVersion: change.version };
      },
    );
  }
}
