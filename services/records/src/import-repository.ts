// SQL of records' bulk import: whole new records written with COPY, table by table, inside the batch's transaction.
import { copyRows, CopyValue } from '../../common/src/pg/copy';
import type { PoolClient } from '../../common/src/pg/database';

/** Every row of one batch, by table, in each table's column order below. */
export interface ImportRows {
  readonly versions: CopyValue[][];
  readonly careInstitutions: CopyValue[][];
  readonly pregnancies: CopyValue[][];
  readonly visits: CopyValue[][];
  readonly assessments: CopyValue[][];
  readonly riskEvents: CopyValue[][];
  readonly highRiskCases: CopyValue[][];
  readonly children: CopyValue[][];
  readonly growth: CopyValue[][];
  readonly checks: CopyValue[][];
  readonly immunizations: CopyValue[][];
}

export const IMPORT_COLUMNS = {
  versions: ['patient_id', 'version', 'change', 'author_id', 'institution_id', 'reason', 'request_id', 'entry'],
  careInstitutions: ['patient_id', 'institution_id', 'first_at'],
  pregnancies: [
    'id',
    'patient_id',
    'county_code',
    'maternal_birth_date',
    'lmp',
    'edd',
    'dating_method',
    'registered_on',
    'registered_ga_days',
    'registered_at',
    'registered_by',
    'pre_pregnancy_bmi',
    'findings',
    'risk_colour',
    'risk_beside',
    'risk_graded_at',
    'screen_positive',
    'screen_reasons',
    'in_case_management',
    'record_version',
  ],
  visits: [
    'id',
    'pregnancy_id',
    'patient_id',
    'visit_date',
    'ga_days',
    'institution_id',
    'author_id',
    'systolic_bp',
    'diastolic_bp',
    'weight_kg',
    'fundal_height_cm',
    'fetal_heart_rate',
    'proteinuria',
    'haemoglobin',
    'platelet_count',
    'findings',
    'labs',
    'screen_positive',
    'screen_reasons',
    'record_version',
  ],
  assessments: [
    'id',
    'pregnancy_id',
    'patient_id',
    'kind',
    'assessed_on',
    'rule_set_id',
    'proposed_colour',
    'proposed_beside',
    'fired_rules',
    'unassessed_metrics',
    'colour',
    'beside_colours',
    'overrides_proposal',
    'screen_positive',
    'in_case_management',
    'assessor_id',
    'institution_id',
    'record_version',
    'recorded_at',
  ],
  riskEvents: [
    'patient_id',
    'pregnancy_id',
    'assessment_id',
    'colour',
    'beside_colours',
    'in_case_management',
    'county_code',
    'institution_id',
    'occurred_at',
  ],
  highRiskCases: ['pregnancy_id', 'patient_id', 'county_code', 'colour', 'beside_colours', 'opened_at', 'updated_at'],
  children: ['patient_id', 'mother_patient_id', 'birth_date', 'sex', 'county_code'],
  growth: [
    'id',
    'patient_id',
    'measured_on',
    'age_days',
    'weight_kg',
    'length_height_cm',
    'position',
    'head_circumference_cm',
    'z_scores',
    'institution_id',
    'author_id',
    'record_version',
  ],
  checks: [
    'id',
    'patient_id',
    'service',
    'checked_on',
    'age_days',
    'development',
    'feeding',
    'haemoglobin',
    'growth_measurement_id',
    'institution_id',
    'author_id',
    'record_version',
  ],
  immunizations: [
    'id',
    'patient_id',
    'vaccine',
    'programme_vaccine',
    'dose',
    'given_on',
    'lot_number',
    'institution_id',
    'author_id',
    'record_version',
  ],
} as const satisfies Record<keyof ImportRows, readonly string[]>;

/** Table of each kind of row, in the order foreign keys need them written. */
const TABLES: ReadonlyArray<readonly [keyof ImportRows, string]> = [
  ['versions', 'record_versions'],
  ['careInstitutions', 'care_institutions'],
  ['pregnancies', 'pregnancies'],
  ['visits', 'antenatal_visits'],
  ['assessments', 'risk_assessments'],
  ['riskEvents', 'risk_events'],
  ['highRiskCases', 'high_risk_cases'],
  ['children', 'children'],
  ['growth', 'growth_measurements'],
  ['checks', 'child_checks'],
  ['immunizations', 'immunizations'],
];

export class RecordImportRepository {
  /** `statistics`: builds the imported patients' statistics facts in the batch's transaction, in bulk. */
  constructor(
    private readonly statistics?: { refresh(tx: PoolClient, patientIds: readonly string[]): Promise<void> },
  ) {}

  /**
   * Creates the records of the patients that have none, at version 1, and returns their ids: the others are left
   * alone. The insert takes the new rows' locks, so a concurrent import of the same patient waits, then skips them.
   */
  async claimNewRecords(tx: PoolClient, patientIds: readonly string[]): Promise<Set<string>> {
    const { rows } = await tx.query<{ patient_id: string }>(
      `INSERT INTO patient_records (patient_id, version) SELECT unnest($1::uuid[]), 1 ON CONFLICT (patient_id) DO NOTHING RETURNING patient_id::text`,
      [patientIds],
    );
    return new Set(rows.map((row) => row.patient_id));
  }

  async write(tx: PoolClient, rows: ImportRows, patientIds: readonly string[] = []): Promise<void> {
    for (const [kind, table] of TABLES) {
      if (rows[kind].length > 0) await copyRows(tx, table, IMPORT_COLUMNS[kind], rows[kind]);
    }
    await this.statistics?.refresh(tx, patientIds);
  }
}
