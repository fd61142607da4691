import type { Database } from '../../platform/db/database.js';
import type { Principal } from '../../platform/http/auth.js';
import type { MessageBus } from '../../platform/messaging/bus.js';
import { cancelOrder } from './cancel-order.js';
import { placeOrder, type OrderingPorts, type PlaceOrderInput } from './place-order.js';
import type { OrderStatus } from './status.js';
import { createOrdersStore, type LineRow, type OrderRow, type OrderStatements, type TimelineRow } from './store.js';
import { timelineEntry, toOrder, type Order, type TimelineEntry } from './view.js';

export interface OrderOutcome {
  id: string;
  status: OrderStatus;
  total: number;
  currency: string;
}

/** Orders as customers and admins see them; placing and cancelling start or steer the saga. */
export interface OrdersService {
  place(input: PlaceOrderInput): Promise<Order>;
  /** null when the order does not exist or the caller may not see it (customers see only their own). */
  get(principal: Principal, orderId: string): Promise<Order | null>;
  list(
    principal: Principal,
    filter: { userId?: string; status?: OrderStatus; before?: string; limit: number },
  ): Promise<{ items: Order[]; lastId: string | null }>;
  cancel(principal: Principal, orderId: string): Promise<Order>;
  /** Timeline entries after `afterId` (all when undefined), with their ids, for live streams. */
  timelineSince(orderId: string, afterId?: string): Promise<{ id: string; entry: TimelineEntry }[]>;
  /** Every order's status and total, for invariant checks. */
  outcomes(): Promise<OrderOutcome[]>;
}

export function createOrdersService(
  database: Database,
  bus: MessageBus,
  statements: OrderStatements,
  ports: OrderingPorts,
  options: { sagaDeadlineMs: number },
): OrdersService {
  const store = createOrdersStore(database.db, statements);

  async function views(rows: OrderRow[]): Promise<Order[]> {
    const ids = rows.map((r) => r.id);
    const [lines, timeline] = await Promise.all([store.linesOf(ids), store.timelineOf(ids)]);
    const linesBy = new Map<string, LineRow[]>();
    const timelineBy = new Map<string, TimelineRow[]>();
    for (const l of lines) linesBy.set(l.order_id, [...(linesBy.get(l.order_id) ?? []), l]);
    for (const t of timeline) timelineBy.set(t.order_id, [...(timelineBy.get(t.order_id) ?? []), t]);
    return rows.map((r) => toOrder(r, linesBy.get(r.id) ?? [], timelineBy.get(r.id) ?? []));
  }

  async function visible(principal: Principal, orderId: string): Promise<Order | null> {
    const row = await store.order(orderId);
    if (!row || (principal.role !== 'admin' && row.user_id !== principal.userId)) return null;
    return (await views([row]))[0]!;
  }

  return {
    place: (input) => placeOrder(bus, statements, ports, input, options),
    get: visible,
    async list(principal, filter) {
      const userId = principal.role === 'admin' ? filter.userId : principal.userId;
      const rows = await store.list({ ...filter, userId, limit: filter.limit + 1 });
      const page = rows.slice(0, filter.limit);
      return { items: await views(page), lastId: rows.length > filter.limit ? page[page.length - 1]!.id : null };
    },
    cancel: (principal, orderId) => cancelOrder(bus, statements, principal, orderId),
    async timelineSince(orderId, afterId) {
      return (await store.timelineOf([orderId], afterId)).map((row) => ({ id: row.id, entry: timelineEntry(row) }));
    },
    async outcomes() {
      return (await store.outcomes()).map((o) => ({ id: o.id, status: o.status, total: o.total_amount, currency: o.currency }));
    },
  };
}
