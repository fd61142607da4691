import type { Subscription } from '../../platform/messaging/bus.js';
import { subscribes, WEBHOOK_EVENT_TYPES } from './event-types.js';
import { webhookStore } from './store.js';

/**
 * Records each public event once, as the exact body every endpoint will receive, with one delivery per
 * enabled endpoint subscribed to it; the dispatcher is woken after the commit.
 */
export function webhookSubscription(wake: () => void): Subscription {
  return {
    group: 'webhooks',
    types: WEBHOOK_EVENT_TYPES,
    async handle(message, context) {
      const applied = await context.apply(async (tx) => {
        const store = webhookStore(tx);
        const targets = (await store.enabledEndpoints()).filter((e) => subscribes(JSON.parse(e.events) as string[], message.type)).map((e) => e.id);
        if (targets.length === 0) return;
        const body = JSON.stringify({ id: message.id, type: message.type, timestamp: message.occurredAt, data: message.data });
        await store.saveMessage({ id: message.id, type: message.type, body, occurred_at: message.occurredAt });
        await store.addDeliveries(message.id, targets, new Date().toISOString());
      });
      if (applied) wake();
    },
  };
}
