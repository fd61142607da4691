import type { Executor } from '../../platform/db/database.js';
import { nowIso } from '../../platform/db/ids.js';
import { HOLD, SELL_AVAILABLE, SELL_HELD, UNHOLD, mergeLines, moveLines, tryMoveLines } from './stock-moves.js';
import { createInventoryStore, type StockLine } from './store.js';

// The order's stock primitives, each inside the transaction it is handed: the inventory handler gives each
// its own, and the order saga runs them in its own when orders and inventory share a database (one hop
// fewer each: docs/checkout.md). Every one is keyed by order id and answers a repeat as the first time.

export type ReserveOutcome =
  | { status: 'reserved'; orderId: string; expiresAt: string; lines: StockLine[] }
  | { status: 'failed'; orderId: string; reason: 'insufficient_stock' };

export type ReleaseOutcome = { status: 'released' | 'committed' | 'failed' | 'not_found'; orderId: string };

export type RestockOutcome = { status: 'restocked' | 'not_committed'; orderId: string };

export type CommitOutcome =
  | { status: 'committed'; orderId: string }
  | { status: 'commit_failed'; orderId: string; reason: 'insufficient_stock' | 'not_reserved' };

/**
 * Holds every line of the order, or none of them. A refusal is recorded (so a repeat gets the same answer)
 * unless `refusal` is 'leave': then nothing is written and null says the stock was short.
 */
export async function reserveIn(
  tx: Executor,
  orderId: string,
  lines: StockLine[],
  options: { userId?: string; ttlMs: number; refusal: 'record' | 'leave' },
): Promise<ReserveOutcome | null> {
  const merged = mergeLines(lines);
  if (merged.length === 0 || merged.some((l) => !Number.isInteger(l.quantity) || l.quantity <= 0)) {
    throw new Error('reserve needs at least one line with a positive integer quantity');
  }
  const s = createInventoryStore(tx);
  const now = nowIso();
  const expiresAt = new Date(Date.parse(now) + options.ttlMs).toISOString();
  const row = { order_id: orderId, user_id: options.userId ?? null, status: 'reserved' as const, failure: null, expires_at: expiresAt };
  // The row first: a repeat delivered beside this one waits on it, then finds it and answers as it does.
  if (!(await s.insertReservation({ ...row, created_at: now, updated_at: now }))) {
    const existing = (await s.getReservation(orderId))!;
    if (existing.status === 'failed') return { status: 'failed', orderId, reason: 'insufficient_stock' };
    return { status: 'reserved', orderId, expiresAt: existing.expires_at, lines: await s.getReservationLines(orderId) };
  }
  if ((await tryMoveLines(s, merged, 'reserved', HOLD, orderId, null, now)) === null) {
    await s.insertReservationLines(orderId, merged);
    return { status: 'reserved', orderId, expiresAt, lines: merged };
  }
  if (options.refusal === 'leave') {
    await s.forgetReservation(orderId);
    return null;
  }
  await s.refuseReservation(orderId, now);
  return { status: 'failed', orderId, reason: 'insufficient_stock' };
}

/** Turns held stock into sold; after expiry it tries to take the stock again and fails cleanly if it is gone. */
export async function commitIn(tx: Executor, orderId: string): Promise<CommitOutcome> {
  const s = createInventoryStore(tx);
  const now = nowIso();
  const lines = await s.getReservationLines(orderId);
  if (await s.transition(orderId, 'reserved', 'committed', now)) {
    await moveLines(s, lines, 'committed', SELL_HELD, orderId, null, now);
    return { status: 'committed', orderId };
  }
  // The hold expired and the sweeper returned the stock: take it again if it is still there.
  if (await s.transition(orderId, 'expired', 'committed', now)) {
    if ((await tryMoveLines(s, lines, 'committed', SELL_AVAILABLE, orderId, 'committed after expiry', now)) === null) {
      return { status: 'committed', orderId };
    }
    await s.transition(orderId, 'committed', 'expired', now);
    return { status: 'commit_failed', orderId, reason: 'insufficient_stock' };
  }
  const row = await s.getReservation(orderId);
  if (row?.status === 'committed') return { status: 'committed', orderId };
  return { status: 'commit_failed', orderId, reason: 'not_reserved' };
}

/** Returns held stock; `to` is 'expired' for the sweeper, so a late commit may still try to take the stock again. */
export async function unholdIn(tx: Executor, orderId: string, to: 'released' | 'expired'): Promise<boolean> {
  const s = createInventoryStore(tx);
  const now = nowIso();
  if (!(await s.transition(orderId, 'reserved', to, now))) return false;
  await moveLines(s, await s.getReservationLines(orderId), 'released', UNHOLD, orderId, to === 'expired' ? 'expired' : null, now);
  return true;
}

/** Returns held stock to available; a no-op for anything but a held reservation. */
export async function releaseIn(tx: Executor, orderId: string): Promise<ReleaseOutcome> {
  const s = createInventoryStore(tx);
  // An expired hold has already returned its stock; releasing it only closes it to a late commit.
  if ((await unholdIn(tx, orderId, 'released')) || (await s.transition(orderId, 'expired', 'released', nowIso()))) {
    return { status: 'released', orderId };
  }
  const row = await s.getReservation(orderId);
  if (!row) return { status: 'not_found', orderId };
  return { status: row.status === 'committed' || row.status === 'failed' ? row.status : 'released', orderId };
}

/** Puts the stock of a committed (sold) order back on the shelf: a cancellation after confirmation. */
export async function restockIn(tx: Executor, orderId: string): Promise<RestockOutcome> {
  const s = createInventoryStore(tx);
  const now = nowIso();
  if (await s.transition(orderId, 'committed', 'returned', now)) {
    await moveLines(
      s,
      await s.getReservationLines(orderId),
      'restocked',
      (q) => ({ available: q, reserved: 0, sold: -q }),
      orderId,
      'order cancelled after confirmation',
      now,
    );
    return { status: 'restocked', orderId };
  }
  return (await s.getReservation(orderId))?.status === 'returned' ? { status: 'restocked', orderId } : { status: 'not_committed', orderId };
}
