// One gRPC channel per backend service, its address from `<NAME>_SERVICE_ADDR`.
import { Client, connectivityState } from '@grpc/grpc-js';
import { createChannelClient } from '../../common/src/grpc/client';

export class Backends {
  private readonly clients = new Map<string, Client>();

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  address(backend: string): string | undefined {
    return this.env[`${backend}_SERVICE_ADDR`] || undefined;
  }

  /** The client for `backend`, or undefined when no address is configured. */
  client(backend: string): Client | undefined {
    let client = this.clients.get(backend);
    if (!client) {
      const address = this.address(backend);
      if (!address) return undefined;
      client = createChannelClient(address);
      this.clients.set(backend, client);
    }
    return client;
  }

  /** Connectivity of each backend's channel, for /readyz. */
  states(backends: Iterable<string>): Record<string, string> {
    const states: Record<string, string> = {};
    for (const backend of backends) {
      const client = this.client(backend);
      states[backend.toLowerCase()] = client
        ? (connectivityState[client.getChannel().getConnectivityState(true)] ?? 'UNKNOWN')
        : 'NOT_CONFIGURED';
    }
    return states;
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
  }
}
