// What records asks the object store (the replication service): that an imaging study's object is one stored for
// this patient. Asked with the caller's own token, so the object store applies (and audits) its own read rule.
import type { Client } from '@grpc/grpc-js';
import { InvalidArgumentError, UnavailableError } from '../../common/src/errors';
import type { StoredObject } from '../../common/src/gen/mch/replication/v1/replication';
import { createChannelClient } from '../../common/src/grpc/client';
import type { CallContext } from '../../common/src/grpc/context';
import { objectSeenBy } from '../../common/src/object-store';

export interface PatientObjects {
  /** Fails INVALID_ARGUMENT naming `field` unless the object exists and references `patient:<patientId>`. */
  requireObjectOf(objectId: string, patientId: string, field: string, ctx: CallContext): Promise<void>;
}

function notHers(field: string, patientId: string): InvalidArgumentError {
  // One answer for absent, unreadable and someone else's: the check is no oracle for other patients' objects.
  return InvalidArgumentError.field(
    field,
    `is not an object stored for this patient: upload it first (POST /v1/objects?reference=patient:${patientId})`,
  );
}

export class ObjectStoreClient implements PatientObjects {
  private readonly client: Client;

  constructor(address: string) {
    this.client = createChannelClient(address);
  }

  async requireObjectOf(objectId: string, patientId: string, field: string, ctx: CallContext): Promise<void> {
    let object: StoredObject | undefined;
    try {
      object = await objectSeenBy(this.client, objectId, ctx);
    } catch {
      throw new UnavailableError(
        `the object store could not be asked about ${field}; retry with the same Idempotency-Key`,
      );
    }
    if (!object?.references.includes(`patient:${patientId}`)) throw notHers(field, patientId);
  }

  close(): void {
    this.client.close();
  }
}

/** A deployment without an object store: no object id can name a stored object. */
export const NO_OBJECT_STORE: PatientObjects = {
  async requireObjectOf(_objectId, _patientId, field) {
    throw InvalidArgumentError.field(
      field,
      'this deployment has no object store; record the study without an object id',
    );
  },
};
