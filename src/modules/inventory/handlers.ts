import type { MessageBus, Subscription } from '../../platform/messaging/bus.js';
import type { InventoryService, StockLine } from './service.js';

/** Commands the order saga sends inventory, and the events inventory answers with (keyed by order id). */
export const inventoryCommands = ['inventory.reserve', 'inventory.commit', 'inventory.release', 'inventory.restock'] as const;

export interface ReserveCommand {
  orderId: string;
  userId: string;
  lines: StockLine[];
}
export interface OrderCommand {
  orderId: string;
}

/**
 * Runs each command through its idempotent primitive (own transaction, keyed by order id), then
 * publishes the outcome exactly once. A crash between the two repeats the primitive, which answers
 * as the first time did.
 */
export function inventorySubscription(service: InventoryService): Subscription {
  return {
    group: 'inventory',
    types: inventoryCommands,
    async handle(message, context) {
      const { orderId } = message.data as OrderCommand;
      let event: { type: string; data: Record<string, unknown> };
      switch (message.type) {
        case 'inventory.reserve': {
          const { lines, userId } = message.data as ReserveCommand;
          const outcome = await service.reserve(orderId, lines, { userId });
          event =
            outcome.status === 'reserved'
              ? { type: 'inventory.reserved', data: { orderId, expiresAt: outcome.expiresAt } }
              : { type: 'inventory.reservation_failed', data: { orderId, reason: outcome.reason } };
          break;
        }
        case 'inventory.commit': {
          const outcome = await service.commit(orderId);
          event =
            outcome.status === 'committed'
              ? { type: 'inventory.committed', data: { orderId } }
              : { type: 'inventory.commit_failed', data: { orderId, reason: outcome.reason } };
          break;
        }
        case 'inventory.release': {
          const outcome = await service.release(orderId);
          event = { type: 'inventory.released', data: { orderId, outcome: outcome.status } };
          break;
        }
        case 'inventory.restock': {
          const outcome = await service.restock(orderId);
          event = { type: 'inventory.restocked', data: { orderId, outcome: outcome.status } };
          break;
        }
        default:
          throw new Error(`inventory cannot handle ${message.type}`);
      }
      await context.apply(async (_tx, publish) => publish([{ type: event.type, key: orderId, data: event.data }]));
    },
  };
}

export function subscribeInventory(bus: MessageBus, service: InventoryService): void {
  bus.subscribe(inventorySubscription(service));
}
