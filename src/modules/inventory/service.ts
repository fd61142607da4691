import { recordAudit, type AuditActor } from '../../platform/audit/audit-log.js';
import type { Database, Executor } from '../../platform/db/database.js';
import { nowIso } from '../../platform/db/ids.js';
import { platformErrors } from '../../platform/http/errors.js';
import { answerWithin } from '../../platform/idempotency/effects.js';
import { inventoryErrors } from './errors.js';
import { HOLD, SELL_AVAILABLE, SELL_HELD, Shortfall, UNHOLD, mergeLines, moveLines, toMovement, type Movement } from './stock-moves.js';

export type { Movement } from './stock-moves.js';
import { createInventoryStore, type StockLine } from './store.js';

export type { StockLine } from './store.js';

export interface StockLevel {
  sku: string;
  available: number;
  reserved: number;
  sold: number;
}

export type ReserveOutcome =
  | { status: 'reserved'; orderId: string; expiresAt: string; lines: StockLine[] }
  | { status: 'failed'; orderId: string; reason: 'insufficient_stock' };

export type ReleaseOutcome = { status: 'released' | 'committed' | 'failed' | 'not_found'; orderId: string };

export type RestockOutcome = { status: 'restocked' | 'not_committed'; orderId: string };

export type CommitOutcome =
  | { status: 'committed'; orderId: string }
  | { status: 'commit_failed'; orderId: string; reason: 'insufficient_stock' | 'not_reserved' };

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

  async function reserveOutcomeOf(orderId: string): Promise<ReserveOutcome> {
    const row = await store.getReservation(orderId);
    if (!row) throw new Error(`reservation ${orderId} vanished`);
    if (row.status === 'failed') return { status: 'failed', orderId, reason: 'insufficient_stock' };
    return { status: 'reserved', orderId, expiresAt: row.expires_at, lines: await store.getReservationLines(orderId) };
  }

  /** Returns held stock; `to` is 'expired' for the sweeper, so a late commit may still try to take the stock again. */
  async function unhold(orderId: string, to: 'released' | 'expired'): Promise<boolean> {
    return database.transaction(async (tx) => {
      const s = createInventoryStore(tx);
      const now = nowIso();
      if (!(await s.transition(orderId, 'reserved', to, now))) return false;
      await moveLines(s, await s.getReservationLines(orderId), 'released', UNHOLD, orderId, to === 'expired' ? 'expired' : null, now);
      return true;
    });
  }

  async function release(orderId: string): Promise<ReleaseOutcome> {
    // An expired hold has already returned its stock; releasing it only closes it to a late commit.
    if ((await unhold(orderId, 'released')) || (await store.transition(orderId, 'expired', 'released', nowIso()))) {
      return { status: 'released', orderId };
    }
    const row = await store.getReservation(orderId);
    if (!row) return { status: 'not_found', orderId };
    return { status: row.status === 'committed' || row.status === 'failed' ? row.status : 'released', orderId };
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

    async reserve(orderId, lines, reserveOptions = {}) {
      const merged = mergeLines(lines);
      if (merged.length === 0 || merged.some((l) => !Number.isInteger(l.quantity) || l.quantity <= 0)) {
        throw new Error('reserve needs at least one line with a positive integer quantity');
      }
      const header = (status: 'reserved' | 'failed', now: string) => ({
        order_id: orderId,
        user_id: reserveOptions.userId ?? null,
        status,
        failure: status === 'failed' ? 'insufficient_stock' : null,
        expires_at: new Date(Date.parse(now) + options.reservationTtlMs).toISOString(),
        created_at: now,
        updated_at: now,
      });
      try {
        const granted = await database.transaction(async (tx) => {
          const s = createInventoryStore(tx);
          const now = nowIso();
          const row = header('reserved', now);
          if (!(await s.insertReservation(row))) return null;
          await moveLines(s, merged, 'reserved', HOLD, orderId, null, now);
          await s.insertReservationLines(orderId, merged);
          return { status: 'reserved' as const, orderId, expiresAt: row.expires_at, lines: merged };
        });
        if (granted) return granted;
      } catch (error) {
        if (!(error instanceof Shortfall)) throw error;
        // The hold rolled back whole; record the refusal so a repeat of this order gets the same answer.
        await store.insertReservation(header('failed', nowIso()));
      }
      return reserveOutcomeOf(orderId);
    },

    release,

    async commit(orderId) {
      try {
        return await database.transaction(async (tx): Promise<CommitOutcome> => {
          const s = createInventoryStore(tx);
          const now = nowIso();
          const lines = await s.getReservationLines(orderId);
          if (await s.transition(orderId, 'reserved', 'committed', now)) {
            await moveLines(s, lines, 'committed', SELL_HELD, orderId, null, now);
            return { status: 'committed', orderId };
          }
          // The hold expired and the sweeper returned the stock: take it again if it is still there.
          if (await s.transition(orderId, 'expired', 'committed', now)) {
            await moveLines(s, lines, 'committed', SELL_AVAILABLE, orderId, 'committed after expiry', now);
            return { status: 'committed', orderId };
          }
          const row = await s.getReservation(orderId);
          if (row?.status === 'committed') return { status: 'committed', orderId };
          return { status: 'commit_failed', orderId, reason: 'not_reserved' };
        });
      } catch (error) {
        if (error instanceof Shortfall) return { status: 'commit_failed', orderId, reason: 'insufficient_stock' };
        throw error;
      }
    },

    async restock(orderId) {
      const done = await database.transaction(async (tx) => {
        const s = createInventoryStore(tx);
        const now = nowIso();
        if (!(await s.transition(orderId, 'committed', 'returned', now))) return false;
        await moveLines(
          s,
          await s.getReservationLines(orderId),
          'restocked',
          (q) => ({ available: q, reserved: 0, sold: -q }),
          orderId,
          'order cancelled after confirmation',
          now,
        );
        return true;
      });
      if (done || (await store.getReservation(orderId))?.status === 'returned') return { status: 'restocked', orderId };
      return { status: 'not_committed', orderId };
    },

    async releaseExpired(now = new Date(), limit = 100) {
      let released = 0;
      for (const { order_id } of await store.expiredReservations(now.toISOString(), limit)) {
        if (await unhold(order_id, 'expired')) released += 1;
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

    async reservationStatuses() {
      return new Map((await store.reservationStatuses()).map((r) => [r.order_id, r.status]));
    },
  };
}
