import type { Money } from '../../platform/http/schemas.js';
import type { LineRow, OrderRow, TimelineRow } from './store.js';
import type { CancellationReason, OrderStatus, PaymentStatus } from './status.js';

export interface ShippingAddress {
  name: string;
  line1: string;
  line2?: string;
  city: string;
  postalCode: string;
  country: string;
}

export interface TimelineEntry {
  status: OrderStatus;
  at: string;
  note?: string;
}

export interface OrderShipment {
  id: string;
  trackingNumber: string;
  status: string;
}

/** An order as API.md describes it. */
export interface Order {
  id: string;
  userId: string;
  status: OrderStatus;
  items: { variantId: string; sku: string; title: string; quantity: number; unitPrice: Money }[];
  total: Money;
  shippingAddress: ShippingAddress;
  payment: { status: PaymentStatus };
  shipment: OrderShipment | null;
  cancellationReason: CancellationReason | null;
  timeline: TimelineEntry[];
  createdAt: string;
  updatedAt: string;
}

export function timelineEntry(row: TimelineRow): TimelineEntry {
  return { status: row.status, at: row.at, ...(row.note === null ? {} : { note: row.note }) };
}

export function toOrder(row: OrderRow, lines: LineRow[], timeline: TimelineRow[]): Order {
  return {
    id: row.id,
    userId: row.user_id,
    status: row.status,
    items: lines.map((l) => ({
      variantId: l.variant_id,
      sku: l.sku,
      title: l.title,
      quantity: l.quantity,
      unitPrice: { amount: l.unit_amount, currency: l.currency },
    })),
    total: { amount: row.total_amount, currency: row.currency },
    shippingAddress: JSON.parse(row.shipping_address) as ShippingAddress,
    payment: { status: row.payment_status },
    shipment: row.shipment === null ? null : (JSON.parse(row.shipment) as OrderShipment),
    cancellationReason: row.cancellation_reason,
    timeline: timeline.map(timelineEntry),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
