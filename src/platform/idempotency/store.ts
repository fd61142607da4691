import type { Kysely, Selectable } from 'kysely';
import { asSchema, type Executor } from '../db/database.js';
import { prepare } from '../db/prepared.js';
import { inFlight, type IdempotencyTables } from './schema.js';
import type { SecretBox } from '../secrets/secret-box.js';

export type IdempotencyRecord = Selectable<IdempotencyTables['idempotency_keys']>;

export interface StoredResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** Which claim a write is for: the key, and the process that must still hold it. */
export interface ClaimRef {
  scope: string;
  key: string;
  owner: string;
}

/**
 * Durable idempotency keys: claimed while a request runs, then holding its response for replay. Every
 * write to a claim is fenced by its owner, so a process that lost its claim (its lease lapsed and another
 * took the key over) can neither answer for the key nor free it. Every POST claims and completes a key,
 * so those two statements are compiled once (see db/prepared.ts).
 */
/**
 * Answers are stored sealed under `secrets` when given: an answer may carry what must not lie in the
 * database as text (a sign-up's bearer token, a webhook endpoint's signing secret). One stored as text
 * before is read as it is.
 */
export function createIdempotencyStore(executor: Executor, secrets: SecretBox | null = null) {
  const db: Kysely<IdempotencyTables> = asSchema<IdempotencyTables>(executor);
  const claim = prepare<IdempotencyRecord>(executor, (d, r) =>
    asSchema<IdempotencyTables>(d)
      .insertInto('idempotency_keys')
      .values({
        scope: r.scope,
        key: r.key,
        method: r.method,
        path: r.path,
        fingerprint: r.fingerprint,
        state: r.state,
        status_code: r.status_code,
        headers: r.headers,
        body: r.body,
        created_at: r.created_at,
        expires_at: r.expires_at,
        locked_until: r.locked_until,
        owner: r.owner,
      })
      .onConflict((oc) => oc.columns(['scope', 'key']).doNothing()),
  );
  const complete = prepare<ClaimRef & { status_code: number; headers: string; body: string }>(executor, (d, v) =>
    asSchema<IdempotencyTables>(d)
      .updateTable('idempotency_keys')
      .set({ state: 'completed', status_code: v.status_code, headers: v.headers, body: v.body, owner: null })
      .where('scope', '=', v.scope)
      .where('key', '=', v.key)
      .where('owner', '=', v.owner)
      .where(inFlight()),
  );
  return {
    /** Claims the key for a new request; false when the key is already known (in flight or completed). */
    async claim(record: IdempotencyRecord): Promise<boolean> {
      const result = await claim.execute(executor, record);
      return Number(result.numAffectedRows ?? 0) === 1;
    },

    async get(scope: string, key: string): Promise<IdempotencyRecord | undefined> {
      const row = await db.selectFrom('idempotency_keys').selectAll().where('scope', '=', scope).where('key', '=', key).executeTakeFirst();
      return row?.body && secrets ? { ...row, body: secrets.open(row.body) } : row;
    },

    /** Takes over a claim whose owner stopped renewing it (it died); false if someone else did first or it completed. */
    async takeOver(scope: string, key: string, lapsedLock: string, owner: string, lockedUntil: string): Promise<boolean> {
      const result = await db
        .updateTable('idempotency_keys')
        .set({ locked_until: lockedUntil, owner })
        .where('scope', '=', scope)
        .where('key', '=', key)
        .where(inFlight())
        .where('locked_until', '=', lapsedLock)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /** Stores the answer; false when the claim is no longer this owner's (taken over, or already answered). */
    async complete(ref: ClaimRef, response: StoredResponse): Promise<boolean> {
      const result = await complete.execute(executor, {
        ...ref,
        status_code: response.statusCode,
        headers: JSON.stringify(response.headers),
        body: secrets && response.body !== '' ? secrets.seal(response.body) : response.body,
      });
      return Number(result.numAffectedRows ?? 0) === 1;
    },

    /** Frees a claim that produced nothing to replay; an answered key, or one another owner holds, stays. */
    release: (ref: ClaimRef) =>
      db
        .deleteFrom('idempotency_keys')
        .where('scope', '=', ref.scope)
        .where('key', '=', ref.key)
        .where('owner', '=', ref.owner)
        .where(inFlight())
        .execute(),

    /** Frees a key whose retention has passed, answered or not. */
    forget: (scope: string, key: string) => db.deleteFrom('idempotency_keys').where('scope', '=', scope).where('key', '=', key).execute(),

    /** Extends the lease of every claim `owner` holds. */
    renew: (owner: string, lockedUntil: string) =>
      db.updateTable('idempotency_keys').set({ locked_until: lockedUntil }).where('owner', '=', owner).where(inFlight()).execute(),

    deleteExpired: async (now: string) => {
      const result = await db.deleteFrom('idempotency_keys').where('expires_at', '<', now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
