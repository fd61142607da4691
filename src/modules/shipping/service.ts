import { recordAudit, type AuditActor } from '../../platform/audit/audit-log.js';
import type { MessageBus } from '../../platform/messaging/bus.js';
import type { Database, Executor } from '../../platform/db/database.js';
import { platformErrors } from '../../platform/http/errors.js';
import { answerWithin } from '../../platform/idempotency/effects.js';
import { shippingErrors } from './errors.js';
import { shipmentInTransit, shipmentDelivered } from './messages.js';
import { shipmentView } from './shipments.js';
import { createShippingStore, type ShipmentStatus } from './store.js';

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
  /**
   * created → in_transit → delivered; invalid_shipment_transition otherwise (a cancelled shipment never moves).
   * A move is recorded in the audit log as `actor`'s.
   */
  updateStatus(id: string, status: 'in_transit' | 'delivered', actor: AuditActor): Promise<Shipment>;
}

const NEXT: Partial<Record<ShipmentStatus, ShipmentStatus>> = { created: 'in_transit', in_transit: 'delivered' };

export function createShippingService(database: Database, bus: MessageBus): ShippingService {
  const store = createShippingStore(database.db);

  async function load(id: string, executor: Executor = database.db): Promise<Shipment | null> {
    const s = createShippingStore(executor);
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
    async updateStatus(id, status, actor) {
      const current = await store.byId(id);
      if (!current) throw platformErrors.error('not_found', `No shipment ${id}`);
      if (current.status === status) return (await load(id))!;
      const from = (Object.keys(NEXT) as ShipmentStatus[]).find((s) => NEXT[s] === status);
      const moved =
        from === undefined
          ? null
          : await bus.transaction(async (tx, publish) => {
              if (!(await createShippingStore(tx).transition(id, from, status))) return null;
              await publish([
                (status === 'in_transit' ? shipmentInTransit : shipmentDelivered).event(current.order_id, {
                  ...shipmentView(current),
                  status,
                }),
              ]);
              const shipment = (await load(id, tx))!;
              await recordAudit(tx, {
                actor,
                action: 'shipment.status_changed',
                subject: id,
                before: { status: from, orderId: current.order_id },
                after: { status, orderId: current.order_id },
              });
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
