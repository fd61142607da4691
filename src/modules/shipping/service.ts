import { randomInt } from 'node:crypto';
import type { MessageBus, Subscription } from '../../platform/messaging/bus.js';
import type { Database, Executor } from '../../platform/db/database.js';
import { newId, nowIso } from '../../platform/db/ids.js';
import { platformErrors } from '../../platform/http/errors.js';
import { answerWithin } from '../../platform/idempotency/effects.js';
import { shippingErrors } from './errors.js';
import { shippingStore, type ShipmentRow, type ShipmentStatus } from './store.js';

export interface Shipment {
  id: string;
  orderId: string;
  trackingNumber: string;
  status: ShipmentStatus;
  history: { status: ShipmentStatus; at: string }[];
  createdAt: string;
  updatedAt: string;
}

/** Shipments for confirmed orders; their status moves orders to shipped and delivered. */
export interface ShippingService {
  get(id: string): Promise<Shipment | null>;
  /** created → in_transit → delivered; invalid_shipment_transition otherwise (a cancelled shipment never moves). */
  updateStatus(id: string, status: 'in_transit' | 'delivered'): Promise<Shipment>;
}

const NEXT: Partial<Record<ShipmentStatus, ShipmentStatus>> = { created: 'in_transit', in_transit: 'delivered' };

function trackingNumber(): string {
  const digits = Array.from({ length: 12 }, () => randomInt(10)).join('');
  return `OR${digits.slice(0, 4)}-${digits.slice(4, 8)}-${digits.slice(8)}`;
}

function newShipment(orderId: string, userId: string, status: ShipmentStatus): ShipmentRow {
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

const view = (s: ShipmentRow) => ({ shipmentId: s.id, orderId: s.order_id, trackingNumber: s.tracking_number, status: s.status });

export function createShippingService(database: Database, bus: MessageBus): ShippingService {
  const store = shippingStore(database.db);

  async function load(id: string, executor: Executor = database.db): Promise<Shipment | null> {
    const s = shippingStore(executor);
    const row = await s.byId(id);
    if (!row) return null;
    return {
      id: row.id,
      orderId: row.order_id,
      trackingNumber: row.tracking_number,
      status: row.status,
      history: await s.history(id),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  return {
    get: (id) => load(id),
    async updateStatus(id, status) {
      const current = await store.byId(id);
      if (!current) throw platformErrors.error('not_found', `No shipment ${id}`);
      if (current.status === status) return (await load(id))!;
      const from = (Object.keys(NEXT) as ShipmentStatus[]).find((s) => NEXT[s] === status);
      const moved =
        from === undefined
          ? null
          : await bus.transaction(async (tx, publish) => {
              if (!(await shippingStore(tx).transition(id, from, status))) return null;
              await publish([{ type: `shipment.${status}`, key: current.order_id, data: { ...view(current), status } }]);
              const shipment = (await load(id, tx))!;
              await answerWithin(tx, shipment);
              return shipment;
            });
      if (moved) return moved;
      const now = (await store.byId(id))!;
      if (now.status === status) return (await load(id))!;
      throw shippingErrors.error('invalid_shipment_transition', `A ${now.status} shipment cannot become ${status}`);
    },
  };
}

/** Creates a shipment for each confirmed order, and holds (cancels) one when its order is being cancelled. */
export function shippingSubscription(): Subscription {
  return {
    group: 'shipping',
    types: ['order.confirmed', 'shipment.cancel'],
    async handle(message, context) {
      const { orderId, userId } = message.data as { orderId: string; userId: string };
      await context.apply(async (tx, publish) => {
        const s = shippingStore(tx);
        if (message.type === 'order.confirmed') {
          const { shipment, created } = await s.ensure(newShipment(orderId, userId, 'created'));
          if (created) await publish([{ type: 'shipment.created', key: orderId, data: view(shipment) }]);
          return;
        }
        // A cancel can reach shipping before the shipment exists: create it cancelled, so it never ships.
        const { shipment, created } = await s.ensure(newShipment(orderId, userId, 'cancelled'));
        const held = created || shipment.status === 'cancelled' || (await s.transition(shipment.id, 'created', 'cancelled'));
        await publish([
          held
            ? { type: 'shipment.cancelled', key: orderId, data: { ...view(shipment), status: 'cancelled' } }
            : { type: 'shipment.cancel_refused', key: orderId, data: view((await s.byOrder(orderId))!) },
        ]);
      });
    },
  };
}
