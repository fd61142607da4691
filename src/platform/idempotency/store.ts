import type { Kysely, Selectable } from 'kysely';
import { asSchema, type Executor } from '../db/database.js';
import type { IdempotencyTables } from './schema.js';

export type IdempotencyRecord = Selectable<IdempotencyTables['idempotency_keys']>;

export interface StoredResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** Durable idempotency keys: claimed while a request runs, then holding its response for replay. */
export function idempotencyStore(executor: Executor) {
  const db: Kysely<IdempotencyTables> = asSchema<IdempotencyTables>(executor);
  return {
    /** Claims the key for a new request; false when the key is already known (in flight or completed). */
    async claim(record: IdempotencyRecord): Promise<boolean> {
      const result = await db.insertInto('idempotency_keys').values(record).onConflict((oc) => oc.columns(['scope', 'key']).doNothing()).executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
    },

    get: (scope: string, key: string) => db.selectFrom('idempotency_keys').selectAll().where('scope', '=', scope).where('key', '=', key).executeTakeFirst(),

    /** Takes over a claim whose request died without answering (its lock lapsed); false if someone else did first. */
    async takeOver(scope: string, key: string, lapsedLock: string, lockedUntil: string): Promise<boolean> {
      const result = await db.updateTable('idempotency_keys').set({ locked_until: lockedUntil })
        .where('scope', '=', scope).where('key', '=', key).where('state', '=', 'in_flight').where('locked_until', '=', lapsedLock)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    complete: (scope: string, key: string, response: StoredResponse) =>
      db.updateTable('idempotency_keys')
        .set({ state: 'completed', status_code: response.statusCode, headers: JSON.stringify(response.headers), body: response.body })
        .where('scope', '=', scope).where('key', '=', key)
        .execute(),

    release: (scope: string, key: string) => db.deleteFrom('idempotency_keys').where('scope', '=', scope).where('key', '=', key).execute(),

    deleteExpired: async (now: string) => {
      const result = await db.deleteFrom('idempotency_keys').where('expires_at', '<', now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
