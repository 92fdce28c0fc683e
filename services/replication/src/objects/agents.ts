// The replication service's view of the zones' store agents: one gRPC channel per zone, and the few calls the
// object store makes (stream a blob in or out, check a copy, set a corrupt copy aside, ping). Every call carries the
// replication service's own token (the agents serve no one else), also when made for a user's request.
import type { Client, ClientReadableStream, Metadata } from '@grpc/grpc-js';
import type { ServiceIdentity } from '../../../common/src/auth/service-identity';
import {
  callUnary,
  ClientStreamCall,
  createChannelClient,
  openClientStream,
  openServerStream,
} from '../../../common/src/grpc/client';
import type { CallContext } from '../../../common/src/grpc/context';
import {
  GetBlobResponse,
  HasBlobResponse,
  PutBlobRequest,
  PutBlobResponse,
  StoreAgentServiceService as Agent,
} from '../../../common/src/gen/mch/replication/v1/store_agent';

const PING_TIMEOUT_MS = 1_000;
const CHECK_TIMEOUT_MS = 60_000;

/** `az-a=127.0.0.1:50070,az-b=127.0.0.1:50071` -> zone -> address. */
export function parseAgentAddresses(raw: string): Map<string, string> {
  const agents = new Map<string, string>();
  for (const entry of raw
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const [zone, address] = entry.split('=').map((part) => part.trim());
    if (!zone || !address || !/^[a-z0-9-]+$/.test(zone) || !/^[^\s]+:\d+$/.test(address))
      throw new Error(`"${entry}" is not zone=host:port`);
    agents.set(zone, address);
  }
  return agents;
}

export interface StreamOptions {
  readonly parent?: CallContext;
  readonly timeoutMs: number;
}

export class StoreAgents {
  private readonly clients = new Map<string, Client>();

  constructor(
    addresses: ReadonlyMap<string, string>,
    private readonly identity: Pick<ServiceIdentity, 'metadata'>,
  ) {
    for (const [zone, address] of addresses) this.clients.set(zone, createChannelClient(address));
  }

  private metadata(): Promise<Metadata> {
    return this.identity.metadata();
  }

  get zones(): string[] {
    return [...this.clients.keys()];
  }

  private client(zone: string): Client {
    const client = this.clients.get(zone);
    if (!client) throw new Error(`no store agent for zone ${zone}`);
    return client;
  }

  /** Opens a PutBlob stream with its header written. */
  async openPut(
    zone: string,
    header: { sha256: string; size: number },
    options: StreamOptions,
  ): Promise<ClientStreamCall<PutBlobRequest, PutBlobResponse>> {
    const call = openClientStream(this.client(zone), Agent.putBlob, {
      parent: options.parent,
      timeoutMs: options.timeoutMs,
      metadata: await this.metadata(),
    });
    await call.write({ header: { sha256: header.sha256, size: String(header.size) } });
    return call;
  }

  async get(zone: string, sha256: string, options: StreamOptions): Promise<ClientReadableStream<GetBlobResponse>> {
    return openServerStream(
      this.client(zone),
      Agent.getBlob,
      { sha256 },
      { parent: options.parent, timeoutMs: options.timeoutMs, metadata: await this.metadata() },
    );
  }

  async check(zone: string, sha256: string, verify: boolean): Promise<HasBlobResponse> {
    return callUnary(
      this.client(zone),
      Agent.hasBlob,
      { sha256, verify },
      { timeoutMs: CHECK_TIMEOUT_MS, idempotent: true, metadata: await this.metadata() },
    );
  }

  async list(zone: string, after: string, pageSize: number): Promise<string[]> {
    return (
      await callUnary(
        this.client(zone),
        Agent.listBlobs,
        { after, pageSize },
        { timeoutMs: CHECK_TIMEOUT_MS, idempotent: true, metadata: await this.metadata() },
      )
    ).sha256s;
  }

  async quarantine(zone: string, sha256: string): Promise<boolean> {
    return (
      await callUnary(
        this.client(zone),
        Agent.deleteBlob,
        { sha256 },
        { timeoutMs: CHECK_TIMEOUT_MS, idempotent: true, metadata: await this.metadata() },
      )
    ).removed;
  }

  /** Waits up to `timeoutMs` for the zone's channel to connect (at once when it is connected). */
  ready(zone: string, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) =>
      this.client(zone).waitForReady(new Date(Date.now() + timeoutMs), (error) => resolve(!error)),
    );
  }

  /** Whether the zone's agent answers now. */
  async reachable(zone: string): Promise<boolean> {
    if (!(await this.ready(zone, PING_TIMEOUT_MS))) return false;
    try {
      await callUnary(
        this.client(zone),
        Agent.listBlobs,
        { after: '', pageSize: 1 },
        { timeoutMs: PING_TIMEOUT_MS, metadata: await this.metadata() },
      );
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
  }
}
