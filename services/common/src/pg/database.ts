// Postgres pools for the read-write and read-only endpoints, transactions, and the commit rules of
// DESIGN.md: a COMMIT is never cancelled; a timeout, a lost connection or the synchronous-replication cancel
// notice during COMMIT is an unknown outcome, answered UNAVAILABLE, and that connection is discarded.
import { Pool, PoolClient, PoolConfig } from 'pg';
import { UnavailableError } from '../errors';
import type { Logger } from '../logger';
import { backoffDelayMs, RetryPolicy } from '../retry';
import { isConnectionLost, isSyncReplicationCancelNotice, isTransientBeforeCommit, toDomainError } from './errors';

export type { PoolClient } from 'pg';

export interface DatabaseOptions {
  readonly rwUrl: string;
  /** Read-only endpoint for reads that may lag (statistics, search); the read-write one when absent. */
  readonly roUrl?: string;
  /** The service's own schema, put first on the search path. */
  readonly schema: string;
  readonly applicationName: string;
  readonly poolMax: number;
  readonly statementTimeoutMs: number;
  /** A COMMIT not answered after this long is reported as an unknown outcome (the wait itself is left alone). */
  readonly commitUnknownAfterMs: number;
  readonly logger: Logger;
}

export interface TransactionOptions {
  /** Re-run the whole transaction when it failed before COMMIT for a transient reason (failover, conflict). */
  readonly retry?: RetryPolicy;
}

export const TRANSACTION_RETRY: RetryPolicy = {
  maxAttempts: 6,
  initialBackoffMs: 100,
  maxBackoffMs: 1_500,
  backoffMultiplier: 2,
  retryableCodes: [],
};

/**
 * Reads retried after a lost connection: about the length of a failover (Patroni's ttl 4 s plus the promotion)
 * in all, so that a read rides through it inside the caller's deadline rather than failing at its first try.
 */
export const READ_RETRY: RetryPolicy = {
  maxAttempts: 8,
  initialBackoffMs: 100,
  maxBackoffMs: 1_000,
  backoffMultiplier: 2,
  retryableCodes: [],
};

/** An unknown commit outcome: the change may or may not be durable; the client retries with its key. */
export class CommitOutcomeUnknownError extends UnavailableError {
  constructor(cause: string) {
    super(`commit outcome unknown (${cause}); retry with the same Idempotency-Key`, 'COMMIT_OUTCOME_UNKNOWN');
  }
}

/** How long one look at the primary's synchronous_standby_names is trusted (writes refused or let through). */
const STANDBY_LOOK_MS = 500;
/** What a write refused for want of a standby is told to wait: about a rejoin's first step, not a hot loop. */
export const NO_STANDBY_RETRY_AFTER_MS = 2_000;

export class Database {
  readonly rw: Pool;
  readonly ro: Pool;
  private standbyLook: { readonly at: number; readonly missing: boolean } | undefined;

  constructor(private readonly options: DatabaseOptions) {
    this.rw = this.createPool(options.rwUrl, 'rw');
    this.ro = options.roUrl && options.roUrl !== options.rwUrl ? this.createPool(options.roUrl, 'ro') : this.rw;
  }

  private createPool(connectionString: string, role: 'rw' | 'ro'): Pool {
    const config: PoolConfig = {
      connectionString,
      max: this.options.poolMax,
      application_name: `${this.options.applicationName}-${role}`,
      statement_timeout: this.options.statementTimeoutMs,
      idle_in_transaction_session_timeout: Math.max(this.options.statementTimeoutMs * 4, 30_000),
      connectionTimeoutMillis: 3_000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      options: `-c search_path=${this.options.schema},public`,
    };
    const pool = new Pool(config);
    // An idle client whose server went away (failover) errors here; the pool drops it. Not fatal.
    pool.on('error', (error) => this.options.logger.warn({ err: error, pool: role }, 'idle database connection lost'));
    return pool;
  }

  /** A read on the primary (reads that must see the latest write). */
  async query<R extends object = Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]> {
    return this.run(this.rw, text, values);
  }

  /** A read that may lag behind the primary by the replication delay. */
  async queryReplica<R extends object = Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]> {
    return this.run(this.ro, text, values);
  }

  /**
   * A read, retried on another connection when its own was lost (a failover or switchover under it, a pooled
   * connection to a server that went away): pg-pool discards the failed client, so the retry takes a healthy one
   * or opens a new one to whichever node the endpoint now routes to. A read changes nothing, so it is safe to
   * repeat; anything else is the caller's answer at once.
   */
  private async run<R extends object>(pool: Pool, text: string, values?: unknown[]): Promise<R[]> {
    const policy = READ_RETRY;
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await pool.query<R>(text, values);
        return result.rows;
      } catch (error) {
        if (!isConnectionLost(error) || attempt >= policy.maxAttempts) throw toDomainError(error);
        this.options.logger.info({ attempt, err: error }, 'read lost its connection; retrying on another');
        await new Promise((resolve) =>
          setTimeout(resolve, Math.max(policy.initialBackoffMs, backoffDelayMs(policy, attempt))),
        );
      }
    }
  }

  /**
   * One statement as its own (implicit) transaction on the primary, under the commit rules, in one round trip where
   * withTransaction takes three: for an append whose commit a caller waits on (a read's audit event). A lost
   * connection or the synchronous-replication cancel notice is an unknown outcome: UNAVAILABLE, connection discarded.
   */
  async executeCommitted(text: string, values?: unknown[]): Promise<void> {
    let client: PoolClient;
    try {
      client = await this.rw.connect();
    } catch (error) {
      throw toDomainError(error);
    }
    let discard: Error | undefined;
    const notices: Array<{ message?: string; detail?: string }> = [];
    const onNotice = (notice: { message?: string; detail?: string }): void => void notices.push(notice);
    const onError = (error: Error): void => {
      discard = error;
    };
    client.on('notice', onNotice);
    client.on('error', onError);
    try {
      await this.refuseWithoutStandby(client);
      await client.query(text, values);
    } catch (error) {
      if (isConnectionLost(error)) {
        discard = error as Error;
        throw new CommitOutcomeUnknownError('connection lost during a committing statement');
      }
      throw toDomainError(error);
    } finally {
      client.off('notice', onNotice);
      client.off('error', onError);
      if (notices.some(isSyncReplicationCancelNotice)) discard ??= new Error('synchronous replication wait cancelled');
      client.release(discard);
    }
    if (notices.some(isSyncReplicationCancelNotice))
      throw new CommitOutcomeUnknownError('synchronous standby did not confirm');
  }

  /** Runs `work` in one transaction on the primary under the commit rules. */
  async withTransaction<T>(work: (tx: PoolClient) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const policy = options.retry ?? TRANSACTION_RETRY;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.transactionOnce(work);
      } catch (error) {
        if (!(error instanceof RetryableBeforeCommit) || attempt >= policy.maxAttempts) {
          throw toDomainError(error instanceof RetryableBeforeCommit ? error.cause : error);
        }
        this.options.logger.info({ attempt, err: error.cause }, 'transaction failed before commit; retrying');
        await new Promise((resolve) =>
          setTimeout(resolve, Math.max(policy.initialBackoffMs, backoffDelayMs(policy, attempt))),
        );
      }
    }
  }

  private async transactionOnce<T>(work: (tx: PoolClient) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.rw.connect();
    } catch (error) {
      throw new RetryableBeforeCommit(error);
    }
    let discard: Error | undefined;
    // While checked out, pg-pool no longer listens for the client's errors: a server that vanishes between two
    // statements would otherwise be an unhandled 'error' event and take the process down.
    const onError = (error: Error): void => {
      discard = error;
    };
    client.on('error', onError);
    try {
      let result: T;
      try {
        await this.refuseWithoutStandby(client);
        await client.query('BEGIN');
        result = await work(client);
      } catch (error) {
        if (isConnectionLost(error)) discard = error as Error;
        else await client.query('ROLLBACK').catch((rollbackError: Error) => (discard = rollbackError));
        throw isTransientBeforeCommit(error) ? new RetryableBeforeCommit(error) : error;
      }
      await this.commit(client).catch((error: unknown) => {
        if (error instanceof CommitOutcomeUnknownError) discard = error;
        throw error;
      });
      return result;
    } finally {
      client.off('error', onError);
      client.release(discard);
    }
  }

  /**
   * Under strict durability, with no standby able to be synchronous, Patroni sets synchronous_standby_names to '*':
   * every COMMIT would then wait, holding its connection and its caller, for as long as the other zone is away.
   * Such a write is refused before anything is done — UNAVAILABLE with a retry delay, which the gateway answers as
   * 503 with Retry-After — instead of hanging until a deadline. No commit is released without the standby: the
   * durability rule stands, only the wait becomes an answer. (Non-strict mode empties the setting instead and
   * writes go on, exposed, as before.)
   */
  private async refuseWithoutStandby(client: PoolClient): Promise<void> {
    const now = Date.now();
    if (this.standbyLook === undefined || now - this.standbyLook.at >= STANDBY_LOOK_MS) {
      const { rows } = await client.query<{ names: string }>(
        `SELECT current_setting('synchronous_standby_names') AS names`,
      );
      this.standbyLook = { at: now, missing: (rows[0]?.names ?? '').trim() === '*' };
    }
    if (this.standbyLook.missing)
      throw new UnavailableError(
        'writes are held: no synchronous standby (strict durability); retry later',
        'NO_SYNCHRONOUS_STANDBY',
        NO_STANDBY_RETRY_AFTER_MS,
      );
  }

  /** Sends COMMIT and decides what its answer means; never cancels it. */
  private async commit(client: PoolClient): Promise<void> {
    const notices: Array<{ message?: string; detail?: string }> = [];
    const onNotice = (notice: { message?: string; detail?: string }): void => void notices.push(notice);
    client.on('notice', onNotice);
    let timer: NodeJS.Timeout | undefined;
    try {
      const answered = client.query('COMMIT').then(() => 'committed' as const);
      const gaveUp = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), this.options.commitUnknownAfterMs);
      });
      // If we give up waiting, the COMMIT keeps running on a connection we discard; it is not cancelled.
      answered.catch(() => undefined);
      const outcome = await Promise.race([answered, gaveUp]);
      if (outcome === 'timeout') throw new CommitOutcomeUnknownError('no answer from the database');
    } catch (error) {
      if (error instanceof CommitOutcomeUnknownError) throw error;
      const code = (error as { code?: string }).code;
      // A definite refusal at commit (a deferred constraint, a serialization failure) rolled everything back.
      if (typeof code === 'string' && /^(23|40)/.test(code)) throw toDomainError(error);
      this.options.logger.warn({ err: error }, 'connection failed during COMMIT: outcome unknown');
      throw new CommitOutcomeUnknownError('connection lost during commit');
    } finally {
      clearTimeout(timer);
      client.off('notice', onNotice);
    }
    if (notices.some(isSyncReplicationCancelNotice)) {
      this.options.logger.warn('synchronous replication wait cancelled during COMMIT: committed locally only');
      throw new CommitOutcomeUnknownError('synchronous standby did not confirm');
    }
  }

  async ping(): Promise<void> {
    await this.rw.query('SELECT 1');
  }

  /**
   * Which server answers on the read-write endpoint: its port and postmaster start time. It changes when a
   * failover or switchover moves the primary (or the primary restarts): cached entries may then describe a
   * timeline that no longer exists.
   */
  async primaryIdentity(): Promise<string> {
    const { rows } = await this.rw.query<{ identity: string }>(
      `SELECT coalesce(host(inet_server_addr()), 'local') || ':' || coalesce(inet_server_port()::text, '') || '@' || pg_postmaster_start_time()::text AS identity`,
    );
    return rows[0]?.identity ?? '';
  }

  async close(): Promise<void> {
    await this.rw.end();
    if (this.ro !== this.rw) await this.ro.end();
  }
}

/** A transaction that failed before COMMIT was sent, for a reason worth an immediate retry. */
class RetryableBeforeCommit extends Error {
  constructor(override readonly cause: unknown) {
    super('transient failure before commit');
  }
}
