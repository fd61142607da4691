/** The events merchants can subscribe to (API.md); commands and internal events never leave Orderly. */
export const WEBHOOK_EVENT_TYPES = [
  'order.created',
  'order.confirmed',
  'order.cancelled',
  'order.shipped',
  'order.delivered',
  'payment.succeeded',
  'payment.declined',
  'payment.refunded',
  'shipment.created',
  'product.created',
  'product.updated',
] as const;

export const subscribes = (events: readonly string[], type: string) => events.includes('*') || events.includes(type);
