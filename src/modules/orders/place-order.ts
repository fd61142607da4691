import type { Executor } from '../../platform/db/database.js';
import { newId, nowIso } from '../../platform/db/ids.js';
import { platformErrors } from '../../platform/http/errors.js';
import { answerWithin } from '../../platform/idempotency/effects.js';
import type { MessageBus } from '../../platform/messaging/bus.js';
import type { SecretBox } from '../../platform/secrets/secret-box.js';
import { ordersErrors } from './errors.js';
import { orderCreated } from './messages.js';
import { decide } from './saga.js';
import { applyAndFollow, type Applied, type InlineCommands } from './saga-follow.js';
import { reserveStockStep } from './saga-steps.js';
import { createOrdersStore, type LineRow, type OrderRow, type OrderStatements, type SagaRow } from './store.js';
import { toOrder, type Order, type ShippingAddress } from './view.js';

export interface PlaceOrderInput {
  userId: string;
  items?: { variantId: string; quantity: number }[];
  shippingAddress: ShippingAddress;
  paymentToken: string;
}

/** What placing an order needs from catalog (prices now) and cart (its lines, emptied with the order). */
export interface OrderingPorts {
  variantsForSale(
    ids: string[],
  ): Promise<
    Map<string, { variantId: string; sku: string; title: string; unitPrice: { amount: number; currency: string }; purchasable: boolean }>
  >;
  cart(userId: string): Promise<{ version: number; items: { variantId: string; quantity: number }[] }>;
  /** Empties the cart inside the order's transaction, only if it is still at `version`. */
  clearCart(tx: Executor, userId: string, version: number): Promise<void>;
}

function merge(items: { variantId: string; quantity: number }[]): { variantId: string; quantity: number }[] {
  const totals = new Map<string, number>();
  for (const item of items) totals.set(item.variantId, (totals.get(item.variantId) ?? 0) + item.quantity);
  return [...totals].map(([variantId, quantity]) => ({ variantId, quantity }));
}

/**
 * Accepts an order: prices it from the catalog, then in one transaction writes the order, its saga and
 * the saga's first command (and empties the cart it came from), with the request's answer. From here on it
 * is never lost. Where inventory shares the database, the stock is held in that same transaction.
 */
export async function placeOrder(
  bus: MessageBus,
  statements: OrderStatements,
  ports: OrderingPorts,
  input: PlaceOrderInput,
  /** `secrets`: the payment token is stored, and sent to payments, encrypted. */
  /** `inline`: inventory's commands, run in the order's own transaction where it shares the database. */
  options: { sagaDeadlineMs: number; secrets: SecretBox; inline: InlineCommands | null; recordStep: (step: Applied) => void },
): Promise<Order> {
  const cart = input.items === undefined ? await ports.cart(input.userId) : null;
  const items = merge(cart ? cart.items : input.items!);
  if (items.length === 0) throw ordersErrors.error('cart_empty', 'Add items to the cart, or send items with the order');

  const variants = await ports.variantsForSale(items.map((i) => i.variantId));
  const missing = items.filter((i) => !variants.has(i.variantId));
  if (missing.length > 0) throw platformErrors.error('not_found', `No variant ${missing.map((m) => m.variantId).join(', ')}`);
  const unavailable = items.filter((i) => !variants.get(i.variantId)!.purchasable);
  if (unavailable.length > 0)
    throw ordersErrors.error('product_unavailable', `No longer sold: ${unavailable.map((u) => variants.get(u.variantId)!.sku).join(', ')}`);
  const currencies = new Set(items.map((i) => variants.get(i.variantId)!.unitPrice.currency));
  if (currencies.size > 1)
    throw ordersErrors.error(
      'currency_mismatch',
      `An order is paid in one currency; these items are priced in ${[...currencies].join(' and ')}`,
    );

  const now = nowIso();
  const id = newId('ord');
  const lines: LineRow[] = items.map((item, position) => {
    const v = variants.get(item.variantId)!;
    return {
      order_id: id,
      position,
      user_id: input.userId,
      variant_id: v.variantId,
      sku: v.sku,
      title: v.title,
      quantity: item.quantity,
      unit_amount: v.unitPrice.amount,
      currency: v.unitPrice.currency,
    };
  });
  const order: OrderRow = {
    id,
    user_id: input.userId,
    status: 'pending',
    total_amount: lines.reduce((sum, l) => sum + l.unit_amount * l.quantity, 0),
    currency: [...currencies][0]!,
    shipping_address: JSON.stringify(input.shippingAddress),
    payment_token: options.secrets.seal(input.paymentToken),
    payment_status: 'pending',
    shipment: null,
    cancellation_reason: null,
    created_at: now,
    updated_at: now,
  };
  const saga: SagaRow = {
    order_id: id,
    user_id: input.userId,
    step: 'reserving',
    stock: 'none',
    payment: 'none',
    cancel_reason: null,
    deadline: new Date(Date.parse(now) + options.sagaDeadlineMs).toISOString(),
    version: 0,
    last_event: null,
    updated_at: now,
  };
  const timeline = { order_id: id, user_id: input.userId, status: 'pending' as const, note: 'order placed', at: now };

  let applied: Applied[] = [];
  const view = await bus.transaction(async (tx, publish) => {
    const store = createOrdersStore(tx, statements);
    await store.insertOrder(order);
    await store.insertLines(lines);
    await store.insertSaga(saga);
    await store.addTimeline(timeline);
    if (cart) await ports.clearCart(tx, input.userId, cart.version);
    const state = { order, lines, saga };
    const accepted = toOrder(order, lines, [{ id: 'placed', ...timeline }]);
    const created = orderCreated.event(id, { orderId: id, userId: input.userId, order: accepted });
    // The first step in this same transaction where inventory shares the database; a short hold is sent.
    const reserve = reserveStockStep.run(state, {});
    const answer = options.inline?.handles(reserve.type) ? await options.inline.run(tx, reserve) : null;
    const decision = answer && decide(state, answer);
    let placed = accepted;
    if (!decision) await publish([created, reserve]);
    else {
      const followed = await applyAndFollow(
        tx,
        store,
        { state, decision, cause: answer!.type },
        async (events) => {
          await publish([created, ...events]);
        },
        options.inline,
      );
      applied = followed.applied;
      placed = toOrder(followed.after.order, lines, await store.timelineOf([id]));
    }
    await answerWithin(tx, placed);
    return placed;
  });
  for (const step of applied) options.recordStep(step);
  return view;
}
