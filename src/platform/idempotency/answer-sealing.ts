import type { Kysely } from 'kysely';
import { asSchema, type Database } from '../db/database.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { IdempotencyTables } from './schema.js';

const PAGE = 500;

/**
 * Every stored answer written again sealed under the current key (those stored as text before sealing
 * existed too), a page per transaction, each only if it still holds what was read; the number changed.
 * For `orderly rotate-secret-key`: answers are kept a day, and one sealed under a key no longer
 * configured cannot be replayed.
 */
export async function sealStoredAnswers(database: Database, secrets: SecretBox): Promise<number> {
  const db: Kysely<IdempotencyTables> = asSchema<IdempotencyTables>(database.db);
  let sealed = 0;
  for (;;) {
    // Rows sealed here no longer match, so each page is new; a value no key opens stops the run (open throws).
    const due = await db
      .selectFrom('idempotency_keys')
      .select(['scope', 'key', 'body'])
      .where('body', 'is not', null)
      .where('body', '!=', '')
      .where('body', 'not like', `v1:${secrets.currentKeyId}:%`)
      .limit(PAGE)
      .execute();
    if (due.length === 0) return sealed;
    await database.db.transaction().execute(async (tx) => {
      const within = asSchema<IdempotencyTables>(tx);
      for (const row of due) {
        const result = await within
          .updateTable('idempotency_keys')
          .set({ body: secrets.seal(secrets.open(row.body!)) })
          .where('scope', '=', row.scope)
          .where('key', '=', row.key)
          .where('body', '=', row.body)
          .executeTakeFirst();
        sealed += Number(result.numUpdatedRows);
      }
    });
  }
}
