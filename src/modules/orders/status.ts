/** Where an order is, as customers see it. */
export type OrderStatus = 'pending' | 'confirmed' | 'shipped' | 'delivered' | 'cancelled';

export type CancellationReason = 'out_of_stock' | 'payment_declined' | 'payment_failed' | 'customer_request' | 'admin_request' | 'expired';

export type PaymentStatus = 'pending' | 'succeeded' | 'declined' | 'failed' | 'refunded';

/** The one table of allowed moves; anything else is a bug and throws. */
const ALLOWED: Record<OrderStatus, readonly OrderStatus[]> = {
  pending: ['confirmed', 'cancelled'],
  confirmed: ['shipped', 'cancelled'],
  shipped: ['delivered'],
  delivered: [],
  cancelled: [],
};

export class InvalidOrderTransition extends Error {
  override name = 'InvalidOrderTransition';
}

export function assertTransition(from: OrderStatus, to: OrderStatus): void {
  if (!ALLOWED[from].includes(to)) throw new InvalidOrderTransition(`an order cannot go from ${from} to ${to}`);
}

export const isFinal = (status: OrderStatus) => status === 'cancelled' || status === 'delivered';
export const canBeCancelled = (status: OrderStatus) => ALLOWED[status].includes('cancelled');
