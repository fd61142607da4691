import type { Kysely, Selectable } from 'kysely';
import { asSchema, type Executor } from '../../platform/db/database.js';
import { newId } from '../../platform/db/ids.js';
import type { CancellationReason, OrderStatus, PaymentStatus } from './status.js';

export type SagaStep =
  | 'reserving' | 'charging' | 'committing' | 'confirmed'
  | 'holding_shipment' | 'refunding' | 'releasing' | 'restocking' | 'cancelled';

interface OrdersTables {
  orders: {
    id: string; user_id: string; status: OrderStatus; total_amount: number; currency: string; shipping_address: string;
    payment_token: string; payment_status: PaymentStatus; shipment: string | null; cancellation_reason: CancellationReason | null;
    created_at: string; updated_at: string;
  };
  order_lines: {
    order_id: string; position: number; user_id: string; variant_id: string; sku: string; title: string;
    quantity: number; unit_amount: number; currency: string;
  };
  order_timeline: { id: string; order_id: string; user_id: string; status: OrderStatus; note: string | null; at: string };
  order_sagas: {
    order_id: string; user_id: string; step: SagaStep; stock: 'none' | 'held' | 'committed'; payment: 'none' | 'charged' | 'refunded';
    cancel_reason: CancellationReason | null; deadline: string; version: number; last_event: string | null; updated_at: string;
  };
}

export type OrderRow = Selectable<OrdersTables['orders']>;
export type LineRow = Selectable<OrdersTables['order_lines']>;
export type TimelineRow = Selectable<OrdersTables['order_timeline']>;
export type SagaRow = Selectable<OrdersTables['order_sagas']>;

export interface OrderListFilter {
  userId?: string;
  status?: OrderStatus;
  before?: string;
  limit: number;
}

export function ordersStore(executor: Executor) {
  const db: Kysely<OrdersTables> = asSchema<OrdersTables>(executor);
  return {
    insertOrder: (row: OrderRow) => db.insertInto('orders').values(row).execute(),
    insertLines: (rows: LineRow[]) => db.insertInto('order_lines').values(rows).execute(),
    insertSaga: (row: SagaRow) => db.insertInto('order_sagas').values(row).execute(),

    addTimeline: (entry: Omit<TimelineRow, 'id'>) => db.insertInto('order_timeline').values({ id: newId('tml'), ...entry }).execute(),

    order: (id: string) => db.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirst(),
    saga: (orderId: string) => db.selectFrom('order_sagas').selectAll().where('order_id', '=', orderId).executeTakeFirst(),

    linesOf: (orderIds: string[]) =>
      orderIds.length === 0 ? Promise.resolve([]) : db.selectFrom('order_lines').selectAll().where('order_id', 'in', orderIds).orderBy('order_id').orderBy('position').execute(),

    timelineOf: (orderIds: string[], after?: string) => {
      if (orderIds.length === 0) return Promise.resolve([]);
      let query = db.selectFrom('order_timeline').selectAll().where('order_id', 'in', orderIds);
      if (after !== undefined) query = query.where('id', '>', after);
      return query.orderBy('order_id').orderBy('id').execute();
    },

    list: (filter: OrderListFilter) => {
      let query = db.selectFrom('orders').selectAll();
      if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
      if (filter.status !== undefined) query = query.where('status', '=', filter.status);
      if (filter.before !== undefined) query = query.where('id', '<', filter.before);
      return query.orderBy('id', 'desc').limit(filter.limit).execute();
    },

    updateOrder: (id: string, changes: Partial<Omit<OrderRow, 'id' | 'user_id' | 'created_at'>>) =>
      db.updateTable('orders').set(changes).where('id', '=', id).execute(),

    /** Writes the saga only if nobody moved it since `version` was read; false means read again and retry. */
    async updateSaga(orderId: string, version: number, changes: Partial<Omit<SagaRow, 'order_id' | 'user_id' | 'version'>>): Promise<boolean> {
      const result = await db.updateTable('order_sagas').set({ ...changes, version: version + 1 })
        .where('order_id', '=', orderId).where('version', '=', version).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    overdueSagas: (now: string, limit: number) =>
      db.selectFrom('order_sagas').selectAll()
        .where('step', 'in', ['reserving', 'charging', 'committing'])
        .where('deadline', '<', now)
        .where('cancel_reason', 'is', null)
        .limit(limit)
        .execute(),

    /** Order ids with their status, for invariant checks. */
    outcomes: () => db.selectFrom('orders').select(['id', 'status', 'total_amount', 'currency', 'payment_status']).execute(),
  };
}

export type OrdersStore = ReturnType<typeof ordersStore>;
