import { Type } from 'typebox';
import { MoneySchema } from '../../platform/http/schemas.js';
import { defineMessage } from '../../platform/messaging/contract.js';
import { OrderSchema } from './schemas.js';

// The events an order publishes as it moves, keyed by order id. Each carries the order as it now stands,
// with the order id and its owner at the top so consumers need not read the whole order.

const OrderRef = { orderId: Type.String(), userId: Type.String(), order: OrderSchema };

export const orderCreated = defineMessage('order.created', Type.Object(OrderRef), {
  description: 'An order was accepted (pending); the saga has started.',
  public: true,
});
export const orderConfirmed = defineMessage(
  'order.confirmed',
  Type.Object({
    ...OrderRef,
    total: MoneySchema,
    items: Type.Array(Type.Object({ variantId: Type.String(), sku: Type.String(), quantity: Type.Integer({ minimum: 1 }) })),
  }),
  { description: 'The order is paid and its stock sold; it will ship.', public: true },
);
export const orderCancelled = defineMessage('order.cancelled', Type.Object({ ...OrderRef, reason: Type.String() }), {
  description:
    'The order was cancelled (reason: out_of_stock, payment_declined, payment_failed, customer_request, admin_request, expired); nothing is charged or held.',
  public: true,
});
export const orderShipped = defineMessage('order.shipped', Type.Object({ ...OrderRef, trackingNumber: Type.String() }), {
  description: 'The order left the warehouse.',
  public: true,
});
export const orderDelivered = defineMessage('order.delivered', Type.Object(OrderRef), {
  description: 'The order was delivered.',
  public: true,
});

/** Every order event, in the order an order meets them. */
export const orderEvents = [orderCreated, orderConfirmed, orderCancelled, orderShipped, orderDelivered] as const;
