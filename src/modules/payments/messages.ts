import { Type } from 'typebox';
import { defineMessage } from '../../platform/messaging/contract.js';

// Commands the order saga sends payments, and the events payments answers with; all keyed by order id.

export const chargePayment = defineMessage(
  'payment.charge',
  Type.Object({
    orderId: Type.String(),
    userId: Type.String(),
    amount: Type.Integer({ minimum: 0 }),
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
    token: Type.String(),
    /** The stock hold's expiry: a charge parked by a provider outage gives up after this. */
    payBy: Type.Optional(Type.String({ format: 'date-time' })),
  }),
  { description: 'Charge the order’s total to its payment token, once however often it is sent.' },
);
export const refundPayment = defineMessage('payment.refund', Type.Object({ orderId: Type.String(), userId: Type.String() }), {
  description: 'Give back what the order was charged, if anything.',
});

export const paymentSucceeded = defineMessage(
  'payment.succeeded',
  Type.Object({ orderId: Type.String(), paymentId: Type.String(), amount: Type.Integer(), currency: Type.String() }),
  { description: 'The order’s total was charged.', public: true },
);
export const paymentDeclined = defineMessage(
  'payment.declined',
  Type.Object({ orderId: Type.String(), paymentId: Type.String(), code: Type.String() }),
  { description: 'The card was declined; nothing was charged.', public: true },
);
export const paymentFailed = defineMessage('payment.failed', Type.Object({ orderId: Type.String(), reason: Type.String() }), {
  description: 'The provider could not be reached or kept failing; nothing was charged.',
});
export const paymentRefunded = defineMessage(
  'payment.refunded',
  Type.Object({
    orderId: Type.String(),
    userId: Type.String(),
    amount: Type.Integer({ minimum: 0, description: '0 when nothing had been charged' }),
    currency: Type.Union([Type.String(), Type.Null()]),
  }),
  { description: 'What the order was charged went back to the customer (amount 0: there was nothing to refund).', public: true },
);

/** Every payment event, in declaration order. */
export const paymentEvents = [paymentSucceeded, paymentDeclined, paymentFailed, paymentRefunded] as const;
