// Password hashing with Argon2id (memory-hard), at OWASP's recommended cost; and a constant-work check
// for unknown usernames so that timing does not reveal which accounts exist.
import { hash, verify } from '@node-rs/argon2';

/** Argon2id (the library's `Algorithm.Argon2id` is a const enum, which isolated modules cannot read). */
const ARGON2ID = 2;
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

let dummyHash: Promise<string> | undefined;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

/** Verifies `password` against `stored`, or burns the same work against a dummy hash when there is none. */
export async function verifyPassword(stored: string | undefined, password: string): Promise<boolean> {
  if (stored === undefined) {
    dummyHash ??= hashPassword('unknown account placeholder');
    await verify(await dummyHash, password).catch(() => false);
    return false;
  }
  return verify(stored, password).catch(() => false);
}
