import { currentTraceparent } from '../../platform/observability/tracing.js';
import type { Executor } from '../../platform/db/database.js';
import { prepare } from '../../platform/db/prepared.js';
import type { Subscription } from '../../platform/messaging/bus.js';
import type { Dispatcher, HandOff } from './dispatcher.js';
import type { EndpointRow } from './store.js';
import { subscribes, type PublicEvents } from './event-types.js';
import { webhookDb, createWebhooksStore } from './store.js';

/**
 * Records each public event once, as the exact body every endpoint will receive, with one delivery per
 * enabled endpoint subscribed to it (the dispatcher's `deliver`). Deliveries to endpoints with room are
 * leased to this process in the same transaction and sent once it commits; the others wait for a claim.
 */
export function webhookSubscription(dispatcher: Pick<Dispatcher, 'deliver'>, compiler: Executor, events: PublicEvents): Subscription {
  // Read for every event published (see `interest`), so compiled once.
  const endpointsVersion = prepare<object>(compiler, (d) =>
    webhookDb(d).selectFrom('webhook_endpoint_changes').select('version').where('id', '=', 1),
  );
  // The enabled endpoints with their subscriptions parsed, as of a version of the endpoints: reading and
  // parsing every endpoint for every event cost more than the rest of the fan-out.
  let known: { version: number; endpoints: { row: EndpointRow; events: string[] }[] } | null = null;
  async function enabledEndpoints(tx: Executor) {
    const { rows } = await endpointsVersion.execute<{ version: number }>(tx, {});
    const version = rows[0]!.version;
    if (known?.version !== version) {
      known = {
        version,
        endpoints: (await createWebhooksStore(tx).enabledEndpoints()).map((row) => ({ row, events: JSON.parse(row.events) as string[] })),
      };
    }
    return known.endpoints;
  }

  return {
    group: 'webhooks',
    messages: events,
    async interest(tx) {
      const endpoints = await enabledEndpoints(tx);
      return (type) => endpoints.some((e) => subscribes(e.events, type));
    },
    async handle(message, context) {
      // Set inside the transaction; a holder, since a closure's assignment is invisible to narrowing.
      const pending: { handed?: HandOff } = {};
      try {
        const applied = await context.apply(async (tx) => {
          const store = createWebhooksStore(tx);
          const targets = (await enabledEndpoints(tx)).filter((e) => subscribes(e.events, message.type)).map((e) => e.row);
          if (targets.length === 0) return;
          const body = JSON.stringify({ id: message.id, type: message.type, timestamp: message.occurredAt, data: message.data });
          // This handling's span: each delivery attempt is a child of it.
          const traceparent = currentTraceparent() ?? null;
          await store.saveMessage({ id: message.id, type: message.type, body, occurred_at: message.occurredAt, traceparent });
          pending.handed = await dispatcher.deliver(
            tx,
            { id: message.id, type: message.type, body, occurredAt: message.occurredAt, traceparent },
            targets,
          );
        });
        if (applied) pending.handed?.commit();
      } finally {
        pending.handed?.cancel();
      }
    },
  };
}
