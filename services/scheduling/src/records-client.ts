// What scheduling asks the records service: a patient's open schedule items from records' schedule engine.
import { status as GrpcStatus, type Client, type Metadata } from '@grpc/grpc-js';
import { NotFoundError, PermissionDeniedError, UnavailableError } from '../../common/src/errors';
import { callUnary, createChannelClient, isServiceError, UnaryCallOptions } from '../../common/src/grpc/client';
import type { CallContext } from '../../common/src/grpc/context';
import { ListDueItemsResponse, RecordsServiceService } from '../../common/src/gen/mch/records/v1/records';

export class RecordsClient {
  private readonly client: Client;

  constructor(address: string) {
    this.client = createChannelClient(address);
  }

  /** The open items on `asOf` (records' today when empty), asked with the caller's token and purpose. */
  async dueItems(patientId: string, asOf: string, ctx: CallContext): Promise<ListDueItemsResponse> {
    return this.ask(patientId, asOf, { parent: ctx });
  }

  /** The same, asked as the scheduling service itself (`metadata` from its ServiceIdentity). */
  async dueItemsAs(patientId: string, metadata: Metadata): Promise<ListDueItemsResponse> {
    return this.ask(patientId, '', { metadata });
  }

  private async ask(patientId: string, asOf: string, options: UnaryCallOptions): Promise<ListDueItemsResponse> {
    try {
      return await callUnary(
        this.client,
        RecordsServiceService.listDueItems,
        { patientId, asOf },
        { ...options, idempotent: true, timeoutMs: 5_000 },
      );
    } catch (error) {
      if (isServiceError(error) && error.code === GrpcStatus.NOT_FOUND) throw new NotFoundError(error.details);
      if (isServiceError(error) && error.code === GrpcStatus.PERMISSION_DENIED)
        throw new PermissionDeniedError(error.details, 'ACCESS_DENIED');
      throw new UnavailableError('the records service could not list the due items; retry');
    }
  }

  close(): void {
    this.client.close();
  }
}
