import type { Subscription } from '../../platform/messaging/bus.js';
import type { Dispatcher, HandOff } from './dispatcher.js';
import type { EndpointRow } from './store.js';
import { subscribes, WEBHOOK_EVENT_TYPES } from './event-types.js';
import { webhookStore } from './store.js';

/**
 * Records each public event once, as the exact body every endpoint will receive, with one delivery per
 * enabled endpoint subscribed to it: for the first chunk of endpoints here, for the rest in the
 * dispatcher's fan-out (recorded here). Deliveries to endpoints with room are leased to this process in the
 * same transaction and sent once it commits; the others wait for the dispatcher to claim them.
 */
export function webhookSubscription(dispatcher: Pick<Dispatcher, 'handOff' | 'fanOutLater' | 'fanOutChunk'>): Subscription {
  const chunk = dispatcher.fanOutChunk;
  // The enabled endpoints with their subscriptions parsed, as of a version of the endpoints: reading and
  // parsing every endpoint for every event cost more than the rest of the fan-out.
  let known: { version: number; endpoints: { row: EndpointRow; events: string[] }[] } | null = null;
  async function enabledEndpoints(store: ReturnType<typeof webhookStore>) {
    const version = await store.endpointsVersion();
    if (known?.version !== version) {
      known = { version, endpoints: (await store.enabledEndpoints()).map((row) => ({ row, events: JSON.parse(row.events) as string[] })) };
    }
    return known.endpoints;
  }

  return {
    group: 'webhooks',
    types: WEBHOOK_EVENT_TYPES,
    async handle(message, context) {
      // Set inside the transaction; a holder, since a closure's assignment is invisible to narrowing.
      const pending: { handed?: HandOff; fanOut?: boolean } = {};
      try {
        const applied = await context.apply(async (tx) => {
          const store = webhookStore(tx);
          const targets = (await enabledEndpoints(store)).filter((e) => subscribes(e.events, message.type)).map((e) => e.row);
          if (targets.length === 0) return;
          const body = JSON.stringify({ id: message.id, type: message.type, timestamp: message.occurredAt, data: message.data });
          await store.saveMessage({ id: message.id, type: message.type, body, occurred_at: message.occurredAt });
          const handed = dispatcher.handOff({ id: message.id, type: message.type, body, occurredAt: message.occurredAt }, targets.slice(0, chunk));
          pending.handed = handed;
          await store.addDeliveries(handed.rows);
          if (targets.length > chunk) {
            const rest = targets.slice(chunk).map((e) => e.id);
            await store.saveFanout({ message_id: message.id, endpoint_ids: JSON.stringify(rest), next_index: 0, created_at: message.occurredAt });
            pending.fanOut = true;
          }
        });
        if (applied) {
          pending.handed?.commit();
          if (pending.fanOut) dispatcher.fanOutLater();
        }
      } finally {
        pending.handed?.cancel();
      }
    },
  };
}
