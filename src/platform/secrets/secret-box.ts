import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** A 32-byte AES-256 key and its id: the first 8 hex digits of its SHA-256, so there is nothing more to configure. */
export interface SecretKey {
  id: string;
  key: Buffer;
}

/**
 * Encrypts what must be read back (webhook signing secrets) with AES-256-GCM. Values are stored as
 * `v1:<key id>:<iv>:<tag>:<ciphertext>` (base64url parts): the key id says which key opens it, so keys
 * can rotate — the current key seals, any configured key opens.
 */
export interface SecretBox {
  /** The id of the key new values are sealed under. */
  readonly currentKeyId: string;
  seal(plain: string): string;
  /**
   * The plain text of a stored value. A value stored before sealing existed (no `v1:` prefix) is returned
   * as it is. Throws when the key that sealed it is not configured, or when it was altered.
   */
  open(stored: string): string;
  /** Sealed under the current key already: nothing for `orderly rotate-secret-key` to do. */
  isCurrent(stored: string): boolean;
  /**
   * A keyed digest of `text`, `h1:<key id>:<hex>` (HMAC-SHA256 under a key derived from the current one):
   * recognises a request again without storing what would let its body (a password) be guessed offline.
   */
  digest(text: string): string;
  /**
   * `stored` is `text`'s digest under any configured key, or its plain SHA-256 (stored before digests were
   * keyed). A digest under a key no longer configured cannot be checked and is taken as matching: for
   * Idempotency-Key, answering a retry as the first request beats refusing it (its client might then
   * send it again under a new key, and pay twice).
   */
  digestMatches(text: string, stored: string): boolean;
}

const PREFIX = 'v1';
const IV_BYTES = 12;

export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/** A key written as 64 hex digits or as base64 (or base64url) of 32 bytes; throws naming what is wrong. */
export function parseSecretKey(text: string): SecretKey {
  const trimmed = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32 || (!/^[0-9a-f]{64}$/i.test(trimmed) && !/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)))
    throw new Error('must be 32 bytes, written as 64 hex digits or 44 characters of base64 (e.g. `openssl rand -base64 32`)');
  return { id: keyIdOf(key), key };
}

export function generateSecretKey(): SecretKey {
  const key = randomBytes(32);
  return { id: keyIdOf(key), key };
}

/** Marks a stored value sealed (as opposed to one written before sealing existed). */
export const isSealed = (stored: string): boolean => stored.startsWith(`${PREFIX}:`);

export function createSecretBox(current: SecretKey, previous: SecretKey[] = []): SecretBox {
  const keys = new Map<string, Buffer>();
  for (const k of [current, ...previous]) if (!keys.has(k.id)) keys.set(k.id, k.key);
  // A key of its own for digests: the encryption key is not used for two purposes.
  const digestKeys = new Map([...keys].map(([id, key]) => [id, Buffer.from(hkdfSync('sha256', key, '', 'orderly digest', 32))]));
  const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest('hex');

  return {
    currentKeyId: current.id,
    seal(plain) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv);
      const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      const parts = [iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString('base64url'));
      return [PREFIX, current.id, ...parts].join(':');
    },
    open(stored) {
      if (!isSealed(stored)) return stored;
      const [, keyId, iv, tag, ciphertext] = stored.split(':');
      if (keyId === undefined || iv === undefined || tag === undefined || ciphertext === undefined)
        throw new Error('a sealed secret is malformed');
      const key = keys.get(keyId);
      if (!key)
        throw new Error(`a secret is sealed under key ${keyId}, which is neither ORDERLY_SECRET_KEY nor in ORDERLY_SECRET_KEY_PREVIOUS`);
      const authTag = Buffer.from(tag, 'base64url');
      // A shortened tag would authenticate far less: only the full 16 bytes are accepted.
      if (authTag.length !== 16) throw new Error(`a secret sealed under key ${keyId} does not authenticate: it was altered`);
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), { authTagLength: 16 });
      decipher.setAuthTag(authTag);
      try {
        return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        throw new Error(`a secret sealed under key ${keyId} does not authenticate: it was altered`);
      }
    },
    isCurrent: (stored) => stored.startsWith(`${PREFIX}:${current.id}:`),
    digest: (text) => `h1:${current.id}:${hmac(digestKeys.get(current.id)!, text)}`,
    digestMatches(text, stored) {
      const [scheme, keyId, hex] = stored.split(':');
      if (scheme === 'h1' && keyId !== undefined && !digestKeys.has(keyId)) return true;
      const expected =
        scheme === 'h1' && keyId !== undefined && hex !== undefined
          ? hmac(digestKeys.get(keyId)!, text)
          : createHash('sha256').update(text).digest('hex');
      const actual = scheme === 'h1' ? hex : stored;
      return actual !== undefined && actual.length === expected.length && timingSafeEqual(Buffer.from(actual), Buffer.from(expected));
    },
  };
}
