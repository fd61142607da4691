import type { Kysely, Selectable } from 'kysely';
import { asSchema, type Executor } from '../../platform/db/database.js';
import { newId, nowIso } from '../../platform/db/ids.js';

export type ShipmentStatus = 'created' | 'in_transit' | 'delivered' | 'cancelled';

export interface ShippingTables {
  shipments: {
    id: string;
    order_id: string;
    user_id: string;
    tracking_number: string;
    status: ShipmentStatus;
    created_at: string;
    updated_at: string;
  };
  shipment_events: { id: string; shipment_id: string; status: ShipmentStatus; at: string };
}

export type ShipmentRow = Selectable<ShippingTables['shipments']>;

export function createShippingStore(executor: Executor) {
  const db: Kysely<ShippingTables> = asSchema<ShippingTables>(executor);
  return {
    byId: (id: string) => db.selectFrom('shipments').selectAll().where('id', '=', id).executeTakeFirst(),
    byOrder: (orderId: string) => db.selectFrom('shipments').selectAll().where('order_id', '=', orderId).executeTakeFirst(),
    history: (id: string) =>
      db.selectFrom('shipment_events').select(['status', 'at']).where('shipment_id', '=', id).orderBy('id').execute(),

    /** Creates the order's shipment unless it has one; returns the shipment either way. */
    async ensure(row: ShipmentRow): Promise<{ shipment: ShipmentRow; created: boolean }> {
      const result = await db
        .insertInto('shipments')
        .values(row)
        .onConflict((oc) => oc.column('order_id').doNothing())
        .executeTakeFirst();
      const created = Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
      if (created)
        await db
          .insertInto('shipment_events')
          .values({ id: newId('she'), shipment_id: row.id, status: row.status, at: row.created_at })
          .execute();
      return { shipment: created ? row : (await this.byOrder(row.order_id))!, created };
    },

    /** Moves a shipment only from `from`: the conditional update settles a race with a concurrent cancel. */
    async transition(id: string, from: ShipmentStatus, to: ShipmentStatus): Promise<boolean> {
      const now = nowIso();
      const result = await db
        .updateTable('shipments')
        .set({ status: to, updated_at: now })
        .where('id', '=', id)
        .where('status', '=', from)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return false;
      await db
        .insertInto('shipment_events')
        .values({ id: newId('she'), shipment_id: id, status: to, at: now })
        .execute();
      return true;
    },
  };
}
