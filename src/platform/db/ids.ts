import { randomFillSync } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';

// Random bytes are drawn from a pool filled 4 KiB at a time: uuid's own source asks the OS for 16 bytes
// per id, which under webhook fan-out or checkout load was about 3 % of the process's CPU.
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;
const bytes = Buffer.alloc(16);
// uuid keeps v7 monotonic only when it draws the randomness itself; given the bytes, the clock and the
// counter are kept here, as it keeps them: a new millisecond starts from random bits, the same one counts up.
let lastMs = -Infinity;
let seq = 0;

function random16(): Buffer {
  if (poolOffset + 16 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  poolOffset += 16;
  return pool.subarray(poolOffset - 16, poolOffset);
}

/**
 * A time-ordered id with a readable prefix (`prd_0193…`). Lexical order is creation order
 * (uuid v7, monotonic within a process), which makes keyset pagination on the id cheap.
 */
export function newId(prefix: string): string {
  const rnds = random16();
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    seq = ((rnds[6]! & 0x7f) << 24) | (rnds[7]! << 16) | (rnds[8]! << 8) | rnds[9]!;
  } else {
    seq = (seq + 1) | 0;
    if (seq === 0) lastMs += 1;
  }
  uuidv7({ random: rnds, msecs: lastMs, seq }, bytes);
  return `${prefix}_${bytes.toString('hex')}`;
}

const ID_SHAPE = /^[a-z]{2,4}_[0-9a-f]{32}$/;

export function isId(value: string, prefix?: string): boolean {
  // The prefix first, without building "prefix_": this runs on every read by id.
  if (prefix !== undefined && !(value.startsWith(prefix) && value.charCodeAt(prefix.length) === UNDERSCORE)) return false;
  return ID_SHAPE.test(value);
}

const UNDERSCORE = 0x5f;

export function nowIso(): string {
  return new Date().toISOString();
}

/**
 * The lowest id `newId(prefix)` can make at `at`: every id made before then sorts below it, so a walk
 * of a table's primary key up to it visits only rows created before `at`.
 */
export function firstIdAt(prefix: string, at: Date): string {
  return `${prefix}_${Math.max(0, at.getTime()).toString(16).padStart(12, '0')}${'0'.repeat(20)}`;
}
