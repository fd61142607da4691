import { sql, type Kysely, type Selectable } from 'kysely';
import { asSchema, type Executor } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';

export type ReservationStatus = 'reserved' | 'committed' | 'released' | 'expired' | 'failed' | 'returned';
export type MovementKind = 'received' | 'adjusted' | 'reserved' | 'released' | 'committed' | 'restocked';

interface InventoryTables {
  inventory_stock: { sku: string; available: number; reserved: number; sold: number; updated_at: string };
  inventory_movements: {
    id: string;
    sku: string;
    kind: MovementKind;
    delta_available: number;
    delta_reserved: number;
    delta_sold: number;
    order_id: string | null;
    reason: string | null;
    created_at: string;
  };
  inventory_reservations: {
    order_id: string;
    user_id: string | null;
    status: ReservationStatus;
    failure: string | null;
    expires_at: string;
    created_at: string;
    updated_at: string;
  };
  inventory_reservation_lines: { order_id: string; sku: string; quantity: number };
}

export type StockRow = Selectable<InventoryTables['inventory_stock']>;
export type MovementRow = Selectable<InventoryTables['inventory_movements']>;
export type ReservationRow = Selectable<InventoryTables['inventory_reservations']>;
export interface StockLine {
  sku: string;
  quantity: number;
}

/** How one stock row moves: each delta is applied only if no count would go below zero. */
export interface StockDelta {
  available: number;
  reserved: number;
  sold: number;
}

export function createInventoryStore(executor: Executor) {
  const db: Kysely<InventoryTables> = asSchema<InventoryTables>(executor);
  return {
    getStock: (sku: string) => db.selectFrom('inventory_stock').selectAll().where('sku', '=', sku).executeTakeFirst(),

    availability: (skus: string[]) => db.selectFrom('inventory_stock').select(['sku', 'available']).where('sku', 'in', skus).execute(),

    insertStock: (rows: StockRow[]) => db.insertInto('inventory_stock').values(rows).execute(),

    /**
     * One conditional UPDATE: the guard and the write are a single statement, so no interleaving of
     * concurrent callers can take a count below zero. Returns false when the guard refused.
     */
    async applyDelta(sku: string, delta: StockDelta, now: string): Promise<boolean> {
      let query = db
        .updateTable('inventory_stock')
        .set({
          available: sql`available + ${delta.available}`,
          reserved: sql`reserved + ${delta.reserved}`,
          sold: sql`sold + ${delta.sold}`,
          updated_at: now,
        })
        .where('sku', '=', sku);
      if (delta.available < 0) query = query.where('available', '>=', -delta.available);
      if (delta.reserved < 0) query = query.where('reserved', '>=', -delta.reserved);
      if (delta.sold < 0) query = query.where('sold', '>=', -delta.sold);
      const result = await query.executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    insertMovements: (rows: Omit<MovementRow, 'id'>[]) =>
      rows.length === 0
        ? Promise.resolve()
        : db
            .insertInto('inventory_movements')
            .values(rows.map((r) => ({ id: newId('mov'), ...r })))
            .execute()
            .then(() => undefined),

    listMovements: (sku: string, limit: number, before?: string) => {
      let query = db.selectFrom('inventory_movements').selectAll().where('sku', '=', sku);
      if (before !== undefined) query = query.where('id', '<', before);
      return query.orderBy('id', 'desc').limit(limit).execute();
    },

    getReservation: (orderId: string) =>
      db.selectFrom('inventory_reservations').selectAll().where('order_id', '=', orderId).executeTakeFirst(),

    getReservationLines: (orderId: string) =>
      db.selectFrom('inventory_reservation_lines').select(['sku', 'quantity']).where('order_id', '=', orderId).orderBy('sku').execute(),

    /** Inserts the reservation unless one exists for the order; false when it did. */
    async insertReservation(row: ReservationRow): Promise<boolean> {
      const result = await db
        .insertInto('inventory_reservations')
        .values(row)
        .onConflict((oc) => oc.column('order_id').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
    },

    insertReservationLines: (orderId: string, lines: StockLine[]) =>
      db
        .insertInto('inventory_reservation_lines')
        .values(lines.map((l) => ({ order_id: orderId, sku: l.sku, quantity: l.quantity })))
        .execute(),

    /** A hold that could not be taken: the row stays, so a repeat of the order gets the same answer. */
    refuseReservation: (orderId: string, now: string) =>
      db
        .updateTable('inventory_reservations')
        .set({ status: 'failed', failure: 'insufficient_stock', updated_at: now })
        .where('order_id', '=', orderId)
        .execute(),

    forgetReservation: (orderId: string) => db.deleteFrom('inventory_reservations').where('order_id', '=', orderId).execute(),

    /** Moves a reservation from one status to another; false when it was not in `from` (someone else moved it first). */
    async transition(orderId: string, from: ReservationStatus, to: ReservationStatus, now: string): Promise<boolean> {
      const result = await db
        .updateTable('inventory_reservations')
        .set({ status: to, updated_at: now })
        .where('order_id', '=', orderId)
        .where('status', '=', from)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    expiredReservations: (now: string, limit: number) =>
      db
        .selectFrom('inventory_reservations')
        .select('order_id')
        .where('status', '=', 'reserved')
        .where('expires_at', '<', now)
        .orderBy('expires_at')
        .limit(limit)
        .execute(),

    /** Every stock row beside its ledger sums, for invariant checks. */
    stockAgainstLedger: () =>
      db
        .selectFrom('inventory_stock as s')
        .leftJoin(
          (eb) =>
            eb
              .selectFrom('inventory_movements')
              .select([
                'sku',
                sql<number>`sum(delta_available)`.as('available'),
                sql<number>`sum(delta_reserved)`.as('reserved'),
                sql<number>`sum(delta_sold)`.as('sold'),
                sql<number>`sum(case when kind in ('received', 'adjusted') then delta_available else 0 end)`.as('received'),
              ])
              .groupBy('sku')
              .as('m'),
          (join) => join.onRef('m.sku', '=', 's.sku'),
        )
        .select([
          's.sku',
          's.available',
          's.reserved',
          's.sold',
          'm.available as ledger_available',
          'm.reserved as ledger_reserved',
          'm.sold as ledger_sold',
          'm.received as ledger_received',
        ])
        .execute(),

    reservationStatuses: () => db.selectFrom('inventory_reservations').select(['order_id', 'status']).execute(),
  };
}

export type InventoryStore = ReturnType<typeof createInventoryStore>;
