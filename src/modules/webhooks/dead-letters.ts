import type { Database } from '../../platform/db/database.js';
import { nowIso } from '../../platform/db/ids.js';
import type { DeadLetter, DeadLetterFilter, DeadLetterStore } from '../../platform/messaging/transport.js';
import { dead, webhookDb } from './store.js';

/** The consumer group webhook deliveries are listed under beside the bus's dead letters. */
export const WEBHOOK_GROUP = 'webhooks';

/**
 * Deliveries that exhausted their retry schedule, as dead letters of the one store operators see. A
 * redrive makes a delivery pending again with a fresh schedule; its dead_at stays, so once delivered it is
 * a resolved dead letter, kept as long as those are.
 */
export function webhookDeadLetters(database: Database, wake: () => void): DeadLetterStore {
  const db = webhookDb(database.db);

  /** Dead deliveries joined to their messages, narrowed by the filter; null when it names another group. */
  function deadQuery(executor: typeof db, filter: DeadLetterFilter) {
    if (filter.group !== undefined && filter.group !== WEBHOOK_GROUP) return null;
    let q = executor.selectFrom('webhook_deliveries as d').innerJoin('webhook_messages as m', 'm.id', 'd.message_id').where(dead('d'));
    if (filter.type !== undefined) q = q.where('m.type', '=', filter.type);
    return q;
  }

  async function redriveIds(executor: typeof db, ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await executor
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', attempts: 0, next_attempt_at: nowIso() })
      .where('id', 'in', ids)
      .where(dead())
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  return {
    async list(limit, before, filter = {}) {
      let q = deadQuery(db, filter);
      if (q === null) return [];
      if (before !== undefined) q = q.where('d.id', '<', before);
      const rows = await q
        .select(['d.id', 'd.message_id', 'd.endpoint_id', 'd.attempts', 'd.last_error', 'd.dead_at', 'm.type', 'm.occurred_at', 'm.body'])
        .orderBy('d.id', 'desc')
        .limit(limit)
        .execute();
      return rows.map(
        (r): DeadLetter => ({
          id: r.id,
          messageId: r.message_id,
          type: r.type,
          key: r.endpoint_id,
          group: WEBHOOK_GROUP,
          attempts: r.attempts,
          error: r.last_error,
          occurredAt: r.occurred_at,
          deadAt: r.dead_at ?? r.occurred_at,
          data: JSON.parse(r.body) as unknown,
        }),
      );
    },
    async redrive(id, within) {
      const redriven = await database.db.transaction().execute(async (tx) => {
        if ((await redriveIds(webhookDb(tx), [id])) !== 1) return false;
        await within?.(tx);
        return true;
      });
      if (redriven) wake();
      return redriven;
    },
    async redriveMatching(tx, filter, limit) {
      const q = deadQuery(webhookDb(tx), filter);
      if (q === null) return 0;
      const rows = await q.select('d.id').orderBy('d.id', 'asc').limit(limit).execute();
      return redriveIds(
        webhookDb(tx),
        rows.map((r) => r.id),
      );
    },
    wake,
    async count() {
      const row = await db
        .selectFrom('webhook_deliveries')
        .select(db.fn.countAll<number>().as('n'))
        .where(dead())
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}
