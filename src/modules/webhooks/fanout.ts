import type { Database, Executor } from '../../platform/db/database.js';
import { createWebhooksStore, type EndpointRow, type PendingFanout } from './store.js';

/** The dispatcher's: deliveries for these endpoints, leased where there is room; commit or cancel the lease after the transaction. */
type AddDeliveries = (
  tx: Executor,
  message: { id: string; type: string; body: string; occurredAt: string; traceparent: string | null },
  endpoints: EndpointRow[],
) => Promise<HandOff>;
interface HandOff {
  commit(): void;
  cancel(): void;
}

/**
 * Gives the next chunk of a recorded fan-out's endpoints their deliveries, in a transaction of its own that
 * first moves the fan-out on: should another process have moved it first, this one does nothing.
 */
export async function fanOutNextChunk(
  database: Database,
  fanout: PendingFanout,
  chunk: number,
  addDeliveries: AddDeliveries,
): Promise<void> {
  const ids = JSON.parse(fanout.endpoint_ids) as string[];
  const to = Math.min(ids.length, fanout.next_index + chunk);
  let handed: HandOff | undefined;
  try {
    const ours = await database.db.transaction().execute(async (tx) => {
      const store = createWebhooksStore(tx);
      if (!(await store.advanceFanout(fanout.message_id, fanout.next_index, to, ids.length))) return false;
      // Endpoints disabled or deleted since the event get nothing, as if they had been then.
      const targets = await store.enabledEndpointsIn(ids.slice(fanout.next_index, to));
      handed = await addDeliveries(
        tx,
        { id: fanout.message_id, type: fanout.type, body: fanout.body, occurredAt: fanout.occurred_at, traceparent: fanout.traceparent },
        targets,
      );
      return true;
    });
    if (ours) handed?.commit();
  } finally {
    handed?.cancel();
  }
}
