import type { OrderArchivePart } from '../../platform/archive/part.js';
import { asSchema, type Database } from '../../platform/db/database.js';
import type { ShippingTables } from './store.js';

/** An archived order's shipment and its tracking history. */
export function shippingArchivePart(database: Database): OrderArchivePart {
  return {
    name: 'shipment',
    async records(orderIds) {
      if (orderIds.length === 0) return new Map();
      const db = asSchema<ShippingTables>(database.db);
      const shipments = await db.selectFrom('shipments').selectAll().where('order_id', 'in', orderIds).execute();
      const ids = shipments.map((s) => s.id);
      const events =
        ids.length === 0 ? [] : await db.selectFrom('shipment_events').selectAll().where('shipment_id', 'in', ids).orderBy('id').execute();
      return new Map(
        orderIds.map((id) => {
          const shipment = shipments.find((s) => s.order_id === id) ?? null;
          return [id, { shipment, tracking: shipment ? events.filter((e) => e.shipment_id === shipment.id) : [] }];
        }),
      );
    },
    async forget(tx, orderIds) {
      const db = asSchema<ShippingTables>(tx);
      const ids = (await db.selectFrom('shipments').select('id').where('order_id', 'in', orderIds).execute()).map((s) => s.id);
      if (ids.length > 0) await db.deleteFrom('shipment_events').where('shipment_id', 'in', ids).execute();
      await db.deleteFrom('shipments').where('order_id', 'in', orderIds).execute();
    },
  };
}
