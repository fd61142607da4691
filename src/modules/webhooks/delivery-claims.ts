import type { Database } from '../../platform/db/database.js';
import type { EndpointQueues } from './endpoint-queues.js';
import { live, webhookDb, type EndpointRow } from './store.js';

export const CLAIM_BATCH = 128;

/** A delivery claimed: its row's ids, its message and its endpoint (as just read, enabled). */
export type ClaimedDelivery = EndpointRow & {
  delivery_id: string;
  message_id: string;
  attempts: number;
  type: string;
  body: string;
  occurred_at: string;
  traceparent: string | null;
};

/**
 * Claims due deliveries with a lease, only as many per endpoint as it has room for here. Endpoints with
 * nothing under way here go first, so a delivery to a quiet endpoint is claimed at once however many
 * thousands wait for a busy one; then the rest, oldest first, skipping full endpoints. `held` are the
 * deliveries this process has in hand already.
 */
export function createDeliveryClaims(database: Database, queues: EndpointQueues, held: ReadonlySet<string>, leaseMs: number) {
  return async function claim(now: Date): Promise<ClaimedDelivery[]> {
    const nowIso = now.toISOString();
    // Most polls find nothing due: one look along the due index costs a fraction of the claim's transaction.
    const anyDue = await webhookDb(database.db)
      .selectFrom('webhook_deliveries')
      .select('id')
      .where(live())
      .where('next_attempt_at', '<=', nowIso)
      .limit(1)
      .executeTakeFirst();
    if (anyDue === undefined) return [];
    const lease = new Date(now.getTime() + leaseMs).toISOString();
    const full = queues.full();
    return database.db.transaction().execute(async (tx) => {
      const db = webhookDb(tx);
      const due = (busy: string[], onlyPending: boolean) =>
        db
          .selectFrom('webhook_deliveries as d')
          .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
          .select(['d.id', 'd.endpoint_id'])
          .where(live('d'))
          .where('d.next_attempt_at', '<=', nowIso)
          .where('e.disabled', '=', 0)
          .$if(onlyPending, (q) => q.where('d.status', '=', 'pending'))
          .$if(busy.length > 0, (q) => q.where('d.endpoint_id', 'not in', busy))
          .orderBy('d.next_attempt_at')
          .limit(CLAIM_BATCH)
          .execute();
      const quiet = await due(queues.busy(), true);
      const rest = quiet.length < CLAIM_BATCH ? await due(full, false) : [];
      const seen = new Set<string>();
      const ranked = [...quiet, ...rest].filter((r) => !seen.has(r.id) && seen.add(r.id));
      const room = new Map<string, number>();
      const candidates = ranked
        .filter((r) => {
          if (held.has(r.id)) return false;
          const left = room.get(r.endpoint_id) ?? queues.room(r.endpoint_id);
          room.set(r.endpoint_id, left - 1);
          return left > 0;
        })
        .map((r) => r.id);
      if (candidates.length === 0) return [];
      // The condition is checked again by the update itself, so two processes never claim the same delivery.
      const picked = (
        await db
          .updateTable('webhook_deliveries')
          .set({ status: 'delivering', next_attempt_at: lease })
          .where('id', 'in', candidates)
          .where(live())
          .where('next_attempt_at', '<=', nowIso)
          .returning('id')
          .execute()
      ).map((r) => r.id);
      if (picked.length === 0) return [];
      return db
        .selectFrom('webhook_deliveries as d')
        .innerJoin('webhook_messages as m', 'm.id', 'd.message_id')
        .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
        .selectAll('e')
        .select(['d.id as delivery_id', 'd.message_id', 'd.attempts', 'm.type', 'm.body', 'm.occurred_at', 'm.traceparent'])
        .where('d.id', 'in', picked)
        .orderBy('d.next_attempt_at')
        .execute();
    });
  };
}
