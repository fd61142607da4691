import type { Kysely, Selectable } from 'kysely';
import { asSchema, type Executor } from '../db/database.js';
import { prepare } from '../db/prepared.js';
import type { IdempotencyTables } from './schema.js';

export type IdempotencyRecord = Selectable<IdempotencyTables['idempotency_keys']>;

export interface StoredResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Durable idempotency keys: claimed while a request runs, then holding its response for replay. Every
 * POST claims and completes a key, so those two statements are compiled once (see db/prepared.ts).
 */
export function idempotencyStore(executor: Executor) {
  const db: Kysely<IdempotencyTables> = asSchema<IdempotencyTables>(executor);
  const claim = prepare<IdempotencyRecord>(executor, (d, r) => asSchema<IdempotencyTables>(d)
    .insertInto('idempotency_keys')
    .values({
      scope: r.scope, key: r.key, method: r.method, path: r.path, fingerprint: r.fingerprint, state: r.state, status_code: r.status_code,
      headers: r.headers, body: r.body, created_at: r.created_at, expires_at: r.expires_at, locked_until: r.locked_until,
    })
    .onConflict((oc) => oc.columns(['scope', 'key']).doNothing()));
  const complete = prepare<{ scope: string; key: string; status_code: number; headers: string; body: string }>(executor, (d, v) => asSchema<IdempotencyTables>(d)
    .updateTable('idempotency_keys')
    .set({ state: 'completed', status_code: v.status_code, headers: v.headers, body: v.body })
    .where('scope', '=', v.scope)
    .where('key', '=', v.key));
  return {
    /** Claims the key for a new request; false when the key is already known (in flight or completed). */
    async claim(record: IdempotencyRecord): Promise<boolean> {
      const result = await claim.execute(executor, record);
      return Number(result.numAffectedRows ?? 0) === 1;
    },

    get: (scope: string, key: string) => db.selectFrom('idempotency_keys').selectAll().where('scope', '=', scope).where('key', '=', key).executeTakeFirst(),

    /** Takes over a claim whose request died without answering (its lock lapsed); false if someone else did first. */
    async takeOver(scope: string, key: string, lapsedLock: string, lockedUntil: string): Promise<boolean> {
      const result = await db.updateTable('idempotency_keys').set({ locked_until: lockedUntil })
        .where('scope', '=', scope).where('key', '=', key).where('state', '=', 'in_flight').where('locked_until', '=', lapsedLock)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async complete(scope: string, key: string, response: StoredResponse): Promise<void> {
      await complete.execute(executor, { scope, key, status_code: response.statusCode, headers: JSON.stringify(response.headers), body: response.body });
    },

    release: (scope: string, key: string) => db.deleteFrom('idempotency_keys').where('scope', '=', scope).where('key', '=', key).execute(),

    deleteExpired: async (now: string) => {
      const result = await db.deleteFrom('idempotency_keys').where('expires_at', '<', now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
