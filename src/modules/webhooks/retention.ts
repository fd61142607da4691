import type { ExpressionBuilder } from 'kysely';
import type { Database } from '../../platform/db/database.js';
import { firstIdAt } from '../../platform/db/ids.js';
import { cursorAfter, type PruneBatch, type RetentionRule } from '../../platform/retention.js';
import { webhookDb, type WebhookTables } from './store.js';

export interface WebhookRetention {
  /** Delivered deliveries (from their delivery), attempts nothing waits on, and messages no delivery needs. */
  deliveredMs: number;
  /** Dead letters redriven and then delivered, from their delivery. */
  resolvedDeadLettersMs: number;
}

/**
 * What the webhooks keep for a while. Never pruned: a delivery pending, in flight or dead (and the
 * attempts and message it needs): a dead one goes only once redriven and delivered. A message goes once
 * no delivery or fan-out needs it, after which it can no longer be replayed.
 */
export function webhookRetentionRules(database: Database, retention: WebhookRetention): RetentionRule[] {
  return [
    { kind: 'webhook_deliveries', retentionMs: retention.deliveredMs, prune: deliveredDeliveries(database, false) },
    { kind: 'webhook_dead_letters', retentionMs: retention.resolvedDeadLettersMs, prune: deliveredDeliveries(database, true) },
    { kind: 'webhook_attempts', retentionMs: retention.deliveredMs, prune: settledAttempts(database) },
    { kind: 'webhook_messages', retentionMs: retention.deliveredMs, prune: unneededMessages(database) },
  ];
}

/**
 * Deliveries delivered before `before` (a delivered one's next_attempt_at is when: outcomes.ts): plain
 * ones, or (`resolved`) dead letters delivered after a redrive, which keep their dead_at through it.
 */
function deliveredDeliveries(database: Database, resolved: boolean): PruneBatch {
  return async (before, limit, after) => {
    const db = webhookDb(database.db);
    const ids = (
      await db
        .selectFrom('webhook_deliveries')
        .select('id')
        // Delivered before `before` means created before it: the walk stays within the primary key's range.
        .where('id', '<', firstIdAt('whd', before))
        .$if(after !== null, (q) => q.where('id', '>', after!))
        .where('status', '=', 'succeeded')
        .where('dead_at', resolved ? 'is not' : 'is', null)
        .where('next_attempt_at', '<', before.toISOString())
        .orderBy('id')
        .limit(limit)
        .execute()
    ).map((r) => r.id);
    if (ids.length === 0) return { deleted: 0, last: null };
    // Succeeded is final, so what was picked cannot have changed since; the status is checked all the same.
    const result = await db.deleteFrom('webhook_deliveries').where('id', 'in', ids).where('status', '=', 'succeeded').executeTakeFirst();
    return { deleted: Number(result.numDeletedRows), last: cursorAfter(ids, limit) };
  };
}

/** Attempts made before `before` whose delivery is gone or plainly delivered; a dead letter keeps its history until it goes. */
function settledAttempts(database: Database): PruneBatch {
  return async (before, limit, after) => {
    const db = webhookDb(database.db);
    const ids = (
      await db
        .selectFrom('webhook_attempts as a')
        .select('a.id')
        .where('a.id', '<', firstIdAt('wha', before))
        .$if(after !== null, (q) => q.where('a.id', '>', after!))
        .where('a.at', '<', before.toISOString())
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('webhook_deliveries as d')
                .select('d.id')
                .whereRef('d.id', '=', 'a.delivery_id')
                .where((d) => d.or([d('d.status', '<>', 'succeeded'), d('d.dead_at', 'is not', null)])),
            ),
          ),
        )
        .orderBy('a.id')
        .limit(limit)
        .execute()
    ).map((r) => r.id);
    if (ids.length === 0) return { deleted: 0, last: null };
    // A delivery that was delivered or deleted never becomes live again, so the picked attempts may all go.
    const result = await db.deleteFrom('webhook_attempts').where('id', 'in', ids).executeTakeFirst();
    return { deleted: Number(result.numDeletedRows), last: cursorAfter(ids, limit) };
  };
}

/** Nothing refers to the message: no delivery (waiting, dead or delivered) and no unfinished fan-out. */
const unneeded = (eb: ExpressionBuilder<WebhookTables, 'webhook_messages'>) =>
  eb.and([
    eb.not(eb.exists(eb.selectFrom('webhook_deliveries as d').select('d.id').whereRef('d.message_id', '=', 'webhook_messages.id'))),
    eb.not(eb.exists(eb.selectFrom('webhook_fanouts as f').select('f.message_id').whereRef('f.message_id', '=', 'webhook_messages.id'))),
  ]);

/** Messages of events before `before` that nothing refers to any more. */
function unneededMessages(database: Database): PruneBatch {
  return async (before, limit, after) => {
    const ids = (
      await webhookDb(database.db)
        .selectFrom('webhook_messages')
        .select('id')
        .where('id', '<', firstIdAt('msg', before))
        .$if(after !== null, (q) => q.where('id', '>', after!))
        .where('occurred_at', '<', before.toISOString())
        .where(unneeded)
        .orderBy('id')
        .limit(limit)
        .execute()
    ).map((r) => r.id);
    if (ids.length === 0) return { deleted: 0, last: null };
    const deleted = await database.db.transaction().execute(async (tx) => {
      const db = webhookDb(tx);
      // A replay holds its message (service.ts) while it adds deliveries. On PostgreSQL the rows are locked
      // first, skipping held ones, and the delete looks for deliveries again in a statement that starts
      // after the locks, so it sees a replay that committed meanwhile. SQLite runs one write transaction at a time.
      const locked =
        database.dialect === 'postgres'
          ? (await db.selectFrom('webhook_messages').select('id').where('id', 'in', ids).forUpdate().skipLocked().execute()).map(
              (r) => r.id,
            )
          : ids;
      if (locked.length === 0) return 0;
      const result = await db.deleteFrom('webhook_messages').where('id', 'in', locked).where(unneeded).executeTakeFirst();
      return Number(result.numDeletedRows);
    });
    return { deleted, last: cursorAfter(ids, limit) };
  };
}
