import type { Database } from '../../platform/db/database.js';
import { nowIso } from '../../platform/db/ids.js';
import type { SecretBox } from '../../platform/secrets/secret-box.js';
import { isSealed } from '../../platform/secrets/secret-box.js';
import { endpointsChanged, webhookDb, type EndpointRow } from './store.js';

/** `plain`: only secrets stored before sealing existed (start-up); `all`: also those under an older key (a key rotation). */
export type SealScope = 'plain' | 'all';

export interface SealCount {
  /** Endpoints looked at. */
  endpoints: number;
  /** Endpoints whose stored secrets were written again. */
  sealed: number;
}

const PAGE = 500;

/**
 * Writes every endpoint's stored secrets sealed under the current key, a page of endpoints per
 * transaction. Each row is changed only if it still holds what was read, so a secret rotated meanwhile is
 * left as its rotation wrote it (sealed under the current key already). A previous secret whose overlap
 * is over is dropped rather than kept. Running it again finds nothing to do.
 */
export async function sealEndpointSecrets(database: Database, secrets: SecretBox, scope: SealScope): Promise<SealCount> {
  const due = (stored: string) => (scope === 'plain' ? !isSealed(stored) : !secrets.isCurrent(stored));
  const count: SealCount = { endpoints: 0, sealed: 0 };
  let after = '';
  for (;;) {
    const page = await webhookDb(database.db)
      .selectFrom('webhook_endpoints')
      .select(['id', 'secret', 'previous_secret', 'previous_secret_until'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(PAGE)
      .execute();
    if (page.length === 0) return count;
    after = page[page.length - 1]!.id;
    count.endpoints += page.length;
    const now = nowIso();
    const changes = page.flatMap((row) => {
      const change = resealed(row, now, due, secrets);
      return change ? [{ row, change }] : [];
    });
    if (changes.length === 0) continue;
    await database.db.transaction().execute(async (tx) => {
      const w = webhookDb(tx);
      for (const { row, change } of changes) {
        let update = w.updateTable('webhook_endpoints').set(change).where('id', '=', row.id).where('secret', '=', row.secret);
        update =
          row.previous_secret === null
            ? update.where('previous_secret', 'is', null)
            : update.where('previous_secret', '=', row.previous_secret);
        if (Number((await update.executeTakeFirst()).numUpdatedRows) === 1) count.sealed += 1;
      }
      await endpointsChanged(w);
    });
  }
}

type StoredSecrets = Pick<EndpointRow, 'secret' | 'previous_secret' | 'previous_secret_until'>;

function resealed(row: StoredSecrets, now: string, due: (stored: string) => boolean, secrets: SecretBox): StoredSecrets | null {
  const previousOver = row.previous_secret !== null && (row.previous_secret_until === null || row.previous_secret_until <= now);
  const previousDue = row.previous_secret !== null && !previousOver && due(row.previous_secret);
  if (!due(row.secret) && !previousDue && !previousOver) return null;
  const reseal = (stored: string) => (due(stored) ? secrets.seal(secrets.open(stored)) : stored);
  return {
    secret: reseal(row.secret),
    previous_secret: previousOver || row.previous_secret === null ? null : reseal(row.previous_secret),
    previous_secret_until: previousOver ? null : row.previous_secret_until,
  };
}
