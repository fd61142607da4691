import { v7 as uuidv7 } from 'uuid';

/**
 * A time-ordered id with a readable prefix (`prd_0193…`). Lexical order is creation order
 * (uuid v7 is monotonic within a process), which makes keyset pagination on the id cheap.
 */
export function newId(prefix: string): string {
  return `${prefix}_${uuidv7().replaceAll('-', '')}`;
}

const ID_SHAPE = /^[a-z]{2,4}_[0-9a-f]{32}$/;

export function isId(value: string, prefix?: string): boolean {
  return ID_SHAPE.test(value) && (prefix === undefined || value.startsWith(`${prefix}_`));
}

export function nowIso(): string {
  return new Date().toISOString();
}
