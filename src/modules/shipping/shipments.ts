import { randomInt } from 'node:crypto';
import { newId, nowIso } from '../../platform/db/ids.js';
import type { ShipmentRow, ShipmentStatus } from './store.js';

function trackingNumber(): string {
  const digits = Array.from({ length: 12 }, () => randomInt(10)).join('');
  return `OR${digits.slice(0, 4)}-${digits.slice(4, 8)}-${digits.slice(8)}`;
}

export function newShipment(orderId: string, userId: string, status: ShipmentStatus): ShipmentRow {
  const now = nowIso();
  return {
    id: newId('shp'),
    order_id: orderId,
    user_id: userId,
    tracking_number: trackingNumber(),
    status,
    created_at: now,
    updated_at: now,
  };
}

/** A shipment as shipment.* events carry it. */
export const shipmentView = (s: ShipmentRow) => ({
  shipmentId: s.id,
  orderId: s.order_id,
  trackingNumber: s.tracking_number,
  status: s.status,
});
