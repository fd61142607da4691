import type { Executor } from '../platform/db/database.js';
import type { Principal } from '../platform/http/auth.js';
import type { Money } from '../platform/http/schemas.js';
import { messageTrail } from '../platform/messaging/message-trail.js';
import type { IdentityService } from '../modules/identity/index.js';
import type { InventoryService } from '../modules/inventory/index.js';
import type { Order, OrdersService } from '../modules/orders/index.js';
import type { PaymentsService } from '../modules/payments/index.js';
import type { ShippingService } from '../modules/shipping/index.js';
import { sagaSteps, type SagaStepView } from './saga-trail.js';

/** Everything an operator needs about one order (GET /v1/admin/orders/{id}). */
export interface OperatorOrderView {
  order: Order;
  customer: { id: string; email: string; name: string } | null;
  saga: { status: string; steps: SagaStepView[] };
  payment: { status: string; amount: Money; attempts: { operation: string; outcome: string; error: string | null; at: string }[] } | null;
  shipment: { id: string; status: string; trackingNumber: string; history: { status: string; at: string }[] } | null;
  messages: { id: string; type: string; direction: 'published' | 'handled'; group: string | null; at: string }[];
  traceId: string | null;
}

export interface OrderViewSources {
  executor: Executor;
  /** The consumer groups whose inbox records are read. */
  groups: () => string[];
  orders: OrdersService;
  identity: IdentityService;
  payments: PaymentsService;
  shipping: ShippingService;
  inventory: InventoryService;
}

/**
 * Composed from what each module recorded, read through its public service, and from the bus's record of
 * the messages keyed by the order: nothing here is inferred that was not written down.
 */
export async function operatorOrderView(
  sources: OrderViewSources,
  principal: Principal,
  orderId: string,
): Promise<OperatorOrderView | null> {
  const order = await sources.orders.get(principal, orderId);
  if (!order) return null;
  const [customer, saga, payment, shipment, trail, hold] = await Promise.all([
    sources.identity.getUser(order.userId),
    sources.orders.saga(order.id),
    sources.payments.ofOrder(order.id),
    order.shipment ? sources.shipping.get(order.shipment.id) : Promise.resolve(null),
    messageTrail(sources.executor, order.id, sources.groups()),
    sources.inventory.holdOf(order.id),
  ]);
  const messages = trail
    .flatMap((m) => [
      { id: m.id, type: m.type, direction: 'published' as const, group: null, at: m.occurredAt },
      ...m.handled.map((h) => ({ id: m.id, type: m.type, direction: 'handled' as const, group: h.group, at: h.at })),
    ])
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const traceparent = trail.find((m) => m.traceparent)?.traceparent;
  return {
    order,
    customer: customer ? { id: customer.id, email: customer.email, name: customer.name } : null,
    // An archived order has no saga row left: it ended with the order.
    saga: { status: saga?.step ?? order.status, steps: sagaSteps(trail, hold) },
    payment:
      payment === null
        ? null
        : {
            status: payment.charge?.status ?? order.payment.status,
            amount: payment.charge ? { amount: payment.charge.amount, currency: payment.charge.currency } : order.total,
            attempts: payment.attempts.map((a) => ({ operation: a.kind, outcome: a.outcome, error: a.detail, at: a.at })),
          },
    shipment: shipment
      ? { id: shipment.id, status: shipment.status, trackingNumber: shipment.trackingNumber, history: shipment.history }
      : null,
    messages,
    traceId: traceparent ? (traceparent.split('-')[1] ?? null) : null,
  };
}
