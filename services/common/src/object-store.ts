// What a service asks the object store (the replication service's GetObjectInfo) about an object its caller names:
// asked with the caller's own token, so the store applies (and audits) its own read rule. Consultation attachments
// and records' imaging studies both check an object id this way before they keep it.
import { status as GrpcStatus, type Client } from '@grpc/grpc-js';
import { ReplicationServiceService, type StoredObject } from './gen/mch/replication/v1/replication';
import { callUnary, isServiceError } from './grpc/client';
import type { CallContext } from './grpc/context';

/** Answers that say "not an object this caller may name", as opposed to "the store could not be asked". */
const REFUSALS: readonly GrpcStatus[] = [
  GrpcStatus.NOT_FOUND,
  GrpcStatus.PERMISSION_DENIED,
  GrpcStatus.INVALID_ARGUMENT,
];

/**
 * The stored object as the caller may see it; undefined when it is absent, unreadable to her or its id malformed —
 * one answer for all three, so no caller becomes an oracle for other patients' objects. Any other failure (the
 * store away, a deadline) is thrown as it came: the caller says how to retry.
 */
export async function objectSeenBy(
  client: Client,
  objectId: string,
  ctx: CallContext,
): Promise<StoredObject | undefined> {
  try {
    return (
      await callUnary(
        client,
        ReplicationServiceService.getObjectInfo,
        { id: objectId },
        { parent: ctx, timeoutMs: 5_000, idempotent: true },
      )
    ).object;
  } catch (error) {
    if (isServiceError(error) && REFUSALS.includes(error.code)) return undefined;
    throw error;
  }
}
