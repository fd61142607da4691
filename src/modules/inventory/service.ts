import { recordAudit, type AuditActor } from '../../platform/audit/audit-log.js';
import type { Database, Executor } from '../../platform/db/database.js';
import { nowIso } from '../../platform/db/ids.js';
import { platformErrors } from '../../platform/http/errors.js';
import { answerWithin } from '../../platform/idempotency/effects.js';
import { inventoryErrors } from './errors.js';
import { Shortfall, mergeLines, moveLines, toMovement, type Movement } from './stock-moves.js';
import {
  commitIn,
  releaseIn,
  reserveIn,
  restockIn,
  unholdIn,
  type CommitOutcome,
  type ReleaseOutcome,
  type ReserveOutcome,
  type RestockOutcome,
} from './order-stock.js';

export type { Movement } from './stock-moves.js';
import { createInventoryStore, type StockLine } from './store.js';

export type { StockLine } from './store.js';

export interface StockHold {
  status: 'reserved' | 'committed' | 'released' | 'expired' | 'returned' | 'failed';
  takenAt: string;
  changedAt: string;
}

export interface StockLevel {
  sku: string;
  available: number;
  reserved: number;
  sold: number;
}

export type { ReserveOutcome, ReleaseOutcome, RestockOutcome, CommitOutcome } from './order-stock.js';

/**
 * Stock per SKU and the primitives the order saga runs on. Every primitive is keyed by order id and
 * idempotent (a repeat returns the first outcome), and every count change is a conditional update,
 * so no interleaving of callers can take a count below zero.
 */
export interface InventoryService {
  /** Books newly received stock inside the caller's transaction (catalog does this when a product is created). */
  receive(tx: Executor, lines: StockLine[], reason: string): Promise<void>;
  getStock(sku: string): Promise<StockLevel | null>;
  /** What a shopper may still buy of each known SKU (unknown SKUs are left out); none of the back-office counts. */
  availability(skus: string[]): Promise<{ sku: string; available: number }[]>;
  /** not_found for an unknown SKU; insufficient_stock if available would go below zero. */
  /** Recorded in the audit log as `actor`'s, with the stock before and after. */
  adjust(sku: string, delta: number, reason: string, actor: AuditActor): Promise<StockLevel>;
  movements(sku: string, limit: number, before?: string): Promise<Movement[]>;
  /** Holds every line of the order, or none of them. */
  reserve(orderId: string, lines: StockLine[], options?: { userId?: string }): Promise<ReserveOutcome>;
  /** Returns held stock to available; a no-op for anything but a held reservation. */
  release(orderId: string): Promise<ReleaseOutcome>;
  /** Turns held stock into sold; after expiry it tries to take the stock again and fails cleanly if it is gone. */
  commit(orderId: string): Promise<CommitOutcome>;
  /** Puts the stock of a committed (sold) order back on the shelf: a cancellation after confirmation. */
  restock(orderId: string): Promise<RestockOutcome>;
  /** Releases up to `limit` reservations whose hold has expired; returns how many it released. */
  releaseExpired(now?: Date, limit?: number): Promise<number>;
  /** Every SKU's stock beside its ledger sums, for invariant checks: received = available + reserved + sold. */
  auditStock(): Promise<{ stock: StockLevel; ledger: StockLevel & { received: number } }[]>;
  /** The order's stock hold as it stands: when it was taken, its status and when that last changed. */
  holdOf(orderId: string): Promise<StockHold | null>;
  /** The reservation status of every order that ever asked for stock. */
  reservationStatuses(): Promise<Map<string, string>>;
}

export function createInventoryService(database: Database, options: { reservationTtlMs: number }): InventoryService {
  const db = database.db;
  const store = createInventoryStore(db);

  async function level(sku: string): Promise<StockLevel | null> {
    const row = await store.getStock(sku);
    return row ? { sku: row.sku, available: row.available, reserved: row.reserved, sold: row.sold } : null;
  }

  return {
    async receive(tx, lines, reason) {
      const now = nowIso();
      const merged = mergeLines(lines);
      if (merged.length === 0) return;
      const s = createInventoryStore(tx);
      await s.insertStock(merged.map((l) => ({ sku: l.sku, available: l.quantity, reserved: 0, sold: 0, updated_at: now })));
      const received = merged.filter((l) => l.quantity > 0);
      await s.insertMovements(
        received.map((l) => ({
          sku: l.sku,
          kind: 'received',
          delta_available: l.quantity,
          delta_reserved: 0,
          delta_sold: 0,
          order_id: null,
          reason,
          created_at: now,
        })),
      );
    },

    getStock: level,

    async availability(skus) {
      return skus.length === 0 ? [] : store.availability(skus);
    },
    async adjust(sku, delta, reason, actor) {
      const applied = await database.transaction(async (tx) => {
        const s = createInventoryStore(tx);
        const before = await s.getStock(sku);
        if (!before) return 'unknown';
        try {
          await moveLines(
            s,
            [{ sku, quantity: delta }],
            'adjusted',
            (q) => ({ available: q, reserved: 0, sold: 0 }),
            null,
            reason,
            nowIso(),
          );
        } catch (error) {
          if (error instanceof Shortfall) return 'short';
          throw error;
        }
        const row = (await s.getStock(sku))!;
        const stock: StockLevel = { sku: row.sku, available: row.available, reserved: row.reserved, sold: row.sold };
        await recordAudit(tx, {
          actor,
          action: 'stock.adjusted',
          subject: sku,
          before: { available: before.available, reserved: before.reserved, sold: before.sold },
          after: { available: stock.available, reserved: stock.reserved, sold: stock.sold, delta, reason },
        });
        await answerWithin(tx, stock);
        return stock;
      });
      if (applied === 'unknown') throw platformErrors.error('not_found', `No stock is kept for SKU ${sku}`);
      if (applied === 'short')
        throw inventoryErrors.error('insufficient_stock', `Removing ${-delta} of ${sku} would take available stock below zero`);
      return applied;
    },

    async movements(sku, limit, before) {
      return (await store.listMovements(sku, limit, before)).map(toMovement);
    },

    reserve: (orderId, lines, reserveOptions = {}) =>
      database.transaction(
        async (tx) => (await reserveIn(tx, orderId, lines, { ...reserveOptions, ttlMs: options.reservationTtlMs, refusal: 'record' }))!,
      ),
    release: (orderId) => database.transaction((tx) => releaseIn(tx, orderId)),
    commit: (orderId) => database.transaction((tx) => commitIn(tx, orderId)),
    restock: (orderId) => database.transaction((tx) => restockIn(tx, orderId)),

    async releaseExpired(now = new Date(), limit = 100) {
      let released = 0;
      for (const { order_id } of await store.expiredReservations(now.toISOString(), limit)) {
        if (await database.transaction((tx) => unholdIn(tx, order_id, 'expired'))) released += 1;
      }
      return released;
    },

    async auditStock() {
      return (await store.stockAgainstLedger()).map((r) => ({
        stock: { sku: r.sku, available: r.available, reserved: r.reserved, sold: r.sold },
        ledger: {
          sku: r.sku,
          available: Number(r.ledger_available ?? 0),
          reserved: Number(r.ledger_reserved ?? 0),
          sold: Number(r.ledger_sold ?? 0),
          received: Number(r.ledger_received ?? 0),
        },
      }));
    },

    async holdOf(orderId) {
      const row = await store.getReservation(orderId);
      return row ? { status: row.status, takenAt: row.created_at, changedAt: row.updated_at } : null;
    },

    async reservationStatuses() {
      return new Map((await store.reservationStatuses()).map((r) => [r.order_id, r.status]));
    },
  };
}
