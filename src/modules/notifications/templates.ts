import { userCreated } from '../identity/messages.js';
import { orderCancelled, orderConfirmed, orderDelivered, orderShipped } from '../orders/messages.js';
import { paymentRefunded } from '../payments/messages.js';
import type { MessageOf } from '../../platform/messaging/contract.js';
import type { Channel } from './store.js';

/** The events customers hear about. */
export const NOTIFIED = [userCreated, orderConfirmed, orderCancelled, orderShipped, orderDelivered, paymentRefunded] as const;
export type Notified = MessageOf<(typeof NOTIFIED)[number]>;

export type Template = 'welcome' | 'order_confirmed' | 'order_cancelled' | 'order_shipped' | 'order_delivered' | 'payment_refunded';

/** What a message tells its customer: the template, and the facts it fills in. */
export interface Notice {
  userId: string;
  template: Template;
  facts: { orderId?: string; total?: Money; reason?: string; trackingNumber?: string; refund?: Money };
}

/** The notice an event becomes, or null when it is not worth telling (a refund of nothing). */
export function noticeOf(message: Notified): Notice | null {
  switch (message.type) {
    case userCreated.type:
      return { userId: message.data.user.id, template: 'welcome', facts: {} };
    case orderConfirmed.type:
      return {
        userId: message.data.userId,
        template: 'order_confirmed',
        facts: { orderId: message.data.orderId, total: message.data.total },
      };
    case orderCancelled.type:
      return {
        userId: message.data.userId,
        template: 'order_cancelled',
        facts: { orderId: message.data.orderId, reason: message.data.reason },
      };
    case orderShipped.type:
      return {
        userId: message.data.userId,
        template: 'order_shipped',
        facts: { orderId: message.data.orderId, trackingNumber: message.data.trackingNumber },
      };
    case orderDelivered.type:
      return { userId: message.data.userId, template: 'order_delivered', facts: { orderId: message.data.orderId } };
    case paymentRefunded.type: {
      const { amount, currency, orderId, userId } = message.data;
      if (!(amount > 0) || currency === null) return null;
      return { userId, template: 'payment_refunded', facts: { orderId, refund: { amount, currency } } };
    }
  }
}

export interface Rendered {
  subject: string;
  body: string;
}

interface Money {
  amount: number;
  currency: string;
}

function money(m: Money): string {
  return `${(m.amount / 100).toFixed(2)} ${m.currency}`;
}

const REASONS: Record<string, string> = {
  out_of_stock: 'an item ran out of stock',
  payment_declined: 'the payment was declined',
  payment_failed: 'the payment could not be taken',
  customer_request: 'you asked us to',
  admin_request: 'the shop cancelled it',
  expired: 'it could not be completed in time',
};

/** Subject and a one-line message per template; email adds a greeting and a sign-off around the line. */
function line(template: Template, d: Notice['facts']): Rendered {
  const order = d.orderId ?? '';
  switch (template) {
    case 'welcome':
      return { subject: 'Welcome to Orderly', body: 'Your account is ready. Happy shopping!' };
    case 'order_confirmed':
      return {
        subject: `Order ${order} confirmed`,
        body: `We have your order ${order}${d.total ? ` (${money(d.total)})` : ''} and are getting it ready.`,
      };
    case 'order_cancelled':
      return {
        subject: `Order ${order} cancelled`,
        body: `Your order ${order} was cancelled because ${REASONS[d.reason ?? ''] ?? 'it could not be completed'}.`,
      };
    case 'order_shipped':
      return {
        subject: `Order ${order} shipped`,
        body: `Your order ${order} is on its way. Tracking number: ${d.trackingNumber ?? ''}.`,
      };
    case 'order_delivered':
      return { subject: `Order ${order} delivered`, body: `Your order ${order} was delivered. Enjoy!` };
    case 'payment_refunded':
      return { subject: `Refund for order ${order}`, body: `We refunded ${d.refund ? money(d.refund) : ''} for order ${order}.` };
  }
}

export function render(notice: Notice, channel: Channel, name: string | null): Rendered {
  const { subject, body } = line(notice.template, notice.facts);
  if (channel !== 'email') return { subject, body };
  return { subject, body: `Hello ${name ?? 'there'},\n\n${body}\n\n— Orderly` };
}
