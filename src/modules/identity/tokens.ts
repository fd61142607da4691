import { createHash, randomBytes } from 'node:crypto';

/** An opaque bearer token; only its hash is ever stored. */
export function newToken(): string {
  return `ot_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
