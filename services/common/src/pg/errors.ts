// Which PostgreSQL failures are transient (retry on a fresh connection) and which are answers.
import { AbortedError, DomainError, UnavailableError } from '../errors';

interface PgLikeError {
  code?: string;
  message?: string;
}

/** The SQLSTATE or errno of a driver error; undefined for anything else (domain errors have numeric codes). */
function pgCode(error: unknown): string | undefined {
  if (error instanceof DomainError) return undefined;
  const code = (error as PgLikeError | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTCONN',
]);

/**
 * True when the connection this error came from must not be reused: it was cut, its server is shutting
 * down or recovering, or it points at a node that is no longer primary (a failover happened under it).
 */
export function isConnectionLost(error: unknown): boolean {
  if (error instanceof DomainError) return false;
  const code = pgCode(error);
  const message = (error as PgLikeError | undefined)?.message;
  if (code && (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '25006'))
    return true;
  if (code && CONNECTION_ERROR_CODES.has(code)) return true;
  // pg-pool's "timeout exceeded when trying to connect": no connection to the endpoint within connectionTimeoutMillis
  // (HAProxy has no primary to route to yet). Nothing was sent.
  return /Connection terminated|connection ended|Client has encountered a connection error|not queryable|timeout exceeded when trying to connect/i.test(
    message ?? '',
  );
}

/** True for failures that leave nothing done and may be retried at once: lost connections and conflicts. */
export function isTransientBeforeCommit(error: unknown): boolean {
  const code = pgCode(error);
  return isConnectionLost(error) || code === '40001' || code === '40P01';
}

/** Maps a database failure to the error the caller should see; domain errors pass through. */
export function toDomainError(error: unknown): unknown {
  if (error instanceof DomainError) return error;
  const code = pgCode(error);
  if (isConnectionLost(error)) return new UnavailableError('database unavailable, retry', 'DATABASE_UNAVAILABLE');
  if (code === '40001' || code === '40P01') return new AbortedError('concurrent update, retry', 'CONCURRENT_UPDATE');
  if (code === '57014') return new UnavailableError('database statement timed out', 'DATABASE_TIMEOUT');
  if (code === '53300') return new UnavailableError('database has too many connections', 'DATABASE_BUSY');
  return error;
}

/** Postgres's notice when a commit's wait for the synchronous standby was cut short: committed locally only. */
export function isSyncReplicationCancelNotice(notice: { message?: string; detail?: string }): boolean {
  return /synchronous replication/i.test(notice.message ?? '') || /committed locally/i.test(notice.detail ?? '');
}
