import { asSchema, type Executor } from '../db/database.js';
import type { MessagingTables } from './schema.js';

/** One message as the bus recorded it: published, handled by which groups, and what still waits or died. */
export interface TrailMessage {
  id: string;
  type: string;
  occurredAt: string;
  traceparent: string | null;
  data: unknown;
  handled: { group: string; at: string }[];
  /** Deliveries not handled yet (retrying or deferred) or dead-lettered; a handled delivery leaves no row. */
  unsettled: { group: string; status: 'pending' | 'waiting' | 'dead'; attempts: number; lastError: string | null; deadAt: string | null }[];
}

/**
 * Every message published under `key` (for an order's saga, its id), oldest first, with what became of it
 * in each of `groups`. Reads by key and by (group, message) so each lookup stays on an index.
 * Messages pruned by the retention are gone from it.
 */
export async function messageTrail(executor: Executor, key: string, groups: string[]): Promise<TrailMessage[]> {
  const db = asSchema<MessagingTables>(executor);
  const published = await db
    .selectFrom('outbox')
    .select(['id', 'type', 'occurred_at', 'traceparent', 'data'])
    .where('key', '=', key)
    .orderBy('seq')
    .execute();
  if (published.length === 0) return [];
  const ids = published.map((m) => m.id);
  const [inbox, deliveries] = await Promise.all([
    groups.length === 0
      ? Promise.resolve([])
      : db
          .selectFrom('messaging_inbox')
          .select(['group_name', 'message_id', 'applied_at'])
          .where('group_name', 'in', groups)
          .where('message_id', 'in', ids)
          .orderBy('applied_at')
          .execute(),
    db
      .selectFrom('messaging_deliveries')
      .select(['message_id', 'group_name', 'status', 'attempts', 'last_error', 'dead_at'])
      .where('message_id', 'in', ids)
      .execute(),
  ]);
  return published.map((m) => ({
    id: m.id,
    type: m.type,
    occurredAt: m.occurred_at,
    traceparent: m.traceparent,
    data: JSON.parse(m.data) as unknown,
    handled: inbox.filter((i) => i.message_id === m.id).map((i) => ({ group: i.group_name, at: i.applied_at })),
    unsettled: deliveries
      .filter((d) => d.message_id === m.id)
      .map((d) => ({ group: d.group_name, status: d.status, attempts: d.attempts, lastError: d.last_error, deadAt: d.dead_at })),
  }));
}
