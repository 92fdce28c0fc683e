// gRPC rows of the benchmark: the raw grpc-js echo ceiling, and a record read straight to the records service
// with the kit's own client (no gateway), both as closed loops of `concurrency` calls in flight.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import { callUnary, createChannelClient } from '../../services/common/src/grpc/client';
import { RecordsServiceService } from '../../services/common/src/gen/mch/records/v1/records';
import { closedLoop, type Row } from './figures';

export async function startGrpcEcho(): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, [path.join(__dirname, 'grpc-echo.js')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve) =>
    child.stdout?.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))),
  );
  return { port, child };
}

export async function grpcEchoRow(port: number, concurrency: number, durationSeconds: number): Promise<Row> {
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  const payload = Buffer.from(
    JSON.stringify({ institution: { id: '3521a4f9-c6a3-5aa0-8c94-d331b31fe472', name: 'echo' } }),
  );
  const once = (): Promise<'ok'> =>
    new Promise((resolve, reject) =>
      client.makeUnaryRequest(
        '/mch.bench.Echo/Echo',
        (b: Buffer) => b,
        (b: Buffer) => b,
        payload,
        new Metadata(),
        {},
        (error) => (error ? reject(error) : resolve('ok')),
      ),
    );
  try {
    for (let i = 0; i < 200; i++) await once();
    return await closedLoop('raw grpc-js echo (unary, 64-byte message)', concurrency, durationSeconds, once);
  } finally {
    client.close();
  }
}

/** GetPatientRecord straight to records, as a clinician (token and purpose in metadata): audited like any read. */
export async function grpcRecordRow(
  address: string,
  token: string,
  patientId: string,
  concurrency: number,
  durationSeconds: number,
): Promise<Row> {
  const client = createChannelClient(address);
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  metadata.set('x-mch-purpose', 'treatment');
  const once = async (): Promise<'ok'> => {
    await callUnary(client, RecordsServiceService.getPatientRecord, { patientId }, { metadata, timeoutMs: 10_000 });
    return 'ok';
  };
  try {
    for (let i = 0; i < 20; i++) await once();
    return await closedLoop(
      'GetPatientRecord straight to records over gRPC (audited)',
      concurrency,
      durationSeconds,
      once,
    );
  } finally {
    client.close();
  }
}
