import type { AuditActor } from '../../platform/audit/audit-log.js';
import type { Database } from '../../platform/db/database.js';
import type { SecretBox } from '../../platform/secrets/secret-box.js';
import type { Principal } from '../../platform/http/auth.js';
import type { MessageBus } from '../../platform/messaging/bus.js';
import type { OrderArchive } from './archive.js';
import { cancelOrder } from './cancel-order.js';
import type { CustomerDirectory } from './customers.js';
import { ordersErrors } from './errors.js';
import { placeOrder, type OrderingPorts, type PlaceOrderInput } from './place-order.js';
import type { Applied, InlineCommands } from './saga-follow.js';
import type { Admission } from './admission.js';
import type { OrderStatus } from './status.js';
import { createOrdersStore, type LineRow, type OrderRow, type OrderStatements, type TimelineRow } from './store.js';
import { timelineEntry, toOrder, type Order, type TimelineEntry } from './view.js';

export interface OrderListQuery {
  userId?: string;
  email?: string;
  status?: OrderStatus;
  createdFrom?: string;
  createdTo?: string;
  before?: string;
  limit: number;
}

/** An order as listed: to an admin, with the email of its customer. */
export type ListedOrder = Order & { customerEmail?: string };

export interface SagaSummary {
  step: string;
  cancelReason: string | null;
  updatedAt: string;
}

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
  /**
   * Newest first. Admins see everyone's (narrowed by `userId` or the customer's `email`; an unknown email
   * gives an empty page), each order with its `customerEmail`; customers only their own.
   */
  list(principal: Principal, filter: OrderListQuery): Promise<{ items: ListedOrder[]; lastId: string | null }>;
  /** An admin's cancellation is recorded in the audit log as `actor`'s. */
  cancel(principal: Principal, orderId: string, actor: AuditActor): Promise<Order>;
  /** Timeline entries after `afterId` (all when undefined), with their ids, for live streams. */
  timelineSince(orderId: string, afterId?: string): Promise<{ id: string; entry: TimelineEntry }[]>;
  /** Where the order's saga stands (its step, and why it compensates); null once archived or for unknown orders. */
  saga(orderId: string): Promise<SagaSummary | null>;
  /** Every order's status and total, archived ones too, for invariant checks. */
  outcomes(): Promise<OrderOutcome[]>;
}

export function createOrdersService(
  database: Database,
  bus: MessageBus,
  statements: OrderStatements,
  ports: OrderingPorts,
  options: { sagaDeadlineMs: number; secrets: SecretBox; inline: InlineCommands | null; recordStep: (step: Applied) => void },
  archive: OrderArchive,
  customers: CustomerDirectory,
  admission: Admission,
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

  const maySee = (principal: Principal, userId: string) => principal.role === 'admin' || userId === principal.userId;

  /** The order from the hot tables or, once archived, from its archive file. */
  async function visible(principal: Principal, orderId: string): Promise<Order | null> {
    const row = await store.order(orderId);
    if (row) return maySee(principal, row.user_id) ? (await views([row]))[0]! : null;
    const archived = await archive.find(orderId);
    return archived && maySee(principal, archived.user_id) ? archive.order(archived) : null;
  }

  return {
    async place(input) {
      await admission.admit();
      const order = await placeOrder(bus, statements, ports, input, options);
      admission.accepted();
      return order;
    },
    get: visible,
    /** Hot and archived orders merged newest first: an old order still in the hot tables keeps its place. */
    async list(principal, { email, ...filter }) {
      const admin = principal.role === 'admin';
      let userId = admin ? filter.userId : principal.userId;
      if (admin && email !== undefined) {
        const owner = await customers.idByEmail(email);
        if (owner === null || (userId !== undefined && userId !== owner)) return { items: [], lastId: null };
        userId = owner;
      }
      const query = { ...filter, userId, limit: filter.limit + 1 };
      const [hot, cold] = await Promise.all([store.list(query), archive.list(query)]);
      const merged = [...hot.map((row) => ({ id: row.id, row })), ...cold.map((row) => ({ id: row.order_id, cold: row }))]
        .sort((a, b) => (a.id < b.id ? 1 : -1))
        .slice(0, filter.limit + 1);
      const page = merged.slice(0, filter.limit);
      const hotViews = new Map((await views(page.flatMap((p) => ('row' in p ? [p.row] : [])))).map((o) => [o.id, o]));
      const orders = await Promise.all(page.map((p) => ('cold' in p && p.cold ? archive.order(p.cold) : hotViews.get(p.id)!)));
      const emails = admin ? await customers.emailsOf(orders.map((o) => o.userId)) : null;
      // An account deleted since keeps its orders; its email is then unknown, and shown empty.
      const items = emails ? orders.map((o) => ({ ...o, customerEmail: emails.get(o.userId) ?? '' })) : orders;
      return { items, lastId: merged.length > filter.limit ? page[page.length - 1]!.id : null };
    },
    async cancel(principal, orderId, actor) {
      // An archived order is final: cancelled already (the same answer again) or delivered (too late).
      const archived = await archive.find(orderId);
      if (archived && maySee(principal, archived.user_id)) {
        if (archived.status === 'cancelled') return archive.order(archived);
        throw ordersErrors.error('order_not_cancellable', `The order is ${archived.status}; it can no longer be cancelled`);
      }
      return cancelOrder(bus, statements, principal, orderId, actor);
    },
    async saga(orderId) {
      const row = await store.saga(orderId);
      return row ? { step: row.step, cancelReason: row.cancel_reason, updatedAt: row.updated_at } : null;
    },
    async timelineSince(orderId, afterId) {
      return (await store.timelineOf([orderId], afterId)).map((row) => ({ id: row.id, entry: timelineEntry(row) }));
    },
    async outcomes() {
      const [hot, cold] = await Promise.all([store.outcomes(), archive.outcomes()]);
      return [
        ...hot.map((o) => ({ id: o.id, status: o.status, total: o.total_amount, currency: o.currency })),
        ...cold.map((o) => ({ id: o.order_id, status: o.status, total: o.total_amount, currency: o.currency })),
      ];
    },
  };
}
