import type { MessageBus, Subscription } from '../../platform/messaging/bus.js';
import type { NewEvent } from '../../platform/messaging/envelope.js';
import {
  commitFailed,
  commitStock,
  inventoryCommands,
  orderRestocked,
  releaseStock,
  reservationFailed,
  reserveStock,
  restockOrder,
  stockCommitted,
  stockReleased,
  stockReserved,
} from './messages.js';
import type { InventoryService } from './service.js';

/**
 * Runs each command through its idempotent primitive (own transaction, keyed by order id), then
 * publishes the outcome exactly once. A crash between the two repeats the primitive, which answers
 * as the first time did.
 */
export function inventorySubscription(service: InventoryService): Subscription<(typeof inventoryCommands)[number]> {
  return {
    group: 'inventory',
    messages: inventoryCommands,
    async handle(message, context) {
      const { orderId } = message.data;
      let event: NewEvent;
      switch (message.type) {
        case reserveStock.type: {
          const outcome = await service.reserve(orderId, message.data.lines, { userId: message.data.userId });
          event =
            outcome.status === 'reserved'
              ? stockReserved.event(orderId, { orderId, expiresAt: outcome.expiresAt })
              : reservationFailed.event(orderId, { orderId, reason: outcome.reason });
          break;
        }
        case commitStock.type: {
          const outcome = await service.commit(orderId);
          event =
            outcome.status === 'committed'
              ? stockCommitted.event(orderId, { orderId })
              : commitFailed.event(orderId, { orderId, reason: outcome.reason });
          break;
        }
        case releaseStock.type:
          event = stockReleased.event(orderId, { orderId, outcome: (await service.release(orderId)).status });
          break;
        case restockOrder.type:
          event = orderRestocked.event(orderId, { orderId, outcome: (await service.restock(orderId)).status });
          break;
      }
      await context.apply(async (_tx, publish) => publish([event]));
    },
  };
}

export function subscribeInventory(bus: MessageBus, service: InventoryService): void {
  bus.subscribe(inventorySubscription(service));
}
