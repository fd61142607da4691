import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** OWASP's recommendation for scrypt: N=2^17, r=8, p=1 (128 MiB and ~4× the work of the 2^15 used before). */
export const DEFAULT_COST = 17;
const PARAMS = { N: 2 ** DEFAULT_COST, r: 8, p: 1 };
const KEY_LENGTH = 64;
// A stored hash names its own cost: one needing more memory than this (twice the default's) is refused, not run.
const MAX_MEMORY = 2 * 128 * PARAMS.N * PARAMS.r;

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, { ...options, maxmem: 128 * options.N! * options.r! * 2 }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** `scrypt$N$r$p$salt$hash`, with a fresh random salt per password, at the given parameters (default: today's). */
export async function hashPassword(password: string, params = PARAMS): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Checks a password against a hash under the parameters the hash records, whatever they are. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  if (!plausible(params)) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'), params);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

function plausible({ N, r, p }: { N: number; r: number; p: number }): boolean {
  const powerOfTwo = Number.isInteger(N) && N > 1 && (N & (N - 1)) === 0;
  return powerOfTwo && Number.isInteger(r) && r >= 1 && Number.isInteger(p) && p >= 1 && p <= 16 && 128 * N * r <= MAX_MEMORY;
}

/** True when a hash was made under other parameters than `params`: the next successful login rehashes it. */
export function needsRehash(stored: string, params = PARAMS): boolean {
  const [scheme, n, r, p] = stored.split('$');
  return scheme !== 'scrypt' || Number(n) !== params.N || Number(r) !== params.r || Number(p) !== params.p;
}

/** Hashing at one cost (ORDERLY_PASSWORD_COST, log2 of scrypt's N), with the decoy for unknown emails at the same. */
export interface PasswordHashing {
  hash(password: string): Promise<string>;
  /** True when a stored hash was made at another cost: the next successful login rehashes it. */
  needsRehash(stored: string): boolean;
  /**
   * A hash no password matches, checked against when an email is unknown so both paths take the same time.
   * Made on first need: a process that never sees a login (a worker) does not spend the hash on starting.
   */
  decoy(): Promise<string>;
}

export function passwordHashing(cost = DEFAULT_COST): PasswordHashing {
  const params = { ...PARAMS, N: 2 ** cost };
  let decoy: Promise<string> | null = null;
  return {
    hash: (password) => hashPassword(password, params),
    needsRehash: (stored) => needsRehash(stored, params),
    decoy() {
      decoy ??= hashPassword(randomBytes(16).toString('hex'), params);
      return decoy;
    },
  };
}
