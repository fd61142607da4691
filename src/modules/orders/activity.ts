import { sql } from 'kysely';
import { asSchema, type Database } from '../../platform/db/database.js';
import { firstIdAt } from '../../platform/db/ids.js';
import type { OrderStatus } from './status.js';

/** The statuses an order is counted under in the minute it reached them (placed is its first, pending). */
export const MILESTONES = ['pending', 'confirmed', 'cancelled'] as const satisfies readonly OrderStatus[];
export type Milestone = (typeof MILESTONES)[number];

/** How many orders reached a milestone in one minute (`minute` as `YYYY-MM-DDTHH:MM`, UTC). */
export interface MilestoneCount {
  minute: string;
  status: Milestone;
  orders: number;
}

/** What orders are doing, for operators: cheap enough to be asked every few seconds. */
export interface OrderActivity {
  /** Orders that reached each milestone since `since`, per minute; minutes with none are left out. */
  milestonesSince(since: Date): Promise<MilestoneCount[]>;
  /** Orders per status in the hot tables (archived ones, all final, are not counted). */
  byStatus(): Promise<Record<OrderStatus, number>>;
}

interface ActivityTables {
  orders: { id: string; status: OrderStatus };
  order_timeline: { id: string; order_id: string; status: OrderStatus; at: string };
}

export function createOrderActivity(database: Database): OrderActivity {
  const db = asSchema<ActivityTables>(database.db);
  return {
    async milestonesSince(since) {
      // An order's timeline repeats a status for notes (a shipment created while confirmed): only the first
      // entry of each status is the move to it. Entry ids are time-ordered and made as the entry is written,
      // just after its `at`: the window is a range of the primary key from a minute earlier (no index on time
      // kept up for every entry), `at` deciding exactly; each order's earlier entries come from
      // order_timeline_order.
      const rows = await db
        .selectFrom('order_timeline as t')
        .select(['t.status', sql<string>`substr(t.at, 1, 16)`.as('minute'), sql<number>`count(*)`.as('n')])
        .where('t.id', '>=', firstIdAt('tml', new Date(since.getTime() - 60_000)))
        .where('t.at', '>=', since.toISOString())
        .where('t.status', 'in', MILESTONES)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('order_timeline as p')
                .select('p.id')
                .whereRef('p.order_id', '=', 't.order_id')
                .whereRef('p.status', '=', 't.status')
                .where((eb) =>
                  eb.or([eb('p.at', '<', eb.ref('t.at')), eb.and([eb('p.at', '=', eb.ref('t.at')), eb('p.id', '<', eb.ref('t.id'))])]),
                ),
            ),
          ),
        )
        .groupBy(['t.status', sql`substr(t.at, 1, 16)`])
        .execute();
      return rows.map((r) => ({ minute: r.minute, status: r.status as Milestone, orders: Number(r.n) }));
    },
    async byStatus() {
      const rows = await db
        .selectFrom('orders')
        .select(['status', sql<number>`count(*)`.as('n')])
        .groupBy('status')
        .execute();
      const counts: Record<OrderStatus, number> = { pending: 0, confirmed: 0, shipped: 0, delivered: 0, cancelled: 0 };
      for (const r of rows) counts[r.status] = Number(r.n);
      return counts;
    },
  };
}
