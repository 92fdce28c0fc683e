// A patient's audit trail gathered from every service that holds her data. Each service keeps its own
// append-only trail and answers ListAuditEvents in the same wire shape (mch.common.v1); identity merges them.
import { Client, MethodDefinition, status as GrpcStatus } from '@grpc/grpc-js';
import { ListAuditEventsRequest, ListAuditEventsResponse } from '../../common/src/gen/mch/common/v1/audit';
import { callUnary, createChannelClient, isServiceError, unaryMethod } from '../../common/src/grpc/client';
import type { CallContext } from '../../common/src/grpc/context';

/** The services besides identity that keep patient audit trails. */
export const AUDITED_SERVICES = ['records', 'scheduling', 'referral', 'consultation', 'replication'] as const;

function listMethod(service: string): MethodDefinition<ListAuditEventsRequest, ListAuditEventsResponse> {
  const pascal = service[0]?.toUpperCase() + service.slice(1);
  return unaryMethod(
    `/mch.${service}.v1.${pascal}Service/ListAuditEvents`,
    ListAuditEventsRequest,
    ListAuditEventsResponse,
  );
}

export class AuditFanOut {
  private readonly clients = new Map<string, Client>();

  constructor(env: NodeJS.ProcessEnv) {
    for (const service of AUDITED_SERVICES) {
      const address = env[`${service.toUpperCase()}_SERVICE_ADDR`];
      if (address) this.clients.set(service, createChannelClient(address));
    }
  }

  /** Every other service's events for the page; services that could not answer are named, not fatal. */
  async gather(
    ctx: CallContext,
    request: ListAuditEventsRequest,
  ): Promise<{ events: ListAuditEventsResponse['events']; unavailable: string[] }> {
    const unavailable: string[] = [];
    const pages = await Promise.all(
      [...this.clients].map(async ([service, client]) => {
        try {
          return (
            await callUnary(client, listMethod(service), request, { parent: ctx, timeoutMs: 3_000, idempotent: true })
          ).events;
        } catch (error) {
          // A service that does not keep a trail yet (UNIMPLEMENTED) simply has nothing to add.
          if (!(isServiceError(error) && error.code === GrpcStatus.UNIMPLEMENTED)) unavailable.push(service);
          return [];
        }
      }),
    );
    return { events: pages.flat(), unavailable };
  }
}
