// Signing keys for access tokens: Ed25519, rotated on a schedule, every unexpired public key published in
// the JWKS so tokens signed just before a rotation still verify. Stored in identity's schema, hence in both zones.
// (A KMS or a Kubernetes Secret would be the better home for private keys; see the issue notes.)
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, JWK, JSONWebKeySet, KeyLike, SignJWT } from 'jose';
import { AccessClaims, TOKEN_ALGORITHM, TOKEN_AUDIENCE, TOKEN_ISSUER } from '../../common/src/auth/principal';
import type { Database } from '../../common/src/pg/database';

export const ACCESS_TOKEN_TTL_SECONDS = 10 * 60;
const KEY_ROTATION_DAYS = 30;
/** A retired key stays published long enough for every token it signed to expire. */
const KEY_PUBLISHED_AFTER_ROTATION_MS = 2 * ACCESS_TOKEN_TTL_SECONDS * 1000;
const CACHE_MS = 60_000;

interface SigningKeyRow {
  kid: string;
  private_jwk: JWK;
  public_jwk: JWK;
  created_at: Date;
  retire_at: Date;
}

export class KeyStore {
  private signing: { kid: string; key: KeyLike | Uint8Array; readAt: number; createdAt: Date } | undefined;
  private published: { jwks: JSONWebKeySet; readAt: number } | undefined;

  constructor(private readonly db: Database) {}

  /** Makes sure a current signing key exists, creating or rotating one under a table lock. */
  async ensureCurrentKey(now = new Date()): Promise<void> {
    await this.db.withTransaction(async (tx) => {
      await tx.query('LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE');
      const { rows } = await tx.query<{ created_at: Date }>(
        'SELECT created_at FROM signing_keys ORDER BY created_at DESC LIMIT 1',
      );
      const newest = rows[0];
      if (newest && now.getTime() - newest.created_at.getTime() < KEY_ROTATION_DAYS * 86_400_000) return;
      const { privateKey, publicKey } = await generateKeyPair(TOKEN_ALGORITHM, { crv: 'Ed25519', extractable: true });
      const kid = randomUUID();
      const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: TOKEN_ALGORITHM, use: 'sig' };
      const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: TOKEN_ALGORITHM };
      // The previous key keeps verifying until its last tokens expire.
      await tx.query(`UPDATE signing_keys SET retire_at = least(retire_at, $1) WHERE retire_at > $1`, [
        new Date(now.getTime() + KEY_PUBLISHED_AFTER_ROTATION_MS),
      ]);
      await tx.query('INSERT INTO signing_keys (kid, private_jwk, public_jwk, retire_at) VALUES ($1, $2, $3, $4)', [
        kid,
        privateJwk,
        publicJwk,
        new Date(now.getTime() + (KEY_ROTATION_DAYS + 1) * 86_400_000),
      ]);
    });
    this.signing = undefined;
    this.published = undefined;
  }

  private async currentSigningKey(): Promise<{ kid: string; key: KeyLike | Uint8Array }> {
    if (this.signing && Date.now() - this.signing.readAt < CACHE_MS) return this.signing;
    const rows = await this.db.query<SigningKeyRow>(
      'SELECT * FROM signing_keys WHERE retire_at > now() ORDER BY created_at DESC LIMIT 1',
    );
    const row = rows[0];
    if (!row) throw new Error('no signing key; ensureCurrentKey() was not run');
    this.signing = {
      kid: row.kid,
      key: await importJWK(row.private_jwk, TOKEN_ALGORITHM),
      readAt: Date.now(),
      createdAt: row.created_at,
    };
    return this.signing;
  }

  async jwks(): Promise<JSONWebKeySet> {
    if (this.published && Date.now() - this.published.readAt < CACHE_MS) return this.published.jwks;
    const rows = await this.db.query<SigningKeyRow>(
      'SELECT public_jwk FROM signing_keys WHERE retire_at > now() ORDER BY created_at DESC',
    );
    this.published = { jwks: { keys: rows.map((row) => row.public_jwk) }, readAt: Date.now() };
    return this.published.jwks;
  }

  async signAccessToken(subject: string, claims: AccessClaims): Promise<string> {
    const { kid, key } = await this.currentSigningKey();
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid, typ: 'at+jwt' })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime(`${ACCESS_TOKEN_TTL_SECONDS}s`)
      .setJti(randomUUID())
      .sign(key);
  }
}
