import type { Kysely, Selectable } from 'kysely';
import { decodeRecord, type RecordPlace } from '../../platform/archive/records.js';
import type { ArchiveStore } from '../../platform/archive/store.js';
import { asSchema, type Database, type Executor } from '../../platform/db/database.js';
import { nowIso } from '../../platform/db/ids.js';
import type { OrderStatus } from './status.js';
import {
  createOrdersStore,
  idBound,
  type LineRow,
  type OrderListFilter,
  type OrderRow,
  type OrderStatements,
  type SagaRow,
  type TimelineRow,
} from './store.js';
import { toOrder, type Order } from './view.js';

/** An order is archived only once nothing can change it again. */
const FINAL: OrderStatus[] = ['delivered', 'cancelled'];

interface ArchiveTables {
  orders_archived: {
    order_id: string;
    user_id: string;
    status: OrderStatus;
    total_amount: number;
    currency: string;
    created_at: string;
    updated_at: string;
    archived_at: string;
    file: string;
    record_offset: number;
    record_length: number;
    record_sha256: string;
  };
  orders_archive_files: { name: string; state: 'writing' | 'stored'; orders: number; sha256: string | null; created_at: string };
  orders_archive_lease: { id: number; owner: string; until: string };
  orders: { id: string; status: OrderStatus; updated_at: string };
  order_lines: { order_id: string };
  order_timeline: { order_id: string };
  order_sagas: { order_id: string };
}

export type ArchivedRow = Selectable<ArchiveTables['orders_archived']>;

/** What an archive file holds of one order: the order as the API shows it, its saga, and what other modules kept of it. */
export interface ArchivedOrderRecord {
  order: Order;
  saga: SagaRow | null;
  [part: string]: unknown;
}

/** One order's place in an archive file, with what its index row keeps. */
export interface ArchiveEntry {
  order: Order;
  place: RecordPlace;
}

/**
 * The orders module's side of cold storage: which orders may go, what they are, the index of those that
 * went (so lookups and lists still find them), and the reading of one back from its file.
 */
export function createOrderArchive(database: Database, statements: OrderStatements, store: ArchiveStore) {
  const db: Kysely<ArchiveTables> = asSchema<ArchiveTables>(database.db);

  async function read(row: ArchivedRow): Promise<ArchivedOrderRecord> {
    return decodeRecord<ArchivedOrderRecord>(await store.read(row.file, row.record_offset, row.record_length), row.record_sha256);
  }

  return {
    store,

    /** Orders in a final state unchanged since before `before`, oldest first. */
    candidates: (before: string, limit: number) =>
      db
        .selectFrom('orders')
        .select(['id', 'updated_at'])
        .where('status', 'in', FINAL)
        .where('updated_at', '<', before)
        .orderBy('id')
        .limit(limit)
        .execute(),

    /** The records of these orders as they stand, keyed by order id. */
    async records(ids: string[]): Promise<Map<string, ArchivedOrderRecord>> {
      if (ids.length === 0) return new Map();
      const orders = createOrdersStore(database.db, statements);
      const [rows, lines, timeline, sagas] = await Promise.all([
        asSchema<{ orders: OrderRow }>(database.db).selectFrom('orders').selectAll().where('id', 'in', ids).execute(),
        orders.linesOf(ids),
        orders.timelineOf(ids),
        asSchema<{ order_sagas: SagaRow }>(database.db).selectFrom('order_sagas').selectAll().where('order_id', 'in', ids).execute(),
      ]);
      const group = <T extends { order_id: string }>(items: T[]) => {
        const by = new Map<string, T[]>();
        for (const item of items) by.set(item.order_id, [...(by.get(item.order_id) ?? []), item]);
        return by;
      };
      const linesBy = group<LineRow>(lines);
      const timelineBy = group<TimelineRow>(timeline);
      const sagaBy = new Map(sagas.map((s) => [s.order_id, s]));
      return new Map(
        rows.map((r) => [r.id, { order: toOrder(r, linesBy.get(r.id) ?? [], timelineBy.get(r.id) ?? []), saga: sagaBy.get(r.id) ?? null }]),
      );
    },

    announceFile: (name: string, orders: number) =>
      db.insertInto('orders_archive_files').values({ name, state: 'writing', orders, sha256: null, created_at: nowIso() }).execute(),

    /**
     * In the caller's transaction: indexes the entries, deletes the orders' hot rows and marks the file
     * stored. False, with nothing written, when an order changed since its record was read.
     */
    async moveToArchive(tx: Executor, file: { name: string; sha256: string }, entries: ArchiveEntry[]): Promise<boolean> {
      const t = asSchema<ArchiveTables>(tx);
      const ids = entries.map((e) => e.order.id);
      const unchanged = await t.selectFrom('orders').select(['id', 'updated_at']).where('id', 'in', ids).execute();
      const read = new Map(entries.map((e) => [e.order.id, e.order.updatedAt]));
      if (unchanged.length !== ids.length || unchanged.some((o) => read.get(o.id) !== o.updated_at)) return false;
      const archivedAt = nowIso();
      await t
        .insertInto('orders_archived')
        .values(
          entries.map(({ order, place }) => ({
            order_id: order.id,
            user_id: order.userId,
            status: order.status,
            total_amount: order.total.amount,
            currency: order.total.currency,
            created_at: order.createdAt,
            updated_at: order.updatedAt,
            archived_at: archivedAt,
            file: file.name,
            record_offset: place.offset,
            record_length: place.length,
            record_sha256: place.sha256,
          })),
        )
        .execute();
      await t.deleteFrom('order_lines').where('order_id', 'in', ids).execute();
      await t.deleteFrom('order_timeline').where('order_id', 'in', ids).execute();
      await t.deleteFrom('order_sagas').where('order_id', 'in', ids).execute();
      await t.deleteFrom('orders').where('id', 'in', ids).execute();
      await t.updateTable('orders_archive_files').set({ state: 'stored', sha256: file.sha256 }).where('name', '=', file.name).execute();
      return true;
    },

    /** Files announced and never stored: their orders never left the hot tables. */
    unfinishedFiles: async () =>
      (await db.selectFrom('orders_archive_files').select('name').where('state', '=', 'writing').execute()).map((f) => f.name),

    async forgetFile(name: string): Promise<void> {
      await store.remove(name);
      await db.deleteFrom('orders_archive_files').where('name', '=', name).where('state', '=', 'writing').execute();
    },

    /**
     * Takes (or renews) the one archiver's lease; false while another process holds it. A lease whose
     * holder `isGone` (a process of this machine that died) is taken over at once rather than when it lapses.
     */
    async takeLease(owner: string, ms: number, isGone: (holder: string) => boolean = () => false): Promise<boolean> {
      const now = nowIso();
      const until = new Date(Date.now() + ms).toISOString();
      await db
        .insertInto('orders_archive_lease')
        .values({ id: 1, owner, until: now })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      const holder = (await db.selectFrom('orders_archive_lease').select('owner').where('id', '=', 1).executeTakeFirst())?.owner;
      const taken = await db
        .updateTable('orders_archive_lease')
        .set({ owner, until })
        .where('id', '=', 1)
        .where((w) => w.or([w('owner', '=', owner), w('until', '<', now), ...(holder && isGone(holder) ? [w('owner', '=', holder)] : [])]))
        .executeTakeFirst();
      return Number(taken.numUpdatedRows) === 1;
    },

    releaseLease: (owner: string) =>
      db.updateTable('orders_archive_lease').set({ until: nowIso() }).where('id', '=', 1).where('owner', '=', owner).execute(),

    find: (orderId: string) => db.selectFrom('orders_archived').selectAll().where('order_id', '=', orderId).executeTakeFirst(),

    /** The order back from its file, marked archived. */
    async order(row: ArchivedRow): Promise<Order & { archived: true }> {
      return { ...(await read(row)).order, archived: true };
    },

    record: read,

    list: (filter: OrderListFilter) => {
      let query = db.selectFrom('orders_archived').selectAll();
      if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
      if (filter.status !== undefined) query = query.where('status', '=', filter.status);
      if (filter.before !== undefined) query = query.where('order_id', '<', filter.before);
      if (filter.createdFrom !== undefined)
        query = query.where('created_at', '>=', filter.createdFrom).where('order_id', '>=', idBound(filter.createdFrom, -1));
      if (filter.createdTo !== undefined)
        query = query.where('created_at', '<', filter.createdTo).where('order_id', '<', idBound(filter.createdTo, 1));
      return query.orderBy('order_id', 'desc').limit(filter.limit).execute();
    },

    outcomes: () => db.selectFrom('orders_archived').select(['order_id', 'status', 'total_amount', 'currency']).execute(),
  };
}

export type OrderArchive = ReturnType<typeof createOrderArchive>;
