// The store agent over real gRPC on loopback, on a temporary directory: a blob is stored whole and verified or
// not at all (a wrong hash or a cancelled upload leaves no file and no temporary file), a corrupt copy is never
// served and can be replaced, the client-streaming path of the kit's adapter maps errors and cancellation, and only
// the replication service's token is served (no token, a user's or another service's: refused on every method).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Metadata, Server, ServerCredentials, status as GrpcStatus } from '@grpc/grpc-js';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { TOKEN_ALGORITHM, TOKEN_AUDIENCE, TOKEN_ISSUER } from '../../../common/src/auth/principal';
import { TokenVerifier } from '../../../common/src/auth/tokens';
import { adaptService } from '../../../common/src/grpc/adapter';
import {
  callUnary,
  createChannelClient,
  isServiceError,
  openClientStream,
  openServerStream,
} from '../../../common/src/grpc/client';
import { createLogger } from '../../../common/src/logger';
import { StoreAgentServiceService as Agent } from '../../../common/src/gen/mch/replication/v1/store_agent';
import { BlobStore } from './blob-store';
import { storeAgentHandlers } from './handlers';

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

let dir: string;
let server: Server;
let client: Client;
let signingKey: KeyLike;
/** The replication service's metadata, the one caller the agent serves. */
let auth: Metadata;

async function tokenMetadata(claims: Record<string, unknown>): Promise<Metadata> {
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: 'test-key' })
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setSubject(randomUUID())
    .setIssuedAt()
    .setExpirationTime('10m')
    .setJti(randomUUID())
    .sign(signingKey);
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

async function put(
  bytes: Buffer,
  header: { sha256?: string; size?: number } = {},
  pieces = 4,
): Promise<{ sha256: string; size: string; alreadyPresent: boolean }> {
  const call = openClientStream(client, Agent.putBlob, { timeoutMs: 10_000, metadata: auth });
  await call.write({ header: { sha256: header.sha256 ?? '', size: String(header.size ?? bytes.length) } });
  const step = Math.ceil(bytes.length / pieces);
  for (let at = 0; at < bytes.length; at += step) await call.write({ chunk: bytes.subarray(at, at + step) });
  return call.end();
}

async function get(id: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const message of openServerStream(
    client,
    Agent.getBlob,
    { sha256: id },
    { timeoutMs: 10_000, metadata: auth },
  ) as AsyncIterable<{ chunk: Buffer }>)
    parts.push(message.chunk);
  return Buffer.concat(parts);
}

async function codeOf(run: () => Promise<unknown>): Promise<number | undefined> {
  try {
    await run();
  } catch (error) {
    return isServiceError(error) ? error.code : -1;
  }
  return undefined;
}

const blobPath = (id: string): string => path.join(dir, 'blobs', id.slice(0, 2), id);
const temporaryFiles = (): string[] => readdirSync(path.join(dir, 'tmp'));

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mch-agent-'));
  const store = new BlobStore(dir, 8 * 1024 * 1024);
  await store.open();
  const keys = await generateKeyPair(TOKEN_ALGORITHM, { crv: 'Ed25519' });
  signingKey = keys.privateKey;
  const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'test-key', alg: TOKEN_ALGORITHM, use: 'sig' };
  auth = await tokenMetadata({ kind: 'service', svc: 'replication' });
  server = new Server();
  const authentication = {
    verifier: new TokenVerifier(async () => ({ keys: [jwk] })),
    publicMethods: new Set<string>(),
  };
  server.addService(
    Agent,
    adaptService(Agent, storeAgentHandlers(store), { logger: createLogger('agent-test', 'silent'), authentication }),
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  client = createChannelClient(`127.0.0.1:${port}`);
});

afterAll(() => {
  client.close();
  server.forceShutdown();
  rmSync(dir, { recursive: true, force: true });
});

describe('the store agent', () => {
  it('stores a streamed blob under its hash and serves it back identical', async () => {
    const bytes = randomBytes(700_000);
    const stored = await put(bytes);
    expect(stored).toEqual({ sha256: sha256(bytes), size: String(bytes.length), alreadyPresent: false });
    expect(readFileSync(blobPath(sha256(bytes))).equals(bytes)).toBe(true);
    expect((await get(sha256(bytes))).equals(bytes)).toBe(true);
    expect(await put(bytes, { sha256: sha256(bytes) })).toMatchObject({ alreadyPresent: true });
    expect(
      await callUnary(client, Agent.hasBlob, { sha256: sha256(bytes), verify: true }, { metadata: auth }),
    ).toMatchObject({ present: true, size: String(bytes.length), verified: true, corrupt: false });
    expect(temporaryFiles()).toEqual([]);
  });

  it('refuses bytes that do not match the declared hash or size, keeping nothing', async () => {
    const bytes = randomBytes(10_000);
    const claimed = sha256(Buffer.from('something else'));
    expect(await codeOf(() => put(bytes, { sha256: claimed }))).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(await codeOf(() => put(bytes, { size: bytes.length - 1 }))).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(existsSync(blobPath(claimed))).toBe(false);
    expect(existsSync(blobPath(sha256(bytes)))).toBe(false);
    expect(temporaryFiles()).toEqual([]);
    expect(await codeOf(() => get('z'.repeat(64)))).toBe(GrpcStatus.INVALID_ARGUMENT);
  });

  it('keeps nothing of an upload the caller cancels half way', async () => {
    const call = openClientStream(client, Agent.putBlob, { timeoutMs: 10_000, metadata: auth });
    await call.write({ header: { sha256: '', size: '0' } });
    await call.write({ chunk: randomBytes(100_000) });
    call.cancel();
    expect(await codeOf(() => call.outcome)).toBe(GrpcStatus.CANCELLED);
    for (let attempt = 0; attempt < 100 && temporaryFiles().length > 0; attempt++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(temporaryFiles()).toEqual([]);
  });

  it('never serves a corrupt copy, reports it, and takes a good copy in its place', async () => {
    const bytes = randomBytes(50_000);
    const id = sha256(bytes);
    await put(bytes);
    const rotten = Buffer.from(bytes);
    rotten[10] = (rotten[10] ?? 0) ^ 1;
    writeFileSync(blobPath(id), rotten);
    expect(await codeOf(() => get(id))).toBe(GrpcStatus.DATA_LOSS);
    expect(await callUnary(client, Agent.hasBlob, { sha256: id, verify: true }, { metadata: auth })).toMatchObject({
      present: true,
      verified: false,
      corrupt: true,
    });
    expect(await put(bytes, { sha256: id })).toMatchObject({ alreadyPresent: false });
    expect((await get(id)).equals(bytes)).toBe(true);
    expect(await callUnary(client, Agent.deleteBlob, { sha256: id }, { metadata: auth })).toEqual({ removed: true });
    expect(await codeOf(() => get(id))).toBe(GrpcStatus.NOT_FOUND);
    expect(readdirSync(path.join(dir, 'quarantine')).some((name) => name.startsWith(id))).toBe(true);
  });

  it('lists blob names in order, a page at a time', async () => {
    const names = (await callUnary(client, Agent.listBlobs, { after: '', pageSize: 100 }, { metadata: auth })).sha256s;
    expect(names).toEqual([...names].sort());
    const [first] = names;
    const rest = (await callUnary(client, Agent.listBlobs, { after: first ?? '', pageSize: 100 }, { metadata: auth }))
      .sha256s;
    expect(rest).toEqual(names.slice(1));
  });

  it('serves no one but the replication service: no token, a staff token, another service refused on every method', async () => {
    const stored = await put(randomBytes(1_000));
    const callers: Array<[string, Metadata, number]> = [
      ['no token', new Metadata(), GrpcStatus.UNAUTHENTICATED],
      [
        'a clinician',
        await tokenMetadata({ kind: 'staff', roles: ['clinician'], inst: randomUUID() }),
        GrpcStatus.PERMISSION_DENIED,
      ],
      ['the records service', await tokenMetadata({ kind: 'service', svc: 'records' }), GrpcStatus.PERMISSION_DENIED],
    ];
    for (const [who, metadata, code] of callers) {
      const drain = async (): Promise<void> => {
        for await (const _ of openServerStream(
          client,
          Agent.getBlob,
          { sha256: stored.sha256 },
          { timeoutMs: 10_000, metadata },
        ) as AsyncIterable<unknown>);
      };
      const upload = async (): Promise<unknown> => {
        const call = openClientStream(client, Agent.putBlob, { timeoutMs: 10_000, metadata });
        await call.write({ header: { sha256: '', size: '3' } }).catch(() => undefined);
        await call.write({ chunk: Buffer.from('abc') }).catch(() => undefined);
        return call.end();
      };
      const codes = {
        putBlob: await codeOf(upload),
        getBlob: await codeOf(drain),
        hasBlob: await codeOf(() =>
          callUnary(client, Agent.hasBlob, { sha256: stored.sha256, verify: false }, { metadata }),
        ),
        listBlobs: await codeOf(() => callUnary(client, Agent.listBlobs, { after: '', pageSize: 10 }, { metadata })),
        deleteBlob: await codeOf(() => callUnary(client, Agent.deleteBlob, { sha256: stored.sha256 }, { metadata })),
      };
      expect({ who, codes }).toEqual({
        who,
        codes: { putBlob: code, getBlob: code, hasBlob: code, listBlobs: code, deleteBlob: code },
      });
    }
    expect(existsSync(blobPath(sha256(Buffer.from('abc'))))).toBe(false);
    expect((await get(stored.sha256)).length).toBe(1_000);
  });
});
