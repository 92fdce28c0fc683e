// SQL for accounts, refresh tokens and activation codes.
import { createHash, randomBytes } from 'node:crypto';
import type { RoleName } from '../../common/src/auth/principal';
import { AlreadyExistsError } from '../../common/src/errors';
import type { Database, PoolClient } from '../../common/src/pg/database';

export interface AccountRow {
  id: string;
  username: string;
  display_name: string;
  kind: 'staff' | 'resident';
  password_hash: string;
  roles: RoleName[];
  institution_id: string | null;
  analyst_scope: string | null;
  patient_id: string | null;
  active: boolean;
  created_at: Date;
  child_patient_ids?: string[];
}

type Queryable = Pick<PoolClient, 'query'>;

export const REFRESH_TOKEN_TTL_MS = 30 * 86_400_000;

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** 256 random bits, base64url: an opaque refresh token. */
export function newOpaqueToken(): string {
  return randomBytes(32).toString('base64url');
}

const ACCOUNT_COLUMNS = `a.id, a.username, a.display_name, a.kind, a.password_hash, a.roles, a.institution_id, a.analyst_scope,
  a.patient_id, a.active, a.created_at,
  coalesce((SELECT array_agg(g.child_id::text ORDER BY g.child_id) FROM guardians g WHERE a.kind = 'resident' AND g.guardian_id = a.patient_id), '{}') AS child_patient_ids`;

function isUniqueViolation(error: unknown, constraint: string): boolean {
  const pg = error as { code?: string; constraint?: string };
  return pg.code === '23505' && pg.constraint === constraint;
}

export class AccountsRepository {
  constructor(private readonly db: Database) {}

  async findByUsername(username: string): Promise<AccountRow | undefined> {
    const rows = await this.db.query<AccountRow>(
      `SELECT ${ACCOUNT_COLUMNS} FROM accounts a WHERE lower(a.username) = lower($1)`,
      [username],
    );
    return rows[0];
  }

  async findById(id: string, target: Queryable = this.db.rw): Promise<AccountRow | undefined> {
    const { rows } = await target.query<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = $1`, [id]);
    return rows[0];
  }

  async insertAccount(
    tx: Queryable,
    account: {
      username: string;
      displayName: string;
      kind: 'staff' | 'resident';
      passwordHash: string;
      roles: readonly RoleName[];
      institutionId?: string;
      analystScope?: string;
      patientId?: string;
      createdBy: string;
    },
  ): Promise<AccountRow> {
    try {
      const { rows } = await tx.query<{ id: string }>(
        `INSERT INTO accounts (username, display_name, kind, password_hash, roles, institution_id, analyst_scope, patient_id, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
        [
          account.username,
          account.displayName,
          account.kind,
          account.passwordHash,
          account.roles,
          account.institutionId ?? null,
          account.analystScope ?? null,
          account.patientId ?? null,
          account.createdBy,
        ],
      );
      const created = await this.findById((rows[0] as { id: string }).id, tx);
      return created as AccountRow;
    } catch (error) {
      if (isUniqueViolation(error, 'accounts_username'))
        throw new AlreadyExistsError('that username is taken', 'USERNAME_TAKEN');
      if (isUniqueViolation(error, 'accounts_resident_patient'))
        throw new AlreadyExistsError('this patient already has a resident account', 'ALREADY_ACTIVATED');
      throw error;
    }
  }

  async listStaff(institutionId: string, limit: number, offset: number): Promise<AccountRow[]> {
    return this.db.query<AccountRow>(
      `SELECT ${ACCOUNT_COLUMNS} FROM accounts a WHERE a.kind = 'staff' AND a.institution_id = $1 ORDER BY a.username LIMIT $2 OFFSET $3`,
      [institutionId, limit, offset],
    );
  }

  async deactivate(tx: Queryable, id: string, reason: string): Promise<void> {
    await tx.query(
      `UPDATE accounts SET active = false, deactivated_at = now(), deactivation_reason = $2 WHERE id = $1`,
      [id, reason],
    );
    await tx.query(`UPDATE refresh_tokens SET revoked_at = now() WHERE account_id = $1 AND revoked_at IS NULL`, [id]);
  }

  /** Stores a new refresh token of `familyId` (a new login when undefined) and returns the raw token. */
  async issueRefreshToken(tx: Queryable, accountId: string, familyId: string | undefined): Promise<string> {
    const token = newOpaqueToken();
    await tx.query(
      `INSERT INTO refresh_tokens (account_id, family_id, token_hash, expires_at) VALUES ($1, coalesce($2::uuid, gen_random_uuid()), $3, $4)`,
      [accountId, familyId ?? null, sha256(token), new Date(Date.now() + REFRESH_TOKEN_TTL_MS)],
    );
    return token;
  }

  /** The token row locked for this transaction, with its account's state. */
  async lockRefreshToken(
    tx: Queryable,
    token: string,
  ): Promise<
    | {
        id: string;
        account_id: string;
        family_id: string;
        expires_at: Date;
        spent_at: Date | null;
        revoked_at: Date | null;
        active: boolean;
      }
    | undefined
  > {
    const { rows } = await tx.query(
      `SELECT t.id, t.account_id, t.family_id, t.expires_at, t.spent_at, t.revoked_at, a.active
         FROM refresh_tokens t JOIN accounts a ON a.id = t.account_id
        WHERE t.token_hash = $1 FOR UPDATE OF t`,
      [sha256(token)],
    );
    return rows[0];
  }

  async spendRefreshToken(tx: Queryable, id: string): Promise<void> {
    await tx.query('UPDATE refresh_tokens SET spent_at = coalesce(spent_at, now()) WHERE id = $1', [id]);
  }

  async revokeFamily(tx: Queryable, familyId: string): Promise<void> {
    await tx.query('UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL', [
      familyId,
    ]);
  }

  async insertActivationCode(
    tx: Queryable,
    code: string,
    patientId: string,
    issuedBy: string,
    delivery: 'handover' | 'sms',
    expiresAt: Date,
  ): Promise<void> {
    await tx.query(
      'INSERT INTO activation_codes (code_hash, patient_id, issued_by, delivery, expires_at) VALUES ($1, $2, $3, $4, $5)',
      [sha256(code), patientId, issuedBy, delivery, expiresAt],
    );
  }

  /** Marks a valid code used and returns its patient; undefined for unknown, used or expired codes. */
  async consumeActivationCode(tx: Queryable, code: string): Promise<string | undefined> {
    const { rows } = await tx.query<{ patient_id: string }>(
      `UPDATE activation_codes SET used_at = now() WHERE code_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING patient_id`,
      [sha256(code)],
    );
    return rows[0]?.patient_id;
  }
}
