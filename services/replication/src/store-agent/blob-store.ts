// One zone's blobs on its own volume, named by their SHA-256: `blobs/<first two hex>/<sha256>`. A blob is written
// to `tmp/`, flushed, checked against its hash and renamed into place (then the directory is flushed), so a name
// always holds whole, verified bytes or nothing. Corrupt copies are moved to `quarantine/` for a repair.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { DataLossError, InvalidArgumentError, NotFoundError } from '../../../common/src/errors';
import { SHA256_HEX } from '../domain/objects';

/** Bytes per message when a blob is streamed out. */
export const READ_CHUNK_BYTES = 256 * 1024;

export function requireSha256(value: string, field = 'sha256'): string {
  if (!SHA256_HEX.test(value)) throw InvalidArgumentError.field(field, 'must be a SHA-256 as 64 lowercase hex digits');
  return value;
}

export interface StoredBlob {
  readonly sha256: string;
  readonly size: number;
  readonly alreadyPresent: boolean;
}

export interface BlobCheck {
  readonly present: boolean;
  readonly size: number;
  readonly verified: boolean;
  readonly corrupt: boolean;
  readonly modifiedAt?: Date;
}

async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function hashFile(file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: READ_CHUNK_BYTES })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

export class BlobStore {
  private readonly blobs: string;
  private readonly tmp: string;
  private readonly quarantine: string;

  constructor(
    readonly root: string,
    private readonly maxBlobBytes: number,
  ) {
    this.blobs = path.join(root, 'blobs');
    this.tmp = path.join(root, 'tmp');
    this.quarantine = path.join(root, 'quarantine');
  }

  /** Creates the layout and removes temporary files a crash left behind (they were never acknowledged). */
  async open(): Promise<void> {
    for (const dir of [this.blobs, this.tmp, this.quarantine]) await mkdir(dir, { recursive: true, mode: 0o700 });
    await rm(this.tmp, { recursive: true, force: true });
    await mkdir(this.tmp, { mode: 0o700 });
    await fsyncDirectory(this.root);
  }

  pathOf(sha256: string): string {
    return path.join(this.blobs, sha256.slice(0, 2), sha256);
  }

  /**
   * Writes the chunks to a temporary file and renames it into place once flushed and verified. `expected` is checked
   * when given (size and hash); a failure, or an abort through `signal`, leaves nothing behind.
   */
  async put(
    chunks: AsyncIterable<Buffer>,
    expected: { sha256?: string; size?: number },
    signal?: AbortSignal,
  ): Promise<StoredBlob> {
    const tmpFile = path.join(this.tmp, randomUUID());
    const handle = await open(tmpFile, 'wx', 0o600);
    let closed = false;
    try {
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of chunks) {
        if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
        size += chunk.length;
        if (size > this.maxBlobBytes)
          throw InvalidArgumentError.field('size', `a blob may hold at most ${this.maxBlobBytes} bytes`);
        if (expected.size && size > expected.size)
          throw InvalidArgumentError.field('size', `more bytes than the declared ${expected.size}`);
        hash.update(chunk);
        await handle.write(chunk);
      }
      if (expected.size && size !== expected.size)
        throw InvalidArgumentError.field('size', `${size} bytes received, ${expected.size} declared`);
      const sha256 = hash.digest('hex');
      if (expected.sha256 && expected.sha256 !== sha256)
        throw InvalidArgumentError.field('sha256', 'the bytes received do not hash to the declared SHA-256');
      await handle.sync();
      await handle.close();
      closed = true;

      const target = this.pathOf(sha256);
      const existing = await this.check(sha256, true);
      if (existing.verified) {
        await rm(tmpFile, { force: true });
        return { sha256, size, alreadyPresent: true };
      }
      const fanOut = path.dirname(target);
      await mkdir(fanOut, { recursive: true, mode: 0o700 });
      await rename(tmpFile, target);
      await fsyncDirectory(fanOut);
      await fsyncDirectory(this.blobs);
      return { sha256, size, alreadyPresent: false };
    } catch (error) {
      if (!closed) await handle.close().catch(() => undefined);
      await rm(tmpFile, { force: true });
      throw error;
    }
  }

  async check(sha256: string, verify: boolean): Promise<BlobCheck> {
    const file = this.pathOf(sha256);
    let size: number;
    let modifiedAt: Date;
    try {
      ({ size, mtime: modifiedAt } = await stat(file));
    } catch {
      return { present: false, size: 0, verified: false, corrupt: false };
    }
    if (!verify) return { present: true, size, verified: false, corrupt: false, modifiedAt };
    const actual = await hashFile(file).catch(() => undefined);
    const verified = actual?.sha256 === sha256;
    return { present: true, size, verified, corrupt: !verified, modifiedAt };
  }

  /**
   * The blob's bytes, after re-hashing the copy on disk: a copy that no longer matches its name is never served.
   * Returns the size and a stream of chunks.
   */
  async read(sha256: string): Promise<{ size: number; chunks: AsyncIterable<Buffer> }> {
    const check = await this.check(sha256, true);
    if (!check.present) throw new NotFoundError(`no blob ${sha256} in this zone`, 'BLOB_NOT_FOUND');
    if (check.corrupt) throw new DataLossError(`the copy of ${sha256} in this zone is corrupt`, 'BLOB_CORRUPT');
    return {
      size: check.size,
      chunks: createReadStream(this.pathOf(sha256), { highWaterMark: READ_CHUNK_BYTES }) as AsyncIterable<Buffer>,
    };
  }

  /** Names after `after`, in order, at most `limit`. */
  async list(after: string, limit: number): Promise<string[]> {
    const names: string[] = [];
    const fanOuts = (await readdir(this.blobs))
      .filter((dir) => /^[0-9a-f]{2}$/.test(dir) && dir >= after.slice(0, 2))
      .sort();
    for (const fanOut of fanOuts) {
      const entries = (await readdir(path.join(this.blobs, fanOut)))
        .filter((name) => SHA256_HEX.test(name) && name > after)
        .sort();
      for (const name of entries) {
        names.push(name);
        if (names.length >= limit) return names;
      }
    }
    return names;
  }

  /** Moves a copy aside (kept for inspection) so that the name is free for a good copy. */
  async quarantineBlob(sha256: string): Promise<boolean> {
    try {
      await rename(this.pathOf(sha256), path.join(this.quarantine, `${sha256}.${Date.now()}`));
      await fsyncDirectory(path.dirname(this.pathOf(sha256)));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }
}
