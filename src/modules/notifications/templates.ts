import type { Channel } from './store.js';

/** The events customers hear about, and the template each becomes. */
export const TEMPLATE_OF: Readonly<Record<string, string>> = {
  'user.created': 'welcome',
  'order.confirmed': 'order_confirmed',
  'order.cancelled': 'order_cancelled',
  'order.shipped': 'order_shipped',
  'order.delivered': 'order_delivered',
  'payment.refunded': 'payment_refunded',
};

export interface Rendered {
  subject: string;
  body: string;
}

interface Money {
  amount: number;
  currency: string;
}

function money(m: Money | undefined): string {
  if (!m || typeof m.amount !== 'number') return '';
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
function line(template: string, d: Record<string, unknown>): Rendered {
  const order = String(d.orderId ?? '');
  switch (template) {
    case 'welcome':
      return { subject: 'Welcome to Orderly', body: 'Your account is ready. Happy shopping!' };
    case 'order_confirmed':
      return {
        subject: `Order ${order} confirmed`,
        body: `We have your order ${order}${d.total ? ` (${money(d.total as Money)})` : ''} and are getting it ready.`,
      };
    case 'order_cancelled':
      return {
        subject: `Order ${order} cancelled`,
        body: `Your order ${order} was cancelled because ${REASONS[String(d.reason)] ?? 'it could not be completed'}.`,
      };
    case 'order_shipped':
      return {
        subject: `Order ${order} shipped`,
        body: `Your order ${order} is on its way. Tracking number: ${String(d.trackingNumber ?? '')}.`,
      };
    case 'order_delivered':
      return { subject: `Order ${order} delivered`, body: `Your order ${order} was delivered. Enjoy!` };
    case 'payment_refunded':
      return { subject: `Refund for order ${order}`, body: `We refunded ${money(d as unknown as Money)} for order ${order}.` };
    default:
      throw new Error(`no template ${template}`);
  }
}

export function render(template: string, channel: Channel, data: Record<string, unknown>, name: string | null): Rendered {
  const { subject, body } = line(template, data);
  if (channel !== 'email') return { subject, body };
  return { subject, body: `Hello ${name ?? 'there'},\n\n${body}\n\n— Orderly` };
}
