// SQL for the object store's own tables (migrations/002_objects.sql).
import type { Database, PoolClient } from '../../../common/src/pg/database';
import type { StoredObject } from '../../../common/src/gen/mch/replication/v1/replication';
import { formatReference, ObjectReference } from '../domain/objects';

export type CopyState = 'verified' | 'missing' | 'corrupt';

type Queryable = Pick<PoolClient, 'query'>;

interface ObjectRow {
  id: string;
  size: string;
  content_type: string;
  uploaded_by: string;
  created_at: Date;
  refs: string[] | null;
  copies: string[] | null;
}

export interface ObjectRecord {
  readonly object: StoredObject;
  readonly references: ObjectReference[];
  /** Zone -> copy state. */
  readonly copies: ReadonlyMap<string, CopyState>;
}

const SELECT_OBJECT = `
  SELECT o.id, o.size::text AS size, o.content_type, o.uploaded_by, o.created_at,
         (SELECT array_agg(r.kind || ':' || r.target_id ORDER BY r.added_at) FROM object_references r WHERE r.object_id = o.id) AS refs,
         (SELECT array_agg(c.zone || '=' || c.state ORDER BY c.zone) FROM object_copies c WHERE c.object_id = o.id) AS copies
  FROM objects o WHERE o.id = $1`;

function toRecord(row: ObjectRow, zones: readonly string[]): ObjectRecord {
  const copies = new Map<string, CopyState>();
  for (const entry of row.copies ?? []) {
    const [zone, state] = entry.split('=');
    if (zone && state) copies.set(zone, state as CopyState);
  }
  const verified = zones.filter((zone) => copies.get(zone) === 'verified');
  const references = (row.refs ?? []).map((ref) => {
    const at = ref.indexOf(':');
    return { kind: ref.slice(0, at) as ObjectReference['kind'], id: ref.slice(at + 1) };
  });
  return {
    object: {
      id: row.id,
      sha256: row.id,
      size: row.size,
      contentType: row.content_type,
      references: references.map(formatReference),
      uploadedBy: row.uploaded_by,
      createdAt: row.created_at,
      zones: verified,
      exposed: verified.length < zones.length,
    },
    references,
    copies,
  };
}

export type LeaseName = 'scan' | 'repair';

export class ObjectRepository {
  constructor(
    private readonly db: Database,
    private readonly zones: readonly string[],
  ) {}

  /**
   * Takes or renews the lease for `ms`: true when this holder has it now (it was free, expired, or already its own),
   * false while another replica holds it. The database's clock decides, so replicas' clocks need not agree.
   */
  async takeLease(name: LeaseName, holder: string, ms: number): Promise<boolean> {
    const { rowCount } = await this.db.rw.query(
      `INSERT INTO object_store_leases (name, holder, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond')
       ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
       WHERE object_store_leases.expires_at <= now() OR object_store_leases.holder = EXCLUDED.holder`,
      [name, holder, Math.max(1, Math.round(ms))],
    );
    return rowCount === 1;
  }

  async find(id: string, target: Queryable = this.db.rw): Promise<ObjectRecord | undefined> {
    const { rows } = await target.query<ObjectRow>(SELECT_OBJECT, [id]);
    return rows[0] ? toRecord(rows[0], this.zones) : undefined;
  }

  /**
   * Records an upload: the object (first upload's type and uploader kept), its reference, and each zone's copy —
   * verified where the agent acknowledged it, missing elsewhere unless a verified copy was already known.
   */
  async recordUpload(
    tx: PoolClient,
    upload: {
      id: string;
      size: number;
      contentType: string;
      uploadedBy: string;
      reference: ObjectReference;
      storedIn: readonly string[];
    },
  ): Promise<ObjectRecord> {
    await tx.query(
      `INSERT INTO objects (id, size, content_type, uploaded_by) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`,
      [upload.id, upload.size, upload.contentType, upload.uploadedBy],
    );
    await tx.query(
      `INSERT INTO object_references (object_id, kind, target_id, added_by) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
      [upload.id, upload.reference.kind, upload.reference.id, upload.uploadedBy],
    );
    for (const zone of this.zones) {
      if (upload.storedIn.includes(zone)) await this.setCopy(tx, upload.id, zone, 'verified');
      else
        await tx.query(
          `INSERT INTO object_copies (object_id, zone, state) VALUES ($1, $2, 'missing') ON CONFLICT DO NOTHING`,
          [upload.id, zone],
        );
    }
    const record = await this.find(upload.id, tx);
    if (!record) throw new Error(`object ${upload.id} vanished inside its own transaction`);
    return record;
  }

  async setCopy(target: Queryable, id: string, zone: string, state: CopyState): Promise<void> {
    await target.query(
      `INSERT INTO object_copies (object_id, zone, state, checked_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (object_id, zone) DO UPDATE SET state = EXCLUDED.state, checked_at = now()`,
      [id, zone, state],
    );
  }

  /** Copies in `zones` waiting for repair, oldest check first. */
  async unverifiedCopies(
    zones: readonly string[],
    limit: number,
  ): Promise<Array<{ id: string; zone: string; state: CopyState; size: string }>> {
    return this.db.query(
      `SELECT c.object_id AS id, c.zone, c.state, o.size::text AS size FROM object_copies c JOIN objects o ON o.id = c.object_id
       WHERE c.state <> 'verified' AND c.zone = ANY($1) ORDER BY c.checked_at LIMIT $2`,
      [zones, limit],
    );
  }

  async zonesWithVerifiedCopy(id: string): Promise<string[]> {
    const rows = await this.db.query<{ zone: string }>(
      `SELECT zone FROM object_copies WHERE object_id = $1 AND state = 'verified' ORDER BY zone`,
      [id],
    );
    return rows.map((row) => row.zone);
  }

  /** Which of `ids` name an object. */
  async existing(ids: readonly string[]): Promise<Set<string>> {
    const rows = await this.db.query<{ id: string }>(`SELECT id FROM objects WHERE id = ANY($1)`, [ids]);
    return new Set(rows.map((row) => row.id));
  }

  /** Objects in id order after `after`, for the scan. */
  async page(after: string, limit: number): Promise<Array<{ id: string; size: string }>> {
    return this.db.query(`SELECT id, size::text AS size FROM objects WHERE id > $1 ORDER BY id LIMIT $2`, [
      after,
      limit,
    ]);
  }

  async counts(): Promise<{ objects: number; exposed: number; missingByZone: Map<string, number> }> {
    const [totals] = await this.db.query<{ objects: string; exposed: string }>(
      `SELECT (SELECT count(*) FROM objects)::text AS objects,
              (SELECT count(DISTINCT object_id) FROM object_copies WHERE state <> 'verified')::text AS exposed`,
    );
    const byZone = await this.db.query<{ zone: string; missing: string }>(
      `SELECT zone, count(*)::text AS missing FROM object_copies WHERE state <> 'verified' GROUP BY zone`,
    );
    return {
      objects: Number(totals?.objects ?? 0),
      exposed: Number(totals?.exposed ?? 0),
      missingByZone: new Map(byZone.map((row) => [row.zone, Number(row.missing)])),
    };
  }

  async recordScan(scan: {
    startedAt: Date;
    checked: number;
    missing: number;
    corrupt: number;
    repaired: number;
  }): Promise<void> {
    await this.db.query(
      `INSERT INTO object_scans (started_at, checked, missing, corrupt, repaired) VALUES ($1, $2, $3, $4, $5)`,
      [scan.startedAt, scan.checked, scan.missing, scan.corrupt, scan.repaired],
    );
  }

  async lastScan(): Promise<{ finishedAt: Date; checked: number; repaired: number } | undefined> {
    const [row] = await this.db.query<{ finished_at: Date; checked: string; repaired: string }>(
      `SELECT finished_at, checked::text, repaired::text FROM object_scans ORDER BY id DESC LIMIT 1`,
    );
    return row
      ? { finishedAt: row.finished_at, checked: Number(row.checked), repaired: Number(row.repaired) }
      : undefined;
  }
}
