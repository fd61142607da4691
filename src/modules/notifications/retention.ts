import { asSchema, type Database } from '../../platform/db/database.js';
import { firstIdAt } from '../../platform/db/ids.js';
import { cursorAfter, type PruneBatch, type RetentionRule } from '../../platform/retention.js';
import type { NotificationTables } from './store.js';

/**
 * Sent notifications and what the embedded providers were handed (the mailbox, the SMS and push
 * sandboxes), `retentionMs` after the send. Pending notifications stay, and so do failed ones: each is the
 * notification of a dead letter, and a redrive of it would find nothing to send.
 */
export function notificationRetentionRules(database: Database, retentionMs: number): RetentionRule[] {
  return [
    { kind: 'notifications', retentionMs, prune: sentNotifications(database) },
    { kind: 'notification_mailbox', retentionMs, prune: handedToSandboxes(database) },
  ];
}

function sentNotifications(database: Database): PruneBatch {
  return async (before, limit, after) => {
    const db = asSchema<NotificationTables>(database.db);
    const ids = (
      await db
        .selectFrom('notifications')
        .select('id')
        // Sent before `before` means created before it: the walk stays within the primary key's range.
        .where('id', '<', firstIdAt('ntf', before))
        .$if(after !== null, (q) => q.where('id', '>', after!))
        .where('status', '=', 'sent')
        .where('sent_at', '<', before.toISOString())
        .orderBy('id')
        .limit(limit)
        .execute()
    ).map((r) => r.id);
    if (ids.length === 0) return { deleted: 0, last: null };
    const result = await db.deleteFrom('notifications').where('id', 'in', ids).where('status', '=', 'sent').executeTakeFirst();
    return { deleted: Number(result.numDeletedRows), last: cursorAfter(ids, limit) };
  };
}

function handedToSandboxes(database: Database): PruneBatch {
  return async (before, limit, after) => {
    const db = asSchema<NotificationTables>(database.db);
    const ids = (
      await db
        .selectFrom('notification_sandbox')
        .select('id')
        .where('id', '<', firstIdAt('snd', before))
        .$if(after !== null, (q) => q.where('id', '>', after!))
        .where('created_at', '<', before.toISOString())
        .orderBy('id')
        .limit(limit)
        .execute()
    ).map((r) => r.id);
    if (ids.length === 0) return { deleted: 0, last: null };
    const result = await db.deleteFrom('notification_sandbox').where('id', 'in', ids).executeTakeFirst();
    return { deleted: Number(result.numDeletedRows), last: cursorAfter(ids, limit) };
  };
}
