// Attachments are objects in the replicated object store. Before a message names one, the store is asked (as the
// caller, whose token it checks) for the object: it must exist and belong to this thread (`consultation:<id>`) or,
// for the opening message of a thread not yet created, to the thread's patient (`patient:<id>`). The stored
// content type and size are the ones kept with the message.
import type { Client } from '@grpc/grpc-js';
import { UnavailableError, Violations } from '../../common/src/errors';
import type { StoredObject } from '../../common/src/gen/mch/replication/v1/replication';
import { createChannelClient } from '../../common/src/grpc/client';
import type { CallContext } from '../../common/src/grpc/context';
import { objectSeenBy } from '../../common/src/object-store';
import type { CheckedAttachment, NamedAttachment } from './domain/thread';

export class AttachmentStore {
  private readonly client: Client | undefined;

  /** `address`: the replication service, which holds the object store (REPLICATION_SERVICE_ADDR). */
  constructor(address: string | undefined) {
    this.client = address ? createChannelClient(address) : undefined;
  }

  /**
   * The attachments as stored; 400 naming `attachments[i].objectId` for an object that is not there or not this
   * thread's (or, with `consultationId` undefined, not the patient's); 503 when the store cannot be asked.
   */
  async confirm(
    ctx: CallContext,
    attachments: readonly NamedAttachment[],
    owner: { consultationId?: string; patientId: string },
  ): Promise<CheckedAttachment[]> {
    if (attachments.length === 0) return [];
    const client = this.client;
    if (!client)
      throw new UnavailableError(
        'the object store is not configured: attachments cannot be confirmed',
        'OBJECT_STORE_UNAVAILABLE',
      );
    const allowed = new Set([
      `patient:${owner.patientId}`,
      ...(owner.consultationId ? [`consultation:${owner.consultationId}`] : []),
    ]);
    const violations = new Violations();
    const confirmed = await Promise.all(
      attachments.map(async (attachment, index): Promise<CheckedAttachment | undefined> => {
        const field = `attachments[${index}].objectId`;
        let object: StoredObject | undefined;
        try {
          object = await objectSeenBy(client, attachment.objectId, ctx);
        } catch {
          throw new UnavailableError(
            'the object store could not confirm the attachments; retry with the same Idempotency-Key',
            'OBJECT_STORE_UNAVAILABLE',
          );
        }
        if (!object) {
          violations.add(field, 'is not an object this consultation may attach');
          return undefined;
        }
        if (!object.references.some((reference) => allowed.has(reference))) {
          violations.add(
            field,
            owner.consultationId
              ? 'was not uploaded to this consultation (reference=consultation:<id>)'
              : 'was not uploaded for this patient (reference=patient:<id>)',
          );
          return undefined;
        }
        return {
          objectId: attachment.objectId,
          fileName: attachment.fileName,
          contentType: object.contentType,
          sizeBytes: Number(object.size),
        };
      }),
    );
    violations.throwIfAny();
    return confirmed.filter((attachment): attachment is CheckedAttachment => attachment !== undefined);
  }

  close(): void {
    this.client?.close();
  }
}
