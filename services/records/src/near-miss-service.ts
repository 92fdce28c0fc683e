// Maternal near miss (WHO 2011): recorded on a pregnancy by her treating staff as a record write (a new record version,
// idempotent under its key, audited, the statistics facts in the same transaction), one per pregnancy; read by those
// who may read her record.
import { randomUUID } from 'node:crypto';
import { recordAudit } from '../../common/src/audit';
import { FailedPreconditionError } from '../../common/src/errors';
import type { CallContext } from '../../common/src/grpc/context';
import { runIdempotent, scopeFromContext } from '../../common/src/idempotency';
import type { PoolClient } from '../../common/src/pg/database';
import {
  GetMaternalNearMissRequest,
  GetMaternalNearMissResponse,
  MaternalNearMiss,
  RecordMaternalNearMissRequest,
  RecordMaternalNearMissResponse,
} from '../../common/src/gen/mch/records/v1/records';
import { RecordAccess, requireId } from './access';
import { checkNearMiss, NearMissCriteria, todayInChina } from './domain';
import { storedAnswer } from './replay';
import { classifyWriteText } from './text-sensitivity';

type Queryable = Pick<PoolClient, 'query'>;

interface NearMissRow {
  id: string;
  patient_id: string;
  pregnancy_id: string;
  event_date: string;
  criteria: string[];
  county_code: string;
  reporting_institution_id: string | null;
  reported_by: string;
  reported_at: Date;
}

const COLUMNS = `id, patient_id, pregnancy_id, event_date::text, criteria, county_code, reporting_institution_id, reported_by, reported_at`;

async function nearMissOf(target: Queryable, pregnancyId: string): Promise<NearMissRow | undefined> {
  const { rows } = await target.query<NearMissRow>(
    `SELECT ${COLUMNS} FROM maternal_near_misses WHERE pregnancy_id = $1`,
    [pregnancyId],
  );
  return rows[0];
}

export class NearMissService {
  constructor(
    private readonly access: RecordAccess,
    private readonly criteria: NearMissCriteria,
  ) {}

  private get db() {
    return this.access.db;
  }

  private toMessage(row: NearMissRow): MaternalNearMiss {
    return {
      id: row.id,
      patientId: row.patient_id,
      pregnancyId: row.pregnancy_id,
      eventDate: row.event_date,
      criteria: row.criteria.flatMap((code) => {
        const criterion = this.criteria.criteria.get(code);
        return criterion ? [{ ...criterion }] : [{ code, system: '', type: '', en: '', zh: '' }];
      }),
      county: row.county_code,
      reportingInstitutionId: row.reporting_institution_id ?? '',
      reportedBy: row.reported_by,
      reportedAt: row.reported_at,
      criteriaListId: this.criteria.id,
    };
  }

  async recordMaternalNearMiss(
    request: RecordMaternalNearMissRequest,
    ctx: CallContext,
  ): Promise<RecordMaternalNearMissResponse> {
    const bytes = RecordMaternalNearMissRequest.encode(request).finish();
    const replay = await storedAnswer(this.db, ctx, bytes, RecordMaternalNearMissResponse);
    if (replay) return replay;
    const pregnancy = await this.access.repository.requirePregnancy(requireId(request.pregnancyId, 'pregnancyId'));
    const patientId = pregnancy.patient_id;
    await this.access.allowWrite(ctx, patientId, 'record.near-miss');
    const delivery = await this.access.repository.delivery(this.db.rw, pregnancy.id);
    const checked = checkNearMiss(
      { eventDate: request.eventDate, criteria: request.criteria.map((code) => code.trim()) },
      { lmp: pregnancy.lmp, endDate: delivery?.delivery_date },
      this.criteria,
      todayInChina(),
    );
    return runIdempotent(this.db, scopeFromContext(ctx), bytes, RecordMaternalNearMissResponse, async (tx) => {
      const change = await this.access.repository.beginChange(tx, patientId, request.expectedVersion);
      if (await nearMissOf(tx, pregnancy.id))
        throw new FailedPreconditionError('a near miss is already recorded for this pregnancy', 'NEAR_MISS_RECORDED');
      const { rows: died } = await tx.query('SELECT 1 FROM death_reports WHERE pregnancy_id = $1', [pregnancy.id]);
      if (died.length > 0)
        throw new FailedPreconditionError(
          'a maternal death is reported for this pregnancy: a near miss is a woman who survived',
          'MATERNAL_DEATH_REPORTED',
        );
      const { rows } = await tx.query<NearMissRow>(
        `INSERT INTO maternal_near_misses (id, patient_id, pregnancy_id, event_date, criteria, county_code, reporting_institution_id, reported_by, record_version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${COLUMNS}`,
        [
          randomUUID(),
          patientId,
          pregnancy.id,
          checked.eventDate,
          checked.criteria,
          pregnancy.county_code,
          ctx.principal?.institutionId ?? null,
          ctx.caller,
          change.version,
        ],
      );
      const row = rows[0] as NearMissRow;
      const text = await classifyWriteText(
        tx,
        ctx,
        patientId,
        'near_miss',
        { reason: request.reason },
        { accompaniesSensitiveFact: false, authorMarkedNotSensitive: false },
      );
      await this.access.repository.commitChange(change, ctx, {
        change: 'near-miss',
        entityId: row.id,
        reason: request.reason,
        reasonSensitivity: text.reason,
        summary: { criteria: checked.criteria },
      });
      await recordAudit(tx, ctx, { patientId, action: 'record.near-miss', outcome: 'allowed' });
      return { nearMiss: this.toMessage(row), recordVersion: change.version };
    });
  }

  async getMaternalNearMiss(
    request: GetMaternalNearMissRequest,
    ctx: CallContext,
  ): Promise<GetMaternalNearMissResponse> {
    const pregnancy = await this.access.repository.requirePregnancy(requireId(request.pregnancyId, 'pregnancyId'));
    await this.access.allowRead(ctx, pregnancy.patient_id, 'record.near-miss.read');
    const row = await nearMissOf(this.db.rw, pregnancy.id);
    await recordAudit(this.db, ctx, {
      patientId: pregnancy.patient_id,
      action: 'record.near-miss.read',
      outcome: 'allowed',
    });
    // None recorded is an answer, not an error: the pregnancy exists and she had no near miss.
    return row ? { nearMiss: this.toMessage(row) } : {};
  }
}
