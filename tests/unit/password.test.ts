import { randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashPassword, needsRehash, verifyPassword } from '../../src/modules/identity/password.js';
import { isCommonPassword } from '../../src/modules/identity/password-policy.js';

function hashWith(password: string, N: number, r = 8, p = 1): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 64, { N, r, p, maxmem: 256 * N * r });
  return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

describe('password hashes', () => {
  it('makes new hashes at N=2^17, r=8, p=1, each with its own salt', async () => {
    const [a, b] = await Promise.all([hashPassword('correct-horse-1'), hashPassword('correct-horse-1')]);
    expect(a).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(a.split('$')[4]).not.toBe(b!.split('$')[4]);
    expect(await verifyPassword('correct-horse-1', a)).toBe(true);
    expect(await verifyPassword('correct-horse-2', a)).toBe(false);
    expect(needsRehash(a)).toBe(false);
  });

  it('verifies an older hash under the parameters it records, and marks it for rehashing', async () => {
    const old = hashWith('correct-horse-1', 2 ** 14);
    expect(await verifyPassword('correct-horse-1', old)).toBe(true);
    expect(await verifyPassword('wrong-horse-1', old)).toBe(false);
    expect(needsRehash(old)).toBe(true);
    expect(needsRehash(hashWith('x', 2 ** 10, 4))).toBe(true);
  });

  it('refuses, without running them, hashes that are malformed or would cost more than twice today', async () => {
    const good = hashWith('pw-123456', 2 ** 10).split('$');
    for (const params of [
      ['3000', '8', '1'],
      ['0', '8', '1'],
      [String(2 ** 20), '8', '1'],
      [String(2 ** 17), '64', '1'],
      ['1024', '8', '0'],
      ['abc', '8', '1'],
    ]) {
      expect(await verifyPassword('pw-123456', ['scrypt', ...params, good[4], good[5]].join('$')), params.join(',')).toBe(false);
    }
    expect(await verifyPassword('pw-123456', 'bcrypt$whatever')).toBe(false);
    expect(await verifyPassword('pw-123456', '')).toBe(false);
  });
});

describe('common passwords', () => {
  it('knows the usual suspects, in any case, and lets an uncommon passphrase through', () => {
    for (const p of ['password', 'Password1', 'QWERTYUIOP', '12345678', 'iloveyou', 'trustno1']) expect(isCommonPassword(p), p).toBe(true);
    for (const p of ['correct-horse-1', 'analytical-engine', 'a-much-better-passphrase']) expect(isCommonPassword(p), p).toBe(false);
  });
});
