import type { Executor } from '../../platform/db/database.js';
import type { MessageBus, Subscription } from '../../platform/messaging/bus.js';
import type { NewEvent } from '../../platform/messaging/envelope.js';
import { SpanKind, inSpan } from '../../platform/observability/tracing.js';
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
import { commitIn, releaseIn, reserveIn, restockIn } from './order-stock.js';

/**
 * Runs one stock command inside `tx` and returns inventory's answer to it. With `refusal` 'leave', a hold
 * that is short writes nothing and answers null: the caller sends the command instead.
 */
async function answer(tx: Executor, command: NewEvent, ttlMs: number, refusal: 'record' | 'leave'): Promise<NewEvent | null> {
  if (command.type === reserveStock.type && reserveStock.is(command.data)) {
    const { orderId, userId, lines } = command.data;
    const outcome = await reserveIn(tx, orderId, lines, { userId, ttlMs, refusal });
    if (outcome === null) return null;
    return outcome.status === 'reserved'
      ? stockReserved.event(orderId, { orderId, expiresAt: outcome.expiresAt })
      : reservationFailed.event(orderId, { orderId, reason: outcome.reason });
  }
  const { orderId } = command.data as { orderId: string };
  switch (command.type) {
    case commitStock.type: {
      const outcome = await commitIn(tx, orderId);
      return outcome.status === 'committed'
        ? stockCommitted.event(orderId, { orderId })
        : commitFailed.event(orderId, { orderId, reason: outcome.reason });
    }
    case releaseStock.type:
      return stockReleased.event(orderId, { orderId, outcome: (await releaseIn(tx, orderId)).status });
    case restockOrder.type:
      return orderRestocked.event(orderId, { orderId, outcome: (await restockIn(tx, orderId)).status });
    default:
      throw new Error(`inventory has no command ${command.type}`);
  }
}

/**
 * Runs each command through its idempotent primitive and publishes the outcome, in one transaction with
 * the inbox record: a repeat of the command finds it handled, or (after a crash) answers as the first time.
 */
export function inventorySubscription(ttlMs: number): Subscription<(typeof inventoryCommands)[number]> {
  return {
    group: 'inventory',
    messages: inventoryCommands,
    async handle(message, context) {
      await context.apply(async (tx, publish) => publish([(await answer(tx, message, ttlMs, 'record'))!]));
    },
  };
}

/** Inventory's commands as the order saga can run them in its own transaction, when both share a database. */
export interface StockCommands {
  handles(type: string): boolean;
  /** The answer, or null when the command must be sent after all (a hold that is short is left to the message path). */
  run(tx: Executor, command: NewEvent): Promise<NewEvent | null>;
}

export function stockCommands(ttlMs: number): StockCommands {
  const types = new Set<string>(inventoryCommands.map((c) => c.type));
  return {
    handles: (type) => types.has(type),
    run: (tx, command) =>
      inSpan(`${command.type} inline`, SpanKind.INTERNAL, { 'orderly.key': command.key }, () => answer(tx, command, ttlMs, 'leave')),
  };
}

export function subscribeInventory(bus: MessageBus, ttlMs: number): void {
  bus.subscribe(inventorySubscription(ttlMs));
}
