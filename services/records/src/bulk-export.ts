// FHIR Bulk Data $export (issue 24 §2): jobs kept in records' own tables (migration 012), started, polled and
// cancelled through records' gRPC API, and worked by a leased background pass in this service that walks the
// patients of the job's scope in patient-id order on the read-only pool (the standby), maps each record with the
// shared FHIR mappers, and appends NDJSON parts and the job's cursors in one transaction per batch: a restarted
// service, or another replica once the lease has run out, resumes after the last patient a batch committed.
import { randomUUID } from 'node:crypto';
import { actorOf, enforce, recordAuditsAs, type AuditActor } from '../../common/src/audit';
import { canExportBulk } from '../../common/src/auth/policy';
import {
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  ResourceExhaustedError,
} from '../../common/src/errors';
import { isRecordResourceType, recordResources, RECORD_RESOURCE_TYPES } from '../../common/src/fhir/record-resources';
import {
  BulkExportStatus,
  CancelBulkExportRequest,
  CancelBulkExportResponse,
  GetBulkExportRequest,
  GetBulkExportResponse,
  ReadBulkExportFileRequest,
  ReadBulkExportFileResponse,
  StartBulkExportRequest,
  StartBulkExportResponse,
} from '../../common/src/gen/mch/records/v1/records';
import type { CallContext } from '../../common/src/grpc/context';
import { runIdempotent, scopeFromContext } from '../../common/src/idempotency';
import type { Logger } from '../../common/src/logger';
import type { PoolClient } from '../../common/src/pg/database';
import type { RecordAccess } from './access';
import { requireId } from './access';
import { todayInChina } from './domain';
import { assembleRecord } from './read-service';

export interface BulkExportLimits {
  /** Queued or running exports one client may have at once; one more is RESOURCE_EXHAUSTED (HTTP 429). */
  readonly maxConcurrentPerClient: number;
  /** Resources in one NDJSON file; a type with more is split into further files. */
  readonly maxResourcesPerFile: number;
  /** How long a finished job's files stay downloadable. */
  readonly retentionMs: number;
  /** Patients read per batch (one transaction of parts and cursors). */
  readonly batchPatients: number;
  /** How long a worker holds a job without renewing (a dead worker's job is resumed after this). */
  readonly leaseMs: number;
}

export const DEFAULT_BULK_EXPORT_LIMITS: BulkExportLimits = {
  maxConcurrentPerClient: 2,
  maxResourcesPerFile: 10_000,
  retentionMs: 24 * 3600_000,
  batchPatients: 100,
  leaseMs: 30_000,
};

/** Where one type's output stands: the file being filled, its next part and how many resources it holds. */
interface TypeCursor {
  fileIndex: number;
  partIndex: number;
  inFile: number;
}

interface Cursors {
  /** The last patient whose resources of every type were committed (one pass over patients writes every type). */
  afterPatient: string | null;
  types: Record<string, TypeCursor>;
}

interface JobRow {
  id: string;
  client_id: string;
  level: 'system' | 'group';
  county_code: string;
  resource_types: string[];
  since: Date | null;
  request_url: string;
  status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
  cursors: Cursors;
  patients_total: number;
  patients_done: number;
  error: string;
  transaction_time: Date;
  expires_at: Date;
  actor: AuditActor & { purpose?: string };
  start_lsn: string;
  request_id: string;
}

const STATUS: Readonly<Record<JobRow['status'], BulkExportStatus>> = {
  queued: BulkExportStatus.BULK_EXPORT_STATUS_QUEUED,
  running: BulkExportStatus.BULK_EXPORT_STATUS_RUNNING,
  completed: BulkExportStatus.BULK_EXPORT_STATUS_COMPLETED,
  failed: BulkExportStatus.BULK_EXPORT_STATUS_FAILED,
  cancelled: BulkExportStatus.BULK_EXPORT_STATUS_CANCELLED,
};

/** The types a bulk export writes: the record's resource types (Patient demographics are identity's). */
export const EXPORT_TYPES: readonly string[] = RECORD_RESOURCE_TYPES;

/** Who a job belongs to: the token's subject (a client's jobs are its own; nobody else polls or downloads them). */
function clientOf(ctx: CallContext): string {
  return ctx.principal?.subject ?? 'anonymous';
}

/** The patients of a job's scope after a cursor, committed by `transaction_time`, changed after `since`. */
const SCOPE_PATIENTS = `
  SELECT r.patient_id::text AS patient_id FROM patient_records r
  WHERE ($1::uuid IS NULL OR r.patient_id > $1::uuid)
    AND r.updated_at <= $2 AND ($3::timestamptz IS NULL OR r.updated_at > $3)
    AND ($4 = '' OR EXISTS (SELECT 1 FROM pregnancies p WHERE p.patient_id = r.patient_id AND p.county_code = $4)
                 OR EXISTS (SELECT 1 FROM children c WHERE c.patient_id = r.patient_id AND c.county_code = $4))
  ORDER BY r.patient_id LIMIT $5`;

const SCOPE_COUNT = `
  SELECT count(*)::int AS n FROM patient_records r
  WHERE r.updated_at <= $1 AND ($2::timestamptz IS NULL OR r.updated_at > $2)
    AND ($3 = '' OR EXISTS (SELECT 1 FROM pregnancies p WHERE p.patient_id = r.patient_id AND p.county_code = $3)
                 OR EXISTS (SELECT 1 FROM children c WHERE c.patient_id = r.patient_id AND c.county_code = $3))`;

export class BulkExportService {
  constructor(
    private readonly access: RecordAccess,
    private readonly limits: BulkExportLimits = DEFAULT_BULK_EXPORT_LIMITS,
  ) {}

  private get db() {
    return this.access.db;
  }

  async start(request: StartBulkExportRequest, ctx: CallContext): Promise<StartBulkExportResponse> {
    const county = request.county.trim().toLowerCase();
    if (county && !/^[a-z][a-z-]{1,30}$/.test(county))
      throw InvalidArgumentError.field('county', 'must be a county code, e.g. lufeng');
    const types = request.resourceTypes.length > 0 ? [...new Set(request.resourceTypes)] : [...EXPORT_TYPES];
    for (const type of types)
      if (!isRecordResourceType(type))
        throw InvalidArgumentError.field('resourceTypes', `${type} is not a type this server exports`);
    if (request.since && request.since.getTime() > Date.now())
      throw InvalidArgumentError.field('since', 'lies in the future');
    await enforce(this.db, ctx, canExportBulk(ctx.principal, county), '', 'fhir.bulk-export.start');
    const client = clientOf(ctx);
    return runIdempotent(
      this.db,
      scopeFromContext(ctx),
      StartBulkExportRequest.encode(request).finish(),
      StartBulkExportResponse,
      async (tx) => {
        // The client's open jobs, counted under a lock on the client's key so two kick-offs cannot both pass.
        await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`fhir-export:${client}`]);
        const { rows } = await tx.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM fhir_export_jobs WHERE client_id = $1 AND status IN ('queued', 'running')`,
          [client],
        );
        if ((rows[0]?.n ?? 0) >= this.limits.maxConcurrentPerClient)
          throw new ResourceExhaustedError(
            `at most ${this.limits.maxConcurrentPerClient} exports of one client run at once; wait for one or cancel it`,
            'EXPORT_LIMIT',
          );
        const id = randomUUID();
        const cursors: Cursors = {
          afterPatient: null,
          types: Object.fromEntries(types.map((type) => [type, { fileIndex: 0, partIndex: 0, inFile: 0 }])),
        };
        await tx.query(
          `INSERT INTO fhir_export_jobs (id, client_id, level, county_code, resource_types, since, request_url, status,
             cursors, transaction_time, start_lsn, expires_at, actor, request_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, now(), pg_current_wal_lsn(),
                   now() + $9 * interval '1 millisecond', $10, $11)`,
          [
            id,
            client,
            county ? 'group' : 'system',
            county,
            types,
            request.since ?? null,
            request.requestUrl,
            JSON.stringify(cursors),
            this.limits.retentionMs,
            JSON.stringify({ ...actorOf(ctx.principal), purpose: ctx.purpose ?? '' }),
            ctx.requestId,
          ],
        );
        return { jobId: id };
      },
    );
  }

  /** The caller's job, or NOT_FOUND (another client's job is not found either: ids are not disclosed). */
  private async ownJob(jobId: string, ctx: CallContext, tx?: PoolClient): Promise<JobRow> {
    const id = requireId(jobId, 'jobId');
    const { rows } = await (tx ?? this.db.rw).query<JobRow>(
      `SELECT * FROM fhir_export_jobs WHERE id = $1 AND expires_at > now()${tx ? ' FOR UPDATE' : ''}`,
      [id],
    );
    const job = rows[0];
    if (!job) throw new NotFoundError(`export ${id} is not known (or has expired)`);
    if (job.client_id !== clientOf(ctx)) {
      if (!ctx.principal) throw new NotFoundError(`export ${id} is not known (or has expired)`);
      throw new PermissionDeniedError('an export is read by the client that started it', 'NOT_YOUR_EXPORT');
    }
    return job;
  }

  async get(request: GetBulkExportRequest, ctx: CallContext): Promise<GetBulkExportResponse> {
    const job = await this.ownJob(request.jobId, ctx);
    const { rows } = await this.db.rw.query<{ resource_type: string; file_index: number; count: number }>(
      `SELECT resource_type, file_index, sum(resources)::int AS count FROM fhir_export_files WHERE job_id = $1
       GROUP BY resource_type, file_index HAVING sum(resources) > 0 ORDER BY resource_type, file_index`,
      [job.id],
    );
    return {
      jobId: job.id,
      status: STATUS[job.status],
      transactionTime: job.transaction_time,
      requestUrl: job.request_url,
      patientsDone: job.patients_done,
      patientsTotal: job.patients_total,
      files:
        job.status === 'completed'
          ? rows.map((row) => ({ resourceType: row.resource_type, fileIndex: row.file_index, count: row.count }))
          : [],
      error: job.error,
      expiresAt: job.expires_at,
    };
  }

  async cancel(request: CancelBulkExportRequest, ctx: CallContext): Promise<CancelBulkExportResponse> {
    await this.db.withTransaction(async (tx) => {
      const job = await this.ownJob(request.jobId, ctx, tx);
      // Idempotent by nature: cancelling a cancelled job again changes nothing.
      await tx.query(`UPDATE fhir_export_jobs SET status = 'cancelled', lease_owner = '' WHERE id = $1`, [job.id]);
      await tx.query('DELETE FROM fhir_export_files WHERE job_id = $1', [job.id]);
    });
    return {};
  }

  async readFile(request: ReadBulkExportFileRequest, ctx: CallContext): Promise<ReadBulkExportFileResponse> {
    const job = await this.ownJob(request.jobId, ctx);
    if (job.status !== 'completed') throw new NotFoundError('the export has no files (yet)');
    const { rows } = await this.db.ro.query<{ ndjson: string; more: boolean }>(
      `SELECT ndjson, EXISTS (SELECT 1 FROM fhir_export_files g WHERE g.job_id = f.job_id AND g.resource_type = f.resource_type
                AND g.file_index = f.file_index AND g.part_index > f.part_index) AS more
       FROM fhir_export_files f WHERE job_id = $1 AND resource_type = $2 AND file_index = $3 AND part_index = $4`,
      [job.id, request.resourceType, request.fileIndex, request.partIndex],
    );
    const part = rows[0];
    if (!part) throw new NotFoundError('no such file of this export');
    return { ndjson: part.ndjson, more: part.more };
  }
}

/** The background pass: claims one open job at a time under a lease and works it batch by batch. */
export class BulkExportWorker {
  /**
   * Stable across restarts of the same instance (host and port), so a restarted service resumes its own job at once;
   * another instance takes it over when the lease has run out.
   */
  private readonly owner: string;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly access: RecordAccess,
    private readonly logger: Logger,
    private readonly limits: BulkExportLimits = DEFAULT_BULK_EXPORT_LIMITS,
    instance: string,
    private readonly intervalMs = 500,
  ) {
    this.owner = `records@${instance}`;
  }

  private get db() {
    return this.access.db;
  }

  start(): void {
    const tick = (): void => {
      if (this.stopped) return;
      this.running = this.runOnce()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'bulk export pass failed; retried'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.intervalMs);
        });
    };
    this.timer = setTimeout(tick, this.intervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Expired jobs go; then one open job is claimed (or its own lease renewed) and worked to its end. */
  async runOnce(): Promise<void> {
    await this.db.rw.query('DELETE FROM fhir_export_jobs WHERE expires_at <= now()');
    const { rows } = await this.db.rw.query<JobRow>(
      `UPDATE fhir_export_jobs SET status = 'running', lease_owner = $1,
         lease_until = now() + $2 * interval '1 millisecond'
       WHERE id = (SELECT id FROM fhir_export_jobs WHERE status IN ('queued', 'running')
                     AND (lease_until IS NULL OR lease_until < now() OR lease_owner = $1)
                   ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [this.owner, this.limits.leaseMs],
    );
    const job = rows[0];
    if (!job) return;
    try {
      await this.work(job);
    } catch (error) {
      this.logger.error({ err: error, job: job.id }, 'bulk export failed');
      await this.db.rw.query(
        `UPDATE fhir_export_jobs SET status = 'failed', error = 'the export failed; start a new one' WHERE id = $1 AND lease_owner = $2`,
        [job.id, this.owner],
      );
    }
  }

  /** Whether the read-only pool has replayed the kick-off's WAL position (a primary behind it always has). */
  private async standbyCaughtUp(lsn: string): Promise<boolean> {
    const { rows } = await this.db.ro.query<{ ok: boolean }>(
      `SELECT CASE WHEN pg_is_in_recovery() THEN coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false) ELSE true END AS ok`,
      [lsn],
    );
    return rows[0]?.ok ?? false;
  }

  private async work(job: JobRow): Promise<void> {
    if (!(await this.standbyCaughtUp(job.start_lsn))) return;
    if (job.patients_total === 0 && job.cursors.afterPatient === null) {
      const { rows } = await this.db.ro.query<{ n: number }>(SCOPE_COUNT, [
        job.transaction_time,
        job.since,
        job.county_code,
      ]);
      job.patients_total = rows[0]?.n ?? 0;
      await this.db.rw.query('UPDATE fhir_export_jobs SET patients_total = $2 WHERE id = $1', [
        job.id,
        job.patients_total,
      ]);
    }
    const visibility = this.access.restrictedVisibility(todayInChina());
    const repository = this.access.repository;
    for (;;) {
      if (this.stopped) return;
      const { rows: patients } = await this.db.ro.query<{ patient_id: string }>(SCOPE_PATIENTS, [
        job.cursors.afterPatient,
        job.transaction_time,
        job.since,
        job.county_code,
        this.limits.batchPatients,
      ]);
      if (patients.length === 0) break;
      // One batch in memory: its patients' resources, type by type; written as one part per file touched.
      const lines = new Map<string, string[]>(job.resource_types.map((type) => [type, []]));
      const today = todayInChina();
      for (const { patient_id: patientId } of patients) {
        const record = assembleRecord(
          patientId,
          await repository.recordSnapshot(patientId, this.db.ro),
          visibility,
          today,
          this.access.reference.childHealth,
        );
        for (const type of job.resource_types) {
          if (!isRecordResourceType(type)) continue;
          const out = lines.get(type) as string[];
          for (const entry of recordResources(record, type)) out.push(JSON.stringify(entry.resource));
        }
      }
      const last = patients[patients.length - 1]?.patient_id ?? null;
      const committed = await this.db.withTransaction(async (tx) => {
        const { rows: held } = await tx.query<{ status: string }>(
          `SELECT status FROM fhir_export_jobs WHERE id = $1 AND lease_owner = $2 FOR UPDATE`,
          [job.id, this.owner],
        );
        // Cancelled meanwhile, or the lease was lost to another worker: stop without writing.
        if (held[0]?.status !== 'running') return false;
        for (const [type, typeLines] of lines) {
          const cursor = job.cursors.types[type] ?? { fileIndex: 0, partIndex: 0, inFile: 0 };
          let rest = typeLines;
          while (rest.length > 0) {
            const room = this.limits.maxResourcesPerFile - cursor.inFile;
            if (room <= 0) {
              cursor.fileIndex += 1;
              cursor.partIndex = 0;
              cursor.inFile = 0;
              continue;
            }
            const part = rest.slice(0, room);
            rest = rest.slice(room);
            await tx.query(
              `INSERT INTO fhir_export_files (job_id, resource_type, file_index, part_index, resources, ndjson)
               VALUES ($1, $2, $3, $4, $5, $6)`,
              [job.id, type, cursor.fileIndex, cursor.partIndex, part.length, part.join('\n') + '\n'],
            );
            cursor.partIndex += 1;
            cursor.inFile += part.length;
          }
          job.cursors.types[type] = cursor;
        }
        job.cursors.afterPatient = last;
        await tx.query(
          `UPDATE fhir_export_jobs SET cursors = $2, patients_done = patients_done + $3,
             lease_until = now() + $4 * interval '1 millisecond' WHERE id = $1`,
          [job.id, JSON.stringify(job.cursors), patients.length, this.limits.leaseMs],
        );
        await recordAuditsAs(
          tx,
          job.actor,
          job.actor.purpose ?? '',
          job.request_id,
          patients.map(({ patient_id }) => ({
            patientId: patient_id,
            action: 'fhir.bulk-export.non-sensitive',
            outcome: 'allowed' as const,
            reason: `bulk export ${job.id}`,
          })),
        );
        return true;
      });
      if (!committed) return;
    }
    await this.db.rw.query(
      `UPDATE fhir_export_jobs SET status = 'completed', completed_at = now(), lease_owner = '',
         expires_at = now() + $3 * interval '1 millisecond'
       WHERE id = $1 AND lease_owner = $2 AND status = 'running'`,
      [job.id, this.owner, this.limits.retentionMs],
    );
  }
}
