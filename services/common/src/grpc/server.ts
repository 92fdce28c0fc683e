// gRPC server bootstrap: health that tells the truth (NOT_SERVING until dependencies are ready and again
// from SIGTERM), optional reflection, and a drain before the process closes its pools.
import path from 'node:path';
import { Server, ServerCredentials, ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import type { Logger } from '../logger';
import { protoDir } from '../paths';

export interface GrpcServiceBinding {
  /** Fully qualified service name, e.g. `mch.identity.v1.IdentityService` (the health check's service key). */
  readonly name: string;
  readonly definition: ServiceDefinition;
  readonly implementation: UntypedServiceImplementation;
  /** The proto file that declares it, relative to proto/, for reflection. */
  readonly protoFile: string;
}

export interface GrpcServerOptions {
  readonly host: string;
  readonly port: number;
  readonly services: readonly GrpcServiceBinding[];
  readonly reflection: boolean;
  readonly logger: Logger;
}

/** Server-side channel options: connections are recycled so clients re-resolve and rebalance across pods. */
const SERVER_CHANNEL_OPTIONS = {
  'grpc.max_connection_age_ms': 5 * 60_000,
  'grpc.max_connection_age_grace_ms': 30_000,
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.max_receive_message_length': 8 * 1024 * 1024,
};

export class GrpcServer {
  readonly health: HealthImplementation;
  private readonly server: Server;
  private readonly names: string[];
  boundPort = 0;

  constructor(private readonly options: GrpcServerOptions) {
    this.server = new Server(SERVER_CHANNEL_OPTIONS);
    this.names = ['', ...options.services.map((s) => s.name)];
    this.health = new HealthImplementation(
      Object.fromEntries(this.names.map((name) => [name, 'NOT_SERVING' as const])),
    );
    this.health.addToServer(this.server);
    for (const service of options.services) this.server.addService(service.definition, service.implementation);
    if (options.reflection) {
      const packageDefinition = loadSync(
        options.services.map((s) => s.protoFile),
        { includeDirs: [protoDir(), path.join(protoDir(), 'third_party')], keepCase: false },
      );
      new ReflectionService(packageDefinition).addToServer(this.server);
    }
  }

  async listen(): Promise<number> {
    this.boundPort = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(
        `${this.options.host}:${this.options.port}`,
        ServerCredentials.createInsecure(),
        (error, port) => (error ? reject(error) : resolve(port)),
      );
    });
    this.options.logger.info({ port: this.boundPort }, 'gRPC server listening');
    return this.boundPort;
  }

  setServing(serving: boolean): void {
    for (const name of this.names) this.health.setStatus(name, serving ? 'SERVING' : 'NOT_SERVING');
  }

  /** Stops taking new calls, waits up to `graceMs` for calls in flight, then cuts the rest. */
  async drain(graceMs: number): Promise<void> {
    this.setServing(false);
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.options.logger.warn('drain grace expired; cancelling calls in flight');
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      force.unref();
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }
}
