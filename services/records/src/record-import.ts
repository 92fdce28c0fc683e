// ImportRecords: the data generator's bulk path. Each patient's whole record (a pregnancy with its visits, screens
// and confirmed grade, or a child with checks, growth and doses) is checked by the same rules as the single
// writes, then the batch is written with COPY in one transaction: version 1 with its version row, the treating team,
// the risk outbox and the high-risk register for a confirmed grade, and one audit event per patient.
import { randomUUID } from 'node:crypto';
import { recordAudits } from '../../common/src/audit';
import { admitBatch, runBulkImport } from '../../common/src/bulk-import';
import { InvalidArgumentError, Violations, withFieldPrefix } from '../../common/src/errors';
import type { CallContext } from '../../common/src/grpc/context';
import { CopyValue, json } from '../../common/src/pg/copy';
import {
  ChildSex,
  ImportedChild,
  ImportedPregnancy,
  ImportRecordsRequest,
  ImportRecordsResponse,
} from '../../common/src/gen/mch/records/v1/records';
import { RecordAccess, requireId } from './access';
import { measureGrowth } from './child-service';
import {
  ageInDays,
  checkChildCheck,
  checkChildDate,
  checkPregnancyRegistration,
  checkVisit,
  entersCaseManagement,
  parseIsoDate,
  pregnancyPicture,
  programmeVaccineOf,
  proposeRiskGrade,
  scheduleForChild,
  scheduleInForce,
  screenForGrading,
  todayInChina,
} from './domain';
import type { IdentityClient } from './identity-client';
import type { ImportRows, RecordImportRepository } from './import-repository';

export const MAX_IMPORTED_RECORDS = 5_000;

/** A day as a time of day in China (entries dated by the day they describe, not by the day they were loaded). */
const noonInChina = (date: string): string => `${date}T12:00:00+08:00`;

interface Author {
  readonly authorId: string;
  readonly requestId: string;
}

/** One patient's record as rows, with what the response counts. */
interface PatientRows {
  readonly patientId: string;
  readonly rows: Partial<Record<keyof ImportRows, CopyValue[][]>>;
  readonly counts: Partial<Record<keyof ImportRecordsResponse, number>>;
}

export class RecordImport {
  constructor(
    private readonly access: RecordAccess,
    private readonly repository: RecordImportRepository,
    private readonly identity: IdentityClient,
  ) {}

  async importRecords(request: ImportRecordsRequest, ctx: CallContext): Promise<ImportRecordsResponse> {
    admitBatch(ctx, 'pregnancies', request.pregnancies.length + request.children.length, MAX_IMPORTED_RECORDS);
    const today = todayInChina();
    const author: Author = { authorId: ctx.caller, requestId: ctx.requestId };
    const gradingLevels = await this.gradingLevels(request);
    const violations = new Violations();
    const records: PatientRows[] = [];
    const seen = new Set<string>();
    const collect = (prefix: string, build: () => PatientRows): void => {
      const built = violations.check(() => withFieldPrefix(prefix, build));
      if (!built) return;
      if (seen.has(built.patientId))
        violations.add(`${prefix}patientId`, 'holds a patient a second time in this batch');
      seen.add(built.patientId);
      records.push(built);
    };
    for (const [index, pregnancy] of request.pregnancies.entries()) {
      if (violations.count() >= 20) break;
      collect(`pregnancies[${index}].`, () => this.pregnancyRows(pregnancy, gradingLevels, today, author));
    }
    for (const [index, child] of request.children.entries()) {
      if (violations.count() >= 20) break;
      collect(`children[${index}].`, () => this.childRows(child, today, author));
    }
    violations.throwIfAny();

    return runBulkImport(
      this.access.db,
      ctx,
      ImportRecordsRequest.encode(request).finish(),
      ImportRecordsResponse,
      async (tx) => {
        const fresh = await this.repository.claimNewRecords(
          tx,
          records.map((record) => record.patientId),
        );
        const rows: ImportRows = {
          versions: [],
          careInstitutions: [],
          pregnancies: [],
          visits: [],
          assessments: [],
          riskEvents: [],
          highRiskCases: [],
          children: [],
          growth: [],
          checks: [],
          immunizations: [],
        };
        const response: ImportRecordsResponse = ImportRecordsResponse.fromPartial({
          skippedExisting: records.length - fresh.size,
        });
        for (const record of records) {
          if (!fresh.has(record.patientId)) continue;
          for (const [kind, kindRows] of Object.entries(record.rows) as Array<[keyof ImportRows, CopyValue[][]]>)
            rows[kind].push(...kindRows);
          for (const [name, count] of Object.entries(record.counts) as Array<[keyof ImportRecordsResponse, number]>)
            response[name] += count;
        }
        await this.repository.write(tx, rows, [...fresh]);
        await recordAudits(
          tx,
          ctx,
          [...fresh].map((patientId) => ({
            patientId,
            action: 'record.import',
            outcome: 'allowed',
            reason: 'bulk import',
          })),
        );
        return response;
      },
    );
  }

  /** The level of every institution named as where a grade was confirmed (identity's answer, cached). */
  private async gradingLevels(request: ImportRecordsRequest): Promise<Map<string, string | undefined>> {
    const ids = [
      ...new Set(request.pregnancies.map((p) => p.gradedAtInstitutionId.toLowerCase()).filter((id) => id !== '')),
    ];
    const levels = new Map<string, string | undefined>();
    for (const id of ids) {
      if (!/^[0-9a-f-]{36}$/.test(id)) continue;
      levels.set(id, await this.identity.institutionLevel(id).catch(() => undefined));
    }
    return levels;
  }

  private pregnancyRows(
    item: ImportedPregnancy,
    gradingLevels: ReadonlyMap<string, string | undefined>,
    today: string,
    author: Author,
  ): PatientRows {
    const violations = new Violations();
    const patientId = violations.check(() => requireId(item.patientId, 'patientId'));
    const institutionId = violations.check(() => requireId(item.institutionId, 'institutionId'));
    if (!item.countyCode.trim()) violations.add('countyCode', 'is required (the county she lives in)');
    if (item.maternalBirthDate) violations.check(() => parseIsoDate(item.maternalBirthDate, 'maternalBirthDate'));
    const registration = violations.check(() =>
      checkPregnancyRegistration(
        {
          lmp: item.lmp,
          registeredOn: item.registeredOn,
          prePregnancyWeightKg: item.prePregnancyWeightKg,
          heightCm: item.heightCm,
          findings: item.findings,
        },
        today,
      ),
    );
    const gradedAt = item.gradedAtInstitutionId.toLowerCase();
    if (gradedAt) {
      const level = gradingLevels.get(gradedAt);
      if (level !== 'county' && level !== 'prefecture')
        violations.add(
          'gradedAtInstitutionId',
          'must be a county (二级) or prefecture institution: township institutions screen',
        );
    }
    const visits = item.visits.map((visit, index) =>
      violations.check(() =>
        withFieldPrefix(`visits[${index}].`, () => {
          const checked = checkVisit(
            { ...visit, labs: visit.labs },
            { lmp: registration?.lmp ?? item.lmp, active: true },
            today,
          );
          return { input: visit, checked, institutionId: requireId(visit.institutionId, 'institutionId') };
        }),
      ),
    );
    violations.throwIfAny();
    const reg = registration as NonNullable<typeof registration>;
    const patient = patientId as string;
    const pregnancyId = randomUUID();
    const base = {
      maternalBirthDate: item.maternalBirthDate || undefined,
      edd: reg.edd,
      prePregnancyBmi: reg.prePregnancyBmi,
      findings: reg.findings,
    };
    const ordered = (visits as NonNullable<(typeof visits)[number]>[]).sort((a, b) =>
      a.checked.visitDate.localeCompare(b.checked.visitDate),
    );
    const pictureVisits: Parameters<typeof pregnancyPicture>[1][number][] = [];
    const visitRows: CopyValue[][] = [];
    for (const visit of ordered) {
      const labs = visit.checked.labs.map((lab) => ({
        code: lab.code,
        result: lab.result,
        resultedOn: lab.resultedOn ?? visit.checked.visitDate,
      }));
      pictureVisits.push({
        visitDate: visit.checked.visitDate,
        systolicBp: visit.input.systolicBp,
        diastolicBp: visit.input.diastolicBp,
        haemoglobin: visit.input.haemoglobin,
        plateletCount: visit.input.plateletCount,
        proteinuria: visit.input.proteinuria,
        findings: visit.checked.findings,
        labs: labs,
      });
      // Each visit's screen reads her pregnancy as it stood with that visit, as the single path does.
      const screen = screenForGrading(
        this.access.ruleSetOn(visit.checked.visitDate),
        pregnancyPicture(base, pictureVisits),
      );
      visitRows.push([
        randomUUID(),
        pregnancyId,
        patient,
        visit.checked.visitDate,
        visit.checked.gestationalAgeDays,
        visit.institutionId,
        author.authorId,
        visit.input.systolicBp ?? null,
        visit.input.diastolicBp ?? null,
        visit.input.weightKg ?? null,
        visit.input.fundalHeightCm ?? null,
        visit.input.fetalHeartRate ?? null,
        visit.input.proteinuria,
        visit.input.haemoglobin ?? null,
        visit.input.plateletCount ?? null,
        [...visit.checked.findings],
        json(labs),
        screen.positive,
        screen.reasons.map((r) => r.ruleId),
        1,
      ]);
    }
    const lastDay = ordered[ordered.length - 1]?.checked.visitDate ?? reg.registeredOn;
    const ruleSet = this.access.ruleSetOn(lastDay);
    const picture = pregnancyPicture(base, pictureVisits);
    const screen = screenForGrading(ruleSet, picture);
    const care = new Set<string>([institutionId as string, ...ordered.map((visit) => visit.institutionId)]);
    const rows: PatientRows['rows'] = { visits: visitRows, assessments: [], riskEvents: [], highRiskCases: [] };
    let grade: { colour: string; beside: readonly string[]; inCase: boolean; at: string } | undefined;
    if (gradedAt) {
      const proposal = proposeRiskGrade(ruleSet, picture);
      const inCase = entersCaseManagement(ruleSet, proposal);
      const assessmentId = randomUUID();
      const at = noonInChina(lastDay);
      grade = { colour: proposal.colour, beside: proposal.besideColours, inCase, at };
      care.add(gradedAt);
      rows.assessments?.push([
        assessmentId,
        pregnancyId,
        patient,
        'grade',
        lastDay,
        ruleSet.id,
        proposal.colour,
        [...proposal.besideColours],
        json(
          proposal.firedRules.map((rule) => ({
            ruleId: rule.ruleId,
            colour: rule.colour,
            labelZh: rule.label.zh,
            labelEn: rule.label.en,
          })),
        ),
        [...proposal.unassessedMetrics],
        proposal.colour,
        [...proposal.besideColours],
        false,
        screen.positive,
        inCase,
        author.authorId,
        gradedAt,
        1,
        at,
      ]);
      rows.riskEvents?.push([
        patient,
        pregnancyId,
        assessmentId,
        proposal.colour,
        [...proposal.besideColours],
        inCase,
        item.countyCode.trim(),
        gradedAt,
        at,
      ]);
      if (inCase)
        rows.highRiskCases?.push([
          pregnancyId,
          patient,
          item.countyCode.trim(),
          proposal.colour,
          [...proposal.besideColours],
          at,
          at,
        ]);
    }
    rows.pregnancies = [
      [
        pregnancyId,
        patient,
        item.countyCode.trim(),
        item.maternalBirthDate || null,
        reg.lmp,
        reg.edd,
        reg.datingMethod,
        reg.registeredOn,
        reg.gestationalAgeDays,
        institutionId,
        author.authorId,
        reg.prePregnancyBmi ?? null,
        [...reg.findings],
        grade?.colour ?? '',
        [...(grade?.beside ?? [])],
        grade?.at ?? null,
        screen.positive,
        screen.reasons.map((r) => r.ruleId),
        grade?.inCase ?? false,
        1,
      ],
    ];
    const counts = {
      pregnancies: 1,
      visits: visitRows.length,
      riskGrades: grade ? 1 : 0,
      highRiskCases: grade?.inCase ? 1 : 0,
    };
    return this.withVersion(patient, rows, counts, care, reg.registeredOn, author);
  }

  private childRows(item: ImportedChild, today: string, author: Author): PatientRows {
    const violations = new Violations();
    const patientId = violations.check(() => requireId(item.patientId, 'patientId'));
    const motherId = item.motherPatientId
      ? violations.check(() => requireId(item.motherPatientId, 'motherPatientId'))
      : undefined;
    const birthDate = violations.check(() => checkChildDate(item.birthDate, 'birthDate', '1900-01-01', today));
    if (item.sex !== ChildSex.CHILD_SEX_FEMALE && item.sex !== ChildSex.CHILD_SEX_MALE)
      violations.add('sex', 'must be female or male (growth references are by sex)');
    if (!item.countyCode.trim()) violations.add('countyCode', 'is required (the county the child lives in)');
    violations.throwIfAny();
    const child = {
      patient_id: patientId as string,
      birth_date: birthDate as string,
      sex: item.sex === ChildSex.CHILD_SEX_FEMALE ? ('female' as const) : ('male' as const),
    };
    const checkSchedule = scheduleInForce(
      this.access.reference.schedules,
      'cn-bphs-child-health',
      child.birth_date,
      'birthDate',
    );
    // Looked up only for a child with doses, as the single path looks it up only when a dose is recorded.
    const doseSchedule =
      item.immunizations.length > 0
        ? scheduleForChild(this.access.reference.schedules, 'cn-nip', child.birth_date, 'birthDate')
        : undefined;
    const growth: CopyValue[][] = [];
    const checks: CopyValue[][] = [];
    const immunizations: CopyValue[][] = [];
    const care = new Set<string>();
    for (const [index, check] of item.checks.entries()) {
      withFieldPrefix(`checks[${index}].`, () => {
        const institutionId = requireId(check.institutionId, 'institutionId');
        const checkedOn = checkChildDate(check.checkedOn, 'checkedOn', child.birth_date, today);
        const { service } = checkChildCheck(
          {
            service: check.service,
            development: check.development,
            feeding: check.feeding,
            haemoglobin: check.haemoglobin,
            notes: '',
          },
          checkSchedule,
        );
        let growthId: string | null = null;
        if (check.growth) {
          const measured = measureGrowth(
            this.access.reference.growthStandards,
            child,
            checkedOn,
            check.growth,
            { institutionId, authorId: author.authorId },
            'growth.',
          );
          growthId = randomUUID();
          growth.push([
            growthId,
            child.patient_id,
            measured.measured_on,
            measured.age_days,
            measured.weight_kg,
            measured.length_height_cm,
            measured.position,
            measured.head_circumference_cm,
            json(measured.z_scores),
            institutionId,
            author.authorId,
            1,
          ]);
        }
        care.add(institutionId);
        checks.push([
          randomUUID(),
          child.patient_id,
          service,
          checkedOn,
          ageInDays(child.birth_date, checkedOn),
          check.development,
          check.feeding,
          check.haemoglobin ?? null,
          growthId,
          institutionId,
          author.authorId,
          1,
        ]);
      });
    }
    const doses = new Set<string>();
    for (const [index, dose] of item.immunizations.entries()) {
      withFieldPrefix(`immunizations[${index}].`, () => {
        const institutionId = requireId(dose.institutionId, 'institutionId');
        const givenOn = checkChildDate(dose.givenOn, 'givenOn', child.birth_date, today);
        const programmeVaccine = programmeVaccineOf(
          doseSchedule as NonNullable<typeof doseSchedule>,
          dose.vaccine.trim(),
          dose.dose,
        );
        if (dose.lotNumber.length > 50) throw InvalidArgumentError.field('lotNumber', 'must be at most 50 characters');
        // A dose of a programme vaccine is given once (the table's unique key would refuse the whole batch).
        if (doses.has(`${programmeVaccine}:${dose.dose}`))
          throw InvalidArgumentError.field('dose', `${programmeVaccine} dose ${dose.dose} appears twice`);
        doses.add(`${programmeVaccine}:${dose.dose}`);
        care.add(institutionId);
        immunizations.push([
          randomUUID(),
          child.patient_id,
          dose.vaccine.trim(),
          programmeVaccine,
          dose.dose,
          givenOn,
          dose.lotNumber.trim(),
          institutionId,
          author.authorId,
          1,
        ]);
      });
    }
    const rows: PatientRows['rows'] = {
      children: [[child.patient_id, motherId ?? null, child.birth_date, child.sex, item.countyCode.trim()]],
      growth,
      checks,
      immunizations,
    };
    const counts = {
      children: 1,
      checks: checks.length,
      growthMeasurements: growth.length,
      immunizations: immunizations.length,
    };
    return this.withVersion(child.patient_id, rows, counts, care, child.birth_date, author);
  }

  /** Version 1 of the record (what was imported, never clinical content) and its treating team. */
  private withVersion(
    patientId: string,
    rows: PatientRows['rows'],
    counts: PatientRows['counts'],
    care: ReadonlySet<string>,
    since: string,
    author: Author,
  ): PatientRows {
    const institution = [...care][0] ?? '';
    return {
      patientId,
      rows: {
        ...rows,
        versions: [
          [patientId, 1, 'import', author.authorId, institution, 'bulk import', author.requestId, json(counts)],
        ],
        careInstitutions: [...care].map((id) => [patientId, id, noonInChina(since)]),
      },
      counts,
    };
  }
}
