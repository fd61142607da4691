import type { Kysely, Selectable } from 'kysely';
import { asSchema, type Executor } from '../../platform/db/database.js';
import { firstIdAt, newId } from '../../platform/db/ids.js';
import { prepare, prepareRows, type Prepared } from '../../platform/db/prepared.js';
import type { CancellationReason, OrderStatus, PaymentStatus } from './status.js';

export type SagaStep =
  | 'reserving'
  | 'charging'
  | 'committing'
  | 'confirmed'
  | 'holding_shipment'
  | 'refunding'
  | 'releasing'
  | 'restocking'
  | 'cancelled';

interface OrdersTables {
  orders: {
    id: string;
    user_id: string;
    status: OrderStatus;
    total_amount: number;
    currency: string;
    shipping_address: string;
    payment_token: string;
    payment_status: PaymentStatus;
    shipment: string | null;
    cancellation_reason: CancellationReason | null;
    created_at: string;
    updated_at: string;
  };
  order_lines: {
    order_id: string;
    position: number;
    user_id: string;
    variant_id: string;
    sku: string;
    title: string;
    quantity: number;
    unit_amount: number;
    currency: string;
  };
  order_timeline: { id: string; order_id: string; user_id: string; status: OrderStatus; note: string | null; at: string };
  order_sagas: {
    order_id: string;
    user_id: string;
    step: SagaStep;
    stock: 'none' | 'held' | 'committed';
    payment: 'none' | 'charged' | 'refunded';
    cancel_reason: CancellationReason | null;
    deadline: string;
    version: number;
    last_event: string | null;
    updated_at: string;
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
  /** Placed at or after (inclusive), and before (exclusive): ISO times. */
  createdFrom?: string;
  createdTo?: string;
  limit: number;
}

type SagaChanges = Partial<Omit<SagaRow, 'order_id' | 'user_id' | 'version'>>;

/** An update of `table` setting `columns`, where `key` and (for sagas) `version` match: compiled once per set of columns. */
function updatesBy<Row>(compiler: Executor, table: 'orders' | 'order_sagas', key: 'id' | 'order_id', guarded: boolean) {
  const byColumns = new Map<string, Prepared<Row & { key: string; expected?: number }>>();
  return (changes: object) => {
    const columns = Object.entries(changes)
      .filter(([, value]) => value !== undefined)
      .map(([column]) => column);
    const name = columns.join(',');
    let statement = byColumns.get(name);
    if (!statement) {
      statement = prepare<Row & { key: string; expected?: number }>(compiler, (d, v) => {
        const values = v as Record<string, unknown>;
        const update = asSchema<OrdersTables>(d)
          .updateTable(table)
          .set(Object.fromEntries(columns.map((c) => [c, values[c]])))
          .where(key, '=', v.key);
        return guarded ? update.where('version', '=', v.expected!) : update;
      });
      byColumns.set(name, statement);
    }
    return statement;
  };
}

/**
 * The statements every saga step runs, compiled once for the database's dialect (see platform/db/prepared.ts):
 * the saga reads its order and writes a step several times per order.
 */
export function orderStatements(compiler: Executor) {
  return {
    insertOrder: prepare<OrderRow>(compiler, (d, o) =>
      asSchema<OrdersTables>(d).insertInto('orders').values({
        id: o.id,
        user_id: o.user_id,
        status: o.status,
        total_amount: o.total_amount,
        currency: o.currency,
        shipping_address: o.shipping_address,
        payment_token: o.payment_token,
        payment_status: o.payment_status,
        shipment: o.shipment,
        cancellation_reason: o.cancellation_reason,
        created_at: o.created_at,
        updated_at: o.updated_at,
      }),
    ),
    insertLines: prepareRows<LineRow>(compiler, (d, rows) =>
      asSchema<OrdersTables>(d)
        .insertInto('order_lines')
        .values(
          rows.map((l) => ({
            order_id: l.order_id,
            position: l.position,
            user_id: l.user_id,
            variant_id: l.variant_id,
            sku: l.sku,
            title: l.title,
            quantity: l.quantity,
            unit_amount: l.unit_amount,
            currency: l.currency,
          })),
        ),
    ),
    insertSaga: prepare<SagaRow>(compiler, (d, v) =>
      asSchema<OrdersTables>(d).insertInto('order_sagas').values({
        order_id: v.order_id,
        user_id: v.user_id,
        step: v.step,
        stock: v.stock,
        payment: v.payment,
        cancel_reason: v.cancel_reason,
        deadline: v.deadline,
        version: v.version,
        last_event: v.last_event,
        updated_at: v.updated_at,
      }),
    ),
    order: prepare<{ id: string }>(compiler, (d, v) => asSchema<OrdersTables>(d).selectFrom('orders').selectAll().where('id', '=', v.id)),
    saga: prepare<{ id: string }>(compiler, (d, v) =>
      asSchema<OrdersTables>(d).selectFrom('order_sagas').selectAll().where('order_id', '=', v.id),
    ),
    lines: prepare<{ id: string }>(compiler, (d, v) =>
      asSchema<OrdersTables>(d).selectFrom('order_lines').selectAll().where('order_id', '=', v.id).orderBy('position'),
    ),
    addTimeline: prepare<TimelineRow>(compiler, (d, v) =>
      asSchema<OrdersTables>(d)
        .insertInto('order_timeline')
        .values({ id: v.id, order_id: v.order_id, user_id: v.user_id, status: v.status, note: v.note, at: v.at }),
    ),
    updateOrder: updatesBy<Partial<OrderRow>>(compiler, 'orders', 'id', false),
    updateSaga: updatesBy<SagaChanges & { version: number }>(compiler, 'order_sagas', 'order_id', true),
  };
}

export type OrderStatements = ReturnType<typeof orderStatements>;

/**
 * An order id made within a minute of `at` (ids are time-ordered and made with the order's created_at), on
 * the side `direction` points to: a date filter becomes a range of the primary key, which the list walks
 * anyway, instead of a sort of every order in the range. created_at still decides exactly.
 */
export function idBound(at: string, direction: -1 | 1): string {
  return firstIdAt('ord', new Date(Date.parse(at) + direction * 60_000));
}

export function createOrdersStore(executor: Executor, statements: OrderStatements) {
  const db: Kysely<OrdersTables> = asSchema<OrdersTables>(executor);
  return {
    insertOrder: (row: OrderRow) => statements.insertOrder.execute(executor, row),
    insertLines: (rows: LineRow[]) => statements.insertLines.execute(executor, rows),
    insertSaga: (row: SagaRow) => statements.insertSaga.execute(executor, row),

    addTimeline: (entry: Omit<TimelineRow, 'id'>) => statements.addTimeline.execute(executor, { id: newId('tml'), ...entry }),

    order: async (id: string) => (await statements.order.execute<OrderRow>(executor, { id })).rows[0],
    saga: async (orderId: string) => (await statements.saga.execute<SagaRow>(executor, { id: orderId })).rows[0],

    linesOf: async (orderIds: string[]): Promise<LineRow[]> => {
      if (orderIds.length === 1) return (await statements.lines.execute<LineRow>(executor, { id: orderIds[0]! })).rows;
      return orderIds.length === 0
        ? []
        : db.selectFrom('order_lines').selectAll().where('order_id', 'in', orderIds).orderBy('order_id').orderBy('position').execute();
    },

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
      if (filter.createdFrom !== undefined)
        query = query.where('created_at', '>=', filter.createdFrom).where('id', '>=', idBound(filter.createdFrom, -1));
      if (filter.createdTo !== undefined)
        query = query.where('created_at', '<', filter.createdTo).where('id', '<', idBound(filter.createdTo, 1));
      return query.orderBy('id', 'desc').limit(filter.limit).execute();
    },

    async updateOrder(id: string, changes: Partial<Omit<OrderRow, 'id' | 'user_id' | 'created_at'>>): Promise<void> {
      await statements.updateOrder(changes).execute(executor, { ...changes, key: id });
    },

    /** Writes the saga only if nobody moved it since `version` was read; false means read again and retry. */
    async updateSaga(orderId: string, version: number, changes: SagaChanges): Promise<boolean> {
      const set = { ...changes, version: version + 1 };
      const result = await statements.updateSaga(set).execute(executor, { ...set, key: orderId, expected: version });
      return Number(result.numAffectedRows) === 1;
    },

    /** Orders accepted and not yet confirmed or cancelled: a range of the status index. */
    async countPending(): Promise<number> {
      const row = await db
        .selectFrom('orders')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', '=', 'pending')
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    },

    /** When the oldest pending order was placed: ids are time-ordered, so the status index finds it at once. */
    async oldestPending(): Promise<string | null> {
      const row = await db
        .selectFrom('orders')
        .select('created_at')
        .where('status', '=', 'pending')
        .orderBy('id')
        .limit(1)
        .executeTakeFirst();
      return row?.created_at ?? null;
    },

    overdueSagas: (now: string, limit: number) =>
      db
        .selectFrom('order_sagas')
        .selectAll()
        .where('step', 'in', ['reserving', 'charging', 'committing'])
        .where('deadline', '<', now)
        .where('cancel_reason', 'is', null)
        .limit(limit)
        .execute(),

    /** Order ids with their status, for invariant checks. */
    outcomes: () => db.selectFrom('orders').select(['id', 'status', 'total_amount', 'currency', 'payment_status']).execute(),
  };
}

export type OrdersStore = ReturnType<typeof createOrdersStore>;
