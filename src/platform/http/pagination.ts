import { Type, type TSchema } from 'typebox';
import { isId } from '../db/ids.js';
import { platformErrors } from './errors.js';

export const PageQuery = {
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'nextCursor of the previous page' })),
};

export function pageOf<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });
}

/** Opaque keyset cursors: the client sees base64url, the store sees the key it encoded. */
export function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined, isValid: (key: string) => boolean): string | undefined {
  if (cursor === undefined) return undefined;
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!isValid(key)) {
    throw platformErrors.error('validation_failed', 'cursor is not a cursor this list returned', {
      errors: [{ field: 'querystring.cursor', message: 'is not valid' }],
    });
  }
  return key;
}

/** A cursor over a list ordered by ids with `prefix` (`ord_…`): the id it encoded. */
export function decodeIdCursor(cursor: string | undefined, prefix: string): string | undefined {
  return decodeCursor(cursor, (key) => isId(key, prefix));
}

/** Splits a fetched page of limit+1 rows into the items and the cursor of the next page. */
export function paginate<T>(rows: T[], limit: number, keyOf: (row: T) => string): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null };
}
