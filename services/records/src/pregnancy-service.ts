// Writing a pregnancy episode: registration, antenatal visits (with the township screen), risk grading (with the
// risk outbox and the high-risk case register in the same transaction) and delivery (newborns registered in
// identity and linked to their mother). Every write is one new record version, idempotent under its key, audited.
import { enforce, recordAudit } from '../../common/src/audit';
import { canGradePregnancyRisk } from '../../common/src/auth/policy';
import {
  AbortedError,
  AlreadyExistsError,
  FailedPreconditionError,
  FieldViolation,
  InvalidArgumentError,
} from '../../common/src/errors';
import type { CallContext } from '../../common/src/grpc/context';
import { runIdempotent, scopeFromContext } from '../../common/src/idempotency';
import type { PoolClient } from '../../common/src/pg/database';
import { Sex } from '../../common/src/gen/mch/identity/v1/identity';
import {
  AssessRiskRequest,
  AssessRiskResponse,
  ChildSex,
  PregnancyOutcome,
  RecordAntenatalVisitRequest,
  RecordAntenatalVisitResponse,
  RecordDeliveryRequest,
  RecordDeliveryResponse,
  RecordImagingStudyRequest,
  RecordImagingStudyResponse,
  RecordPostpartumVisitRequest,
  RecordPostpartumVisitResponse,
  RegisterPregnancyRequest,
  RegisterPregnancyResponse,
} from '../../common/src/gen/mch/records/v1/records';
import { RecordAccess, requireId } from './access';
import {
  checkDelivery,
  checkImagingStudy,
  checkPostpartumVisit,
  checkPregnancyRegistration,
  checkRiskGrade,
  checkVisit,
  entersCaseManagement,
  parseIsoDate,
  pregnancyPicture,
  proposeRiskGrade,
  RiskGrade,
  scheduleInForce,
  screenForGrading,
  todayInChina,
  antenatalScheduleFor,
  contentItemIds,
  Schedule,
} from './domain';
import type { IdentityClient } from './identity-client';
import type { PatientObjects } from './object-store-client';
import type { PregnancyRow, VisitRow } from './repository';
import { storedAnswer } from './replay';
import { carriesSensitiveFact, classifyWriteText } from './text-sensitivity';
import {
  FULL_VISIBILITY,
  toAssessment,
  toDelivery,
  toImagingStudy,
  toPostpartumVisit,
  toPregnancy,
  toRiskStatus,
  toVisit,
} from './views';

export function visitPicture(
  pregnancy: PregnancyRow,
  visits: readonly Omit<VisitRow, 'id'>[],
): ReturnType<typeof pregnancyPicture> {
  return pregnancyPicture(
    {
      maternalBirthDate: pregnancy.maternal_birth_date ?? undefined,
      edd: pregnancy.edd,
      prePregnancyBmi: pregnancy.pre_pregnancy_bmi === null ? undefined : Number(pregnancy.pre_pregnancy_bmi),
      findings: pregnancy.findings,
    },
    visits.map((visit) => ({
      visitDate: visit.visit_date,
      systolicBp: visit.systolic_bp ?? undefined,
      diastolicBp: visit.diastolic_bp ?? undefined,
      haemoglobin: visit.haemoglobin === null ? undefined : Number(visit.haemoglobin),
      plateletCount: visit.platelet_count === null ? undefined : Number(visit.platelet_count),
      proteinuria: visit.proteinuria,
      findings: visit.findings,
      labs: visit.labs.map((lab) => ({
        code: lab.code as never,
        result: lab.result as never,
        resultedOn: lab.resultedOn,
      })),
    })),
  );
}

/** Content items done at a visit: each an item of her antenatal schedule, once (400 naming `contentDone[i]`). */
function checkContentDone(codes: readonly string[], schedule: Schedule): string[] {
  const known = new Set(contentItemIds(schedule));
  const violations: FieldViolation[] = [];
  codes.forEach((code, index) => {
    if (!known.has(code))
      violations.push({
        field: `contentDone[${index}]`,
        description: `"${code}" is not a content item of ${schedule.id} (items: ${[...known].join(', ') || 'none'})`,
      });
    else if (codes.indexOf(code) !== index)
      violations.push({ field: `contentDone[${index}]`, description: `"${code}" is given twice` });
  });
  if (violations.length > 0) throw new InvalidArgumentError(violations);
  return [...codes];
}

const sameGrade = (a: RiskGrade, b: RiskGrade): boolean =>
  a.colour === b.colour && a.besideColours.join(',') === b.besideColours.join(',');

export class PregnancyService {
  constructor(
    private readonly access: RecordAccess,
    private readonly identity: IdentityClient,
    private readonly objects: PatientObjects,
  ) {}

  private get db() {
    return this.access.db;
  }

  private get repository() {
    return this.access.repository;
  }

  private async lockedActivePregnancy(tx: PoolClient, pregnancyId: string): Promise<PregnancyRow> {
    const pregnancy = await this.repository.requirePregnancy(pregnancyId, tx);
    if (pregnancy.status !== 'active') throw new FailedPreconditionError('the pregnancy has ended', 'PREGNANCY_ENDED');
    return pregnancy;
  }

  async register(request: RegisterPregnancyRequest, ctx: CallContext): Promise<RegisterPregnancyResponse> {
    const replay = await storedAnswer(
      this.db,
      ctx,
      RegisterPregnancyRequest.encode(request).finish(),
      RegisterPregnancyResponse,
    );
    if (replay) return replay;
    const patientId = requireId(request.patientId, 'patientId');
    await this.access.allowWrite(ctx, patientId, 'record.pregnancy.register');
    const registration = checkPregnancyRegistration(
      {
        lmp: request.lmp,
        datingScan: request.datingScan,
        registeredOn: request.registeredOn,
        prePregnancyWeightKg: request.prePregnancyWeightKg,
        heightCm: request.heightCm,
        findings: request.findings,
      },
      todayInChina(),
    );
    const mother = await this.identity.patient(patientId, ctx);
    if (mother.sex === Sex.SEX_MALE) throw InvalidArgumentError.field('patientId', 'is registered as male');
    // A merged duplicate resolves to its survivor in identity; her record lives under the survivor's id.
    if (mother.id !== patientId)
      throw new FailedPreconditionError(
        `patient ${patientId} was merged into ${mother.id}; register the pregnancy there`,
        'PATIENT_MERGED',
      );
    const ruleSet = this.access.ruleSetOn(registration.registeredOn);
    return runIdempotent(
      this.db,
      scopeFromContext(ctx),
      RegisterPregnancyRequest.encode(request).finish(),
      RegisterPregnancyResponse,
      async (tx) => {
        const change = await this.repository.beginChange(tx, patientId, request.expectedVersion);
        if (await this.repository.activePregnancy(tx, patientId)) {
          throw new FailedPreconditionError(
            'she already has an active pregnancy; record its delivery or end first',
            'PREGNANCY_ACTIVE',
          );
        }
        let pregnancy = await this.repository.insertPregnancy(tx, {
          patient_id: patientId,
          county_code: mother.countyCode,
          maternal_birth_date: mother.birthDate || null,
          lmp: registration.lmp,
          edd: registration.edd,
          dating_method: registration.datingMethod,
          registered_on: registration.registeredOn,
          registered_ga_days: registration.gestationalAgeDays,
          registered_at: ctx.principal?.institutionId ?? null,
          registered_by: ctx.caller,
          pre_pregnancy_bmi: registration.prePregnancyBmi === undefined ? null : String(registration.prePregnancyBmi),
          findings: [...registration.findings],
          record_version: change.version,
        });
        // Registration facts alone (age, BMI, history) may already flag her for grading.
        const screen = screenForGrading(ruleSet, visitPicture(pregnancy, []));
        pregnancy = await this.repository.updateRiskStatus(tx, pregnancy.id, {
          screenPositive: screen.positive,
          screenReasons: screen.reasons.map((r) => r.ruleId),
        });
        const text = await classifyWriteText(
          tx,
          ctx,
          patientId,
          'pregnancy',
          { reason: request.reason },
          {
            accompaniesSensitiveFact: carriesSensitiveFact(
              { findings: pregnancy.findings },
              this.access.restrictedVisibility(registration.registeredOn),
            ),
            authorMarkedNotSensitive: request.textNotSensitive,
          },
        );
        await this.repository.commitChange(change, ctx, {
          change: 'pregnancy.register',
          entityId: pregnancy.id,
          reason: request.reason,
          reasonSensitivity: text.reason,
          summary: {
            lmp: pregnancy.lmp,
            edd: pregnancy.edd,
            datingMethod: pregnancy.dating_method,
            registeredOn: pregnancy.registered_on,
          },
        });
        await recordAudit(tx, ctx, { patientId, action: 'record.pregnancy.register', outcome: 'allowed' });
        return {
          pregnancy: toPregnancy(
            pregnancy,
            { visits: [], assessments: [], delivery: undefined },
            FULL_VISIBILITY,
            pregnancy.registered_ga_days,
          ),
          recordVersion: change.version,
        };
      },
    );
  }

  async recordVisit(request: RecordAntenatalVisitRequest, ctx: CallContext): Promise<RecordAntenatalVisitResponse> {
    const replay = await storedAnswer(
      this.db,
      ctx,
      RecordAntenatalVisitRequest.encode(request).finish(),
      RecordAntenatalVisitResponse,
    );
    if (replay) return replay;
    const pregnancyId = requireId(request.pregnancyId, 'pregnancyId');
    const known = await this.repository.requirePregnancy(pregnancyId);
    await this.access.allowWrite(ctx, known.patient_id, 'record.antenatal.visit');
    const visit = checkVisit(
      {
        visitDate: request.visitDate,
        systolicBp: request.systolicBp,
        diastolicBp: request.diastolicBp,
        weightKg: request.weightKg,
        fundalHeightCm: request.fundalHeightCm,
        fetalHeartRate: request.fetalHeartRate,
        proteinuria: request.proteinuria,
        haemoglobin: request.haemoglobin,
        plateletCount: request.plateletCount,
        findings: request.findings,
        labs: request.labs,
      },
      { lmp: known.lmp, active: known.status === 'active' },
      todayInChina(),
    );
    const contentDone = checkContentDone(
      request.contentDone,
      antenatalScheduleFor(
        this.access.reference.schedules,
        this.access.reference.antenatalAssignments,
        known.registered_at,
        known.registered_on,
      ),
    );
    const ruleSet = this.access.ruleSetOn(visit.visitDate);
    return runIdempotent(
      this.db,
      scopeFromContext(ctx),
      RecordAntenatalVisitRequest.encode(request).finish(),
      RecordAntenatalVisitResponse,
      async (tx) => {
        const change = await this.repository.beginChange(tx, known.patient_id, request.expectedVersion);
        const pregnancy = await this.lockedActivePregnancy(tx, pregnancyId);
        const previous = await this.repository.visitsOf([pregnancyId], tx);
        const notes = request.notes.slice(0, 2000);
        const restricted = this.access.restrictedVisibility(visit.visitDate);
        const text = await classifyWriteText(
          tx,
          ctx,
          pregnancy.patient_id,
          'antenatal_visit',
          { notes, reason: request.reason },
          {
            accompaniesSensitiveFact: carriesSensitiveFact({ findings: visit.findings, labs: visit.labs }, restricted),
            authorMarkedNotSensitive: request.textNotSensitive,
          },
        );
        const fields: Omit<VisitRow, 'id'> = {
          pregnancy_id: pregnancyId,
          patient_id: pregnancy.patient_id,
          visit_date: visit.visitDate,
          ga_days: visit.gestationalAgeDays,
          institution_id: ctx.principal?.institutionId ?? null,
          author_id: ctx.caller,
          systolic_bp: request.systolicBp ?? null,
          diastolic_bp: request.diastolicBp ?? null,
          weight_kg: request.weightKg === undefined ? null : String(request.weightKg),
          fundal_height_cm: request.fundalHeightCm === undefined ? null : String(request.fundalHeightCm),
          fetal_heart_rate: request.fetalHeartRate ?? null,
          proteinuria: request.proteinuria,
          haemoglobin: request.haemoglobin === undefined ? null : String(request.haemoglobin),
          platelet_count: request.plateletCount === undefined ? null : String(request.plateletCount),
          findings: [...visit.findings],
          labs: visit.labs.map((lab) => ({
            code: lab.code,
            result: lab.result,
            resultedOn: lab.resultedOn ?? visit.visitDate,
          })),
          notes,
          notes_sensitivity: text.notes,
          screen_positive: false,
          screen_reasons: [],
          record_version: change.version,
          content_done: contentDone,
        };
        // The screen reads her whole pregnancy with this visit in it.
        const screenAfter = screenForGrading(ruleSet, visitPicture(pregnancy, [...previous, fields]));
        const row = await this.repository.insertVisit(tx, {
          ...fields,
          screen_positive: screenAfter.positive,
          screen_reasons: screenAfter.reasons.map((r) => r.ruleId),
        });
        const updated = await this.repository.updateRiskStatus(tx, pregnancyId, {
          screenPositive: screenAfter.positive,
          screenReasons: screenAfter.reasons.map((r) => r.ruleId),
        });
        await this.repository.commitChange(change, ctx, {
          change: 'antenatal.visit',
          entityId: row.id,
          reason: request.reason,
          reasonSensitivity: text.reason,
          summary: { pregnancyId, visitDate: row.visit_date, screenPositive: screenAfter.positive },
        });
        await recordAudit(tx, ctx, {
          patientId: pregnancy.patient_id,
          action: 'record.antenatal.visit',
          outcome: 'allowed',
        });
        return {
          visit: toVisit(row, FULL_VISIBILITY),
          risk: toRiskStatus(updated, FULL_VISIBILITY),
          recordVersion: change.version,
        };
      },
    );
  }

  async assessRisk(request: AssessRiskRequest, ctx: CallContext): Promise<AssessRiskResponse> {
    const replay = await storedAnswer(this.db, ctx, AssessRiskRequest.encode(request).finish(), AssessRiskResponse);
    if (replay) return replay;
    const pregnancyId = requireId(request.pregnancyId, 'pregnancyId');
    const known = await this.repository.requirePregnancy(pregnancyId);
    const patientId = known.patient_id;
    await this.access.allowWrite(ctx, patientId, 'record.risk.assess');
    const today = todayInChina();
    const assessedOn = request.assessedOn || today;
    const day = parseIsoDate(assessedOn, 'assessedOn');
    if (day > parseIsoDate(today, 'today')) throw InvalidArgumentError.field('assessedOn', 'must not be in the future');
    if (day < parseIsoDate(known.lmp, 'lmp'))
      throw InvalidArgumentError.field('assessedOn', `must not be before the LMP (${known.lmp})`);
    const ruleSet = this.access.ruleSetOn(assessedOn);
    const level = await this.identity.institutionLevel(ctx.principal?.institutionId);
    const gradeDecision = canGradePregnancyRisk(ctx.principal, level);
    const wantsColour = request.colour !== '' || request.besideColours.length > 0;
    // Township staff may screen; naming a colour is grading, which is refused (and audited) for them.
    if (wantsColour) await enforce(this.db, ctx, gradeDecision, patientId, 'record.risk.grade');
    const stated = wantsColour
      ? checkRiskGrade(ruleSet, { colour: request.colour, besideColours: request.besideColours })
      : undefined;
    const grading = gradeDecision.allowed;
    return runIdempotent(
      this.db,
      scopeFromContext(ctx),
      AssessRiskRequest.encode(request).finish(),
      AssessRiskResponse,
      async (tx) => {
        const change = await this.repository.beginChange(tx, patientId, request.expectedVersion);
        const pregnancy = await this.lockedActivePregnancy(tx, pregnancyId);
        const picture = visitPicture(pregnancy, await this.repository.visitsOf([pregnancyId], tx));
        const proposal = proposeRiskGrade(ruleSet, picture);
        const screen = screenForGrading(ruleSet, picture);
        const screenReasons = screen.reasons.map((r) => r.ruleId);
        const confirmed: RiskGrade | undefined = grading
          ? (stated ?? { colour: proposal.colour, besideColours: proposal.besideColours })
          : undefined;
        const overrides = confirmed !== undefined && !sameGrade(confirmed, proposal);
        if (overrides && request.reason.trim().length < 3) {
          throw InvalidArgumentError.field(
            'reason',
            `state why the grade differs from the proposed ${[proposal.colour, ...proposal.besideColours].join('+')}`,
          );
        }
        const inCase = confirmed ? entersCaseManagement(ruleSet, confirmed) : false;
        // The reason explains a grade: it stands beside the colours it names and the rules that fired.
        const text = await classifyWriteText(
          tx,
          ctx,
          patientId,
          'risk_assessment',
          { reason: request.reason.trim() },
          {
            accompaniesSensitiveFact: carriesSensitiveFact(
              {
                colours: [...(confirmed?.besideColours ?? []), ...proposal.besideColours],
                ruleIds: [...proposal.firedRules.map((rule) => rule.ruleId), ...screenReasons],
              },
              this.access.restrictedVisibility(assessedOn),
            ),
            authorMarkedNotSensitive: request.textNotSensitive,
          },
        );
        const assessment = await this.repository.insertAssessment(tx, {
          pregnancy_id: pregnancyId,
          patient_id: patientId,
          kind: confirmed ? 'grade' : 'screen',
          assessed_on: assessedOn,
          rule_set_id: ruleSet.id,
          // A screen records only that she is flagged and why: no colour is proposed to, or stored for, township staff.
          proposed_colour: confirmed ? proposal.colour : '',
          proposed_beside: confirmed ? [...proposal.besideColours] : [],
          fired_rules: proposal.firedRules.map((rule) => ({
            ruleId: rule.ruleId,
            colour: confirmed ? rule.colour : '',
            labelZh: rule.label.zh,
            labelEn: rule.label.en,
          })),
          unassessed_metrics: [...proposal.unassessedMetrics],
          colour: confirmed?.colour ?? '',
          beside_colours: confirmed ? [...confirmed.besideColours] : [],
          overrides_proposal: overrides,
          reason: request.reason.trim(),
          reason_sensitivity: text.reason,
          screen_positive: screen.positive,
          in_case_management: confirmed ? inCase : pregnancy.in_case_management,
          assessor_id: ctx.caller,
          institution_id: ctx.principal?.institutionId ?? null,
          record_version: change.version,
        });
        let updated: PregnancyRow;
        if (confirmed) {
          updated = await this.repository.updateRiskStatus(tx, pregnancyId, {
            screenPositive: screen.positive,
            screenReasons,
            graded: { colour: confirmed.colour, beside: confirmed.besideColours, inCaseManagement: inCase },
          });
          await this.repository.resolveRegradeProposals(tx, pregnancyId, assessment.id);
          const previous: RiskGrade = { colour: pregnancy.risk_colour, besideColours: pregnancy.risk_beside };
          if (!sameGrade(previous, confirmed))
            await this.recordGradeChange(tx, pregnancy, previous, confirmed, inCase, assessment.id, ctx);
        } else {
          updated = await this.repository.updateRiskStatus(tx, pregnancyId, {
            screenPositive: screen.positive,
            screenReasons,
          });
        }
        await this.repository.commitChange(change, ctx, {
          change: confirmed ? 'risk.grade' : 'risk.screen',
          entityId: assessment.id,
          reason: request.reason.trim(),
          reasonSensitivity: text.reason,
          summary: confirmed
            ? { pregnancyId, overridesProposal: overrides, inCaseManagement: inCase }
            : { pregnancyId, screenPositive: screen.positive },
        });
        await recordAudit(tx, ctx, {
          patientId,
          action: confirmed ? 'record.risk.grade' : 'record.risk.screen',
          outcome: 'allowed',
        });
        return {
          assessment: toAssessment(assessment, FULL_VISIBILITY),
          risk: toRiskStatus(updated, FULL_VISIBILITY),
          recordVersion: change.version,
        };
      },
    );
  }

  /** The outbox row and the case register move with the grade, in its transaction. */
  private async recordGradeChange(
    tx: PoolClient,
    pregnancy: PregnancyRow,
    previous: RiskGrade,
    confirmed: RiskGrade,
    inCase: boolean,
    assessmentId: string,
    ctx: CallContext,
  ): Promise<void> {
    await this.repository.insertRiskEvent(tx, {
      patient_id: pregnancy.patient_id,
      pregnancy_id: pregnancy.id,
      assessment_id: assessmentId,
      previous_colour: previous.colour,
      previous_beside: [...previous.besideColours],
      colour: confirmed.colour,
      beside_colours: [...confirmed.besideColours],
      in_case_management: inCase,
      county_code: pregnancy.county_code,
      institution_id: ctx.principal?.institutionId ?? null,
    });
    if (inCase) await this.repository.openCase(tx, pregnancy, confirmed.colour, confirmed.besideColours);
    else await this.repository.closeCase(tx, pregnancy.id);
  }

  async recordDelivery(request: RecordDeliveryRequest, ctx: CallContext): Promise<RecordDeliveryResponse> {
    const replay = await storedAnswer(
      this.db,
      ctx,
      RecordDeliveryRequest.encode(request).finish(),
      RecordDeliveryResponse,
    );
    if (replay) return replay;
    const pregnancyId = requireId(request.pregnancyId, 'pregnancyId');
    const known = await this.repository.requirePregnancy(pregnancyId);
    const patientId = known.patient_id;
    await this.access.allowWrite(ctx, patientId, 'record.delivery');
    const liveBirth = request.outcome === PregnancyOutcome.PREGNANCY_OUTCOME_LIVE_BIRTH;
    const delivery = checkDelivery(
      {
        deliveryDate: request.deliveryDate,
        dischargeDate: request.dischargeDate,
        mode: request.mode,
        outcome: request.outcome,
        liveBirth,
        placeOfDelivery: request.placeOfDelivery,
        newborns: request.newborns.map((newborn) => ({
          outcome: newborn.outcome,
          sex:
            newborn.sex === ChildSex.CHILD_SEX_FEMALE
              ? 'female'
              : newborn.sex === ChildSex.CHILD_SEX_MALE
                ? 'male'
                : undefined,
          birthOrder: newborn.birthOrder,
          name: newborn.name.trim(),
          birthCertificateNumber: newborn.birthCertificateNumber,
          birthWeightGrams: newborn.birthWeightGrams,
          birthLengthCm: newborn.birthLengthCm,
        })),
      },
      { lmp: known.lmp, active: known.status === 'active' },
      todayInChina(),
    );
    // Refuse a stale write before registering anyone in identity.
    if (request.expectedVersion !== undefined) {
      const current = await this.repository.currentVersion(patientId);
      if (current !== request.expectedVersion)
        throw new AbortedError(
          `the record is at version ${current}, not ${request.expectedVersion}: re-read it and retry`,
          'STALE_RECORD_VERSION',
        );
    }
    const children: { childPatientId: string; newborn: (typeof delivery.liveBorn)[number] }[] = [];
    if (delivery.liveBorn.length > 0) {
      const mother = await this.identity.patient(patientId, ctx);
      if (!mother.nationalId || mother.nationalId.includes('*')) {
        throw new FailedPreconditionError(
          'the mother has no resident ID on record to link her newborns by; register them in identity first',
          'MOTHER_WITHOUT_RESIDENT_ID',
        );
      }
      // Outside the transaction: identity is another service. A retry finds the same children by the newborn link.
      for (const newborn of delivery.liveBorn) {
        const suffix = delivery.newborns.length > 1 ? String(newborn.birthOrder) : '';
        const childPatientId = await this.identity.registerNewborn(
          {
            motherNationalId: mother.nationalId,
            birthDate: delivery.deliveryDate,
            birthOrder: newborn.birthOrder,
            birthCertificateNumber: newborn.birthCertificateNumber,
            name: newborn.name || `${mother.name}之${newborn.sex === 'female' ? '女' : '子'}${suffix}`,
            sex: newborn.sex,
            countyCode: mother.countyCode,
          },
          patientId,
          ctx,
        );
        children.push({ childPatientId, newborn });
      }
    }
    return runIdempotent(
      this.db,
      scopeFromContext(ctx),
      RecordDeliveryRequest.encode(request).finish(),
      RecordDeliveryResponse,
      async (tx) => {
        const change = await this.repository.beginChange(tx, patientId, request.expectedVersion);
        const pregnancy = await this.lockedActivePregnancy(tx, pregnancyId);
        const row = await this.repository.insertDelivery(tx, {
          pregnancy_id: pregnancyId,
          patient_id: patientId,
          delivery_date: delivery.deliveryDate,
          discharge_date: delivery.dischargeDate ?? null,
          mode: request.mode,
          outcome: request.outcome,
          ga_days: delivery.gestationalAgeDays,
          institution_id: ctx.principal?.institutionId ?? null,
          // Every baby in birth order: the live-born with their child patient, the stillborn without one.
          newborns: [...delivery.newborns]
            .sort((a, b) => a.birthOrder - b.birthOrder)
            .map((newborn) => ({
              childPatientId:
                newborn.outcome === 'live'
                  ? (children.find((child) => child.newborn.birthOrder === newborn.birthOrder)?.childPatientId ?? '')
                  : '',
              birthOrder: newborn.birthOrder,
              ...(newborn.sex ? { sex: newborn.sex } : {}),
              birthWeightGrams: newborn.birthWeightGrams,
              ...(newborn.birthLengthCm !== undefined ? { birthLengthCm: newborn.birthLengthCm } : {}),
              birthCertificateNumber: newborn.outcome === 'live' ? newborn.birthCertificateNumber : '',
              outcome: newborn.outcome,
            })),
          record_version: change.version,
          place_of_delivery: delivery.placeOfDelivery,
        });
        await this.repository.endPregnancy(tx, pregnancyId);
        const text = await classifyWriteText(
          tx,
          ctx,
          patientId,
          'delivery',
          { reason: request.reason },
          { accompaniesSensitiveFact: false, authorMarkedNotSensitive: false },
        );
        await this.repository.commitChange(change, ctx, {
          change: 'delivery',
          entityId: pregnancyId,
          reason: request.reason,
          reasonSensitivity: text.reason,
          summary: {
            pregnancyId,
            deliveryDate: row.delivery_date,
            newborns: children.map((child) => child.childPatientId),
          },
        });
        await recordAudit(tx, ctx, { patientId, action: 'record.delivery', outcome: 'allowed' });
        // Each child's own record starts with its birth, written by the delivering institution.
        for (const { childPatientId, newborn } of children) {
          await this.repository.ensureChild(tx, {
            patient_id: childPatientId,
            mother_patient_id: patientId,
            pregnancy_id: pregnancyId,
            birth_date: delivery.deliveryDate,
            sex: newborn.sex,
            discharge_date: delivery.dischargeDate ?? null,
            birth_order: newborn.birthOrder,
            birth_weight_grams: newborn.birthWeightGrams,
            birth_length_cm: newborn.birthLengthCm === undefined ? null : String(newborn.birthLengthCm),
            county_code: pregnancy.county_code,
          });
          const childChange = await this.repository.beginChange(tx, childPatientId, undefined);
          await this.repository.commitChange(childChange, ctx, {
            change: 'birth',
            entityId: childPatientId,
            reason: request.reason,
            reasonSensitivity: text.reason,
            summary: { motherPatientId: patientId, pregnancyId, birthOrder: newborn.birthOrder },
          });
          await recordAudit(tx, ctx, { patientId: childPatientId, action: 'record.birth', outcome: 'allowed' });
        }
        return { delivery: toDelivery(row), recordVersion: change.version };
      },
    );
  }

  /** A postpartum visit: only once the pregnancy was delivered, dated against the delivery and discharge. */
  async recordPostpartumVisit(
    request: RecordPostpartumVisitRequest,
    ctx: CallContext,
  ): Promise<RecordPostpartumVisitResponse> {
    const replay = await storedAnswer(
      this.db,
      ctx,
      RecordPostpartumVisitRequest.encode(request).finish(),
      RecordPostpartumVisitResponse,
    );
    if (replay) return replay;
    const pregnancyId = requireId(request.pregnancyId, 'pregnancyId');
    const known = await this.repository.requirePregnancy(pregnancyId);
    const patientId = known.patient_id;
    await this.access.allowWrite(ctx, patientId, 'record.postpartum.visit');
    // The delivery row is written with the pregnancy's end and never changes: reading it here is not a race.
    const delivery = known.status === 'ended' ? await this.repository.delivery(this.db.rw, pregnancyId) : undefined;
    if (!delivery) {
      throw new FailedPreconditionError(
        `the pregnancy is ${known.status} and has no recorded delivery: a postpartum visit follows the delivery`,
        'PREGNANCY_NOT_DELIVERED',
      );
    }
    const visit = checkPostpartumVisit(
      {
        kind: request.kind.trim(),
        visitDate: request.visitDate,
        systolicBp: request.systolicBp,
        diastolicBp: request.diastolicBp,
        temperatureC: request.temperatureC,
        breastfeeding: request.breastfeeding,
        uterineInvolution: request.uterineInvolution,
        lochia: request.lochia,
        wound: request.wound,
        findings: request.findings,
        notes: request.notes,
      },
      {
        deliveryDate: delivery.delivery_date,
        dischargeDate: delivery.discharge_date ?? undefined,
        schedule: scheduleInForce(this.access.reference.schedules, 'cn-bphs-postpartum', delivery.delivery_date),
      },
      todayInChina(),
    );
    return runIdempotent(
      this.db,
      scopeFromContext(ctx),
      RecordPostpartumVisitRequest.encode(request).finish(),
      RecordPostpartumVisitResponse,
      async (tx) => {
        const change = await this.repository.beginChange(tx, patientId, request.expectedVersion);
        const text = await classifyWriteText(
          tx,
          ctx,
          patientId,
          'postpartum_visit',
          { notes: request.notes, reason: request.reason },
          {
            accompaniesSensitiveFact: carriesSensitiveFact(
              { findings: visit.findings },
              this.access.restrictedVisibility(visit.visitDate),
            ),
            authorMarkedNotSensitive: request.textNotSensitive,
          },
        );
        const row = await this.repository.insertPostpartumVisit(tx, {
          pregnancy_id: pregnancyId,
          patient_id: patientId,
          kind: visit.kind,
          service: visit.service,
          visit_date: visit.visitDate,
          days_after_delivery: visit.daysAfterDelivery,
          systolic_bp: request.systolicBp ?? null,
          diastolic_bp: request.diastolicBp ?? null,
          temperature_c: request.temperatureC === undefined ? null : String(request.temperatureC),
          breastfeeding: request.breastfeeding,
          uterine_involution: request.uterineInvolution,
          lochia: request.lochia,
          wound: request.wound,
          findings: [...visit.findings],
          notes: request.notes,
          notes_sensitivity: text.notes,
          institution_id: ctx.principal?.institutionId ?? null,
          author_id: ctx.caller,
          record_version: change.version,
        });
        await this.repository.commitChange(change, ctx, {
          change: 'postpartum.visit',
          entityId: row.id,
          reason: request.reason,
          reasonSensitivity: text.reason,
          summary: { pregnancyId, kind: row.kind, visitDate: row.visit_date },
        });
        await recordAudit(tx, ctx, { patientId, action: 'record.postpartum.visit', outcome: 'allowed' });
        return { visit: toPostpartumVisit(row, FULL_VISIBILITY), recordVersion: change.version };
      },
    );
  }

  /** A PACS study reference (with its object store copy, when there is one) for a pregnancy, once per study. */
  async recordImagingStudy(request: RecordImagingStudyRequest, ctx: CallContext): Promise<RecordImagingStudyResponse> {
    const replay = await storedAnswer(
      this.db,
      ctx,
      RecordImagingStudyRequest.encode(request).finish(),
      RecordImagingStudyResponse,
    );
    if (replay) return replay;
    const pregnancyId = requireId(request.pregnancyId, 'pregnancyId');
    const known = await this.repository.requirePregnancy(pregnancyId);
    const patientId = known.patient_id;
    await this.access.allowWrite(ctx, patientId, 'record.imaging');
    const study = checkImagingStudy(
      {
        studyInstanceUid: request.studyInstanceUid,
        modality: request.modality,
        studyDate: request.studyDate,
        objectId: request.objectId,
        findings: request.findings,
      },
      { lmp: known.lmp },
      todayInChina(),
    );
    // Asked before the transaction: the object must already be stored for her (its bytes are never re-checked here).
    if (study.objectId) await this.objects.requireObjectOf(study.objectId, patientId, 'objectId', ctx);
    return runIdempotent(
      this.db,
      scopeFromContext(ctx),
      RecordImagingStudyRequest.encode(request).finish(),
      RecordImagingStudyResponse,
      async (tx) => {
        const change = await this.repository.beginChange(tx, patientId, request.expectedVersion);
        const text = await classifyWriteText(
          tx,
          ctx,
          patientId,
          'imaging_study',
          { findings: request.findings, reason: request.reason },
          { accompaniesSensitiveFact: false, authorMarkedNotSensitive: false },
        );
        const row = await this.repository.insertImagingStudy(tx, {
          pregnancy_id: pregnancyId,
          patient_id: patientId,
          study_instance_uid: study.studyInstanceUid,
          modality: study.modality,
          study_date: study.studyDate,
          object_id: study.objectId ?? null,
          findings: request.findings,
          findings_sensitivity: text.findings,
          institution_id: ctx.principal?.institutionId ?? null,
          author_id: ctx.caller,
          record_version: change.version,
        });
        if (!row)
          throw new AlreadyExistsError('this pregnancy already refers to that study', 'IMAGING_STUDY_ALREADY_RECORDED');
        await this.repository.commitChange(change, ctx, {
          change: 'imaging.study',
          entityId: row.id,
          reason: request.reason,
          reasonSensitivity: text.reason,
          summary: { pregnancyId, modality: row.modality, studyDate: row.study_date },
        });
        await recordAudit(tx, ctx, { patientId, action: 'record.imaging', outcome: 'allowed' });
        return { study: toImagingStudy(row, FULL_VISIBILITY), recordVersion: change.version };
      },
    );
  }
}
