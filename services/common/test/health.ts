// Test support: a grpc.health.v1 Watch client that records every status a server reports.
import {
  credentials,
  loadPackageDefinition,
  ClientReadableStream,
  GrpcObject,
  ServiceClientConstructor,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath } from 'grpc-health-check';

export enum HealthCheckResponse_ServingStatus {
  UNKNOWN = 'UNKNOWN',
  SERVING = 'SERVING',
  NOT_SERVING = 'NOT_SERVING',
  SERVICE_UNKNOWN = 'SERVICE_UNKNOWN',
}

const healthPackage = loadPackageDefinition(loadSync(protoPath, { enums: String }));
const HealthClient = ((healthPackage.grpc as GrpcObject).health as GrpcObject).v1 as GrpcObject;

export interface HealthWatch {
  readonly statuses: HealthCheckResponse_ServingStatus[];
  close(): void;
}

export function watchHealth(address: string, service = ''): HealthWatch {
  const Client = HealthClient.Health as ServiceClientConstructor;
  const client = new Client(address, credentials.createInsecure());
  const statuses: HealthCheckResponse_ServingStatus[] = [];
  const stream = (
    client as unknown as {
      watch(request: { service: string }): ClientReadableStream<{ status: HealthCheckResponse_ServingStatus }>;
    }
  ).watch({ service });
  stream.on('data', (message) => statuses.push(message.status));
  stream.on('error', () => undefined);
  return {
    statuses,
    close: () => {
      stream.cancel();
      client.close();
    },
  };
}
