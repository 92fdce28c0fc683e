// The machine's own ceiling for gRPC: a bare grpc-js server echoing a small message, run as its own process.
import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';

const identity = (buffer: Buffer): Buffer => buffer;
const server = new Server();
server.addService(
  {
    echo: {
      path: '/mch.bench.Echo/Echo',
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  },
  { echo: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => callback(null, call.request) },
);
server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  process.stdout.write(`${port}\n`);
});
process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
