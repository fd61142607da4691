import type { InventoryStore, MovementKind, MovementRow, StockDelta, StockLine } from './store.js';

// How stock moves: the deltas of each kind of move, applied to every line of an order and booked in the ledger.

/** Thrown inside a transaction to roll it back when a line cannot be taken. */
export class Shortfall extends Error {}

export function mergeLines(lines: StockLine[]): StockLine[] {
  const totals = new Map<string, number>();
  for (const line of lines) totals.set(line.sku, (totals.get(line.sku) ?? 0) + line.quantity);
  // A fixed lock order (by SKU) keeps concurrent multi-line reservations from deadlocking on PostgreSQL.
  return [...totals].map(([sku, quantity]) => ({ sku, quantity })).sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
}

export function toMovement(row: MovementRow): Movement {
  return {
    id: row.id,
    sku: row.sku,
    kind: row.kind,
    orderId: row.order_id,
    reason: row.reason,
    at: row.created_at,
    delta: { available: row.delta_available, reserved: row.delta_reserved, sold: row.delta_sold },
  };
}

/** Applies the same delta to every line and books it in the ledger; throws Shortfall if any line is refused. */
export async function moveLines(
  store: InventoryStore,
  lines: StockLine[],
  kind: MovementKind,
  deltaOf: (q: number) => StockDelta,
  orderId: string | null,
  reason: string | null,
  now: string,
) {
  const refused = await tryMoveLines(store, lines, kind, deltaOf, orderId, reason, now);
  if (refused !== null) throw new Shortfall(refused);
}

/**
 * As moveLines, but a refused line puts back the lines already moved and returns its SKU, leaving the
 * caller's transaction usable: the order's own transaction can try a hold and carry on without it.
 * Putting back cannot be refused, since the rows are locked by the moves this transaction just made.
 */
export async function tryMoveLines(
  store: InventoryStore,
  lines: StockLine[],
  kind: MovementKind,
  deltaOf: (q: number) => StockDelta,
  orderId: string | null,
  reason: string | null,
  now: string,
): Promise<string | null> {
  for (const [i, line] of lines.entries()) {
    if (await store.applyDelta(line.sku, deltaOf(line.quantity), now)) continue;
    for (const moved of lines.slice(0, i)) {
      const d = deltaOf(moved.quantity);
      await store.applyDelta(moved.sku, { available: -d.available, reserved: -d.reserved, sold: -d.sold }, now);
    }
    return line.sku;
  }
  await store.insertMovements(
    lines.map((line) => {
      const d = deltaOf(line.quantity);
      return {
        sku: line.sku,
        kind,
        delta_available: d.available,
        delta_reserved: d.reserved,
        delta_sold: d.sold,
        order_id: orderId,
        reason,
        created_at: now,
      };
    }),
  );
  return null;
}

export const HOLD = (q: number): StockDelta => ({ available: -q, reserved: q, sold: 0 });
export const UNHOLD = (q: number): StockDelta => ({ available: q, reserved: -q, sold: 0 });
export const SELL_HELD = (q: number): StockDelta => ({ available: 0, reserved: -q, sold: q });
export const SELL_AVAILABLE = (q: number): StockDelta => ({ available: -q, reserved: 0, sold: q });

export interface Movement {
  id: string;
  sku: string;
  kind: MovementKind;
  delta: StockDelta;
  orderId: string | null;
  reason: string | null;
  at: string;
}
