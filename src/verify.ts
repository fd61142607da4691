import type { Core } from './app.js';

export interface Violation {
  invariant: string;
  subject: string;
  detail: string;
}

export interface VerifyReport {
  violations: Violation[];
  checked: { skus: number; orders: number; pendingOrders: number; providerEntries: number; deadLetters: number; pendingDeliveries: number };
}

/** A pending delivery due this long ago and not being worked on is stuck, not merely late. */
const STUCK_AFTER_MS = 60_000;

/**
 * Checks the invariants of docs/architecture.md §4 across modules, each module speaking for its own data:
 * 1 stock conservation, 2 no oversell, 3 no double charge (against the provider's own ledger),
 * 4 consistent outcomes, 6 no message lost or stuck outside the dead-letter store.
 */
export async function verifyInvariants(core: Core): Promise<VerifyReport> {
  const { inventory, orders, payments } = core.modules;
  const violations: Violation[] = [];
  const flag = (invariant: string, subject: string, detail: string) => violations.push({ invariant, subject, detail });

  const stock = await inventory.service.auditStock();
  for (const { stock: s, ledger } of stock) {
    if (s.available < 0 || s.reserved < 0 || s.sold < 0)
      flag('no oversell', s.sku, `available ${s.available}, reserved ${s.reserved}, sold ${s.sold}`);
    if (ledger.available !== s.available || ledger.reserved !== s.reserved || ledger.sold !== s.sold) {
      flag(
        'stock conservation',
        s.sku,
        `stock ${s.available}/${s.reserved}/${s.sold} (available/reserved/sold) but the ledger sums to ${ledger.available}/${ledger.reserved}/${ledger.sold}`,
      );
    }
    if (ledger.received !== s.available + s.reserved + s.sold) {
      flag('stock conservation', s.sku, `received ${ledger.received} ≠ available + reserved + sold = ${s.available + s.reserved + s.sold}`);
    }
  }

  const ledger = await payments.service.providerLedger();
  const byOrder = new Map<string, { charges: number; net: number }>();
  for (const entry of ledger) {
    if (entry.status !== 'succeeded') continue;
    const tally = byOrder.get(entry.reference) ?? { charges: 0, net: 0 };
    if (entry.kind === 'charge') {
      tally.charges += 1;
      tally.net += entry.amount;
    } else {
      tally.net -= entry.amount;
    }
    byOrder.set(entry.reference, tally);
  }

  const reservations = await inventory.service.reservationStatuses();
  const outcomes = await orders.service.outcomes();
  let pendingOrders = 0;
  for (const order of outcomes) {
    const money = byOrder.get(order.id) ?? { charges: 0, net: 0 };
    if (money.charges > 1) flag('no double charge', order.id, `${money.charges} successful charges at the provider`);
    if (money.net !== 0 && money.net !== order.total)
      flag('no double charge', order.id, `net captured ${money.net}, neither 0 nor the order total ${order.total}`);
    const reservation = reservations.get(order.id) ?? 'none';
    if (order.status === 'pending') {
      pendingOrders += 1;
    } else if (order.status === 'cancelled') {
      if (money.net !== 0) flag('consistent outcomes', order.id, `cancelled but ${money.net} ${order.currency} is still captured`);
      if (reservation === 'reserved' || reservation === 'committed')
        flag('consistent outcomes', order.id, `cancelled but its stock is still ${reservation}`);
    } else {
      if (money.net !== order.total || money.charges !== 1)
        flag('consistent outcomes', order.id, `${order.status} but captured ${money.net} of ${order.total} in ${money.charges} charge(s)`);
      if (reservation !== 'committed') flag('consistent outcomes', order.id, `${order.status} but its stock reservation is ${reservation}`);
    }
  }
  const known = new Set(outcomes.map((o) => o.id));
  for (const [reference, money] of byOrder) {
    if (!known.has(reference) && money.net !== 0)
      flag('consistent outcomes', reference, `the provider holds ${money.net} for an order Orderly does not know`);
  }

  const backlog = await core.bus.backlog(STUCK_AFTER_MS);
  for (const lost of backlog.lost)
    flag(
      'events are not lost',
      lost.messageId,
      `${lost.type} never reached consumer group ${lost.group} and is not pending or dead-lettered`,
    );
  for (const stuck of backlog.overdue)
    flag(
      'events are not lost',
      stuck.messageId,
      `${stuck.type} for ${stuck.group} due since ${stuck.dueSince} after ${stuck.attempts} attempt(s), and nobody is working on it`,
    );

  return {
    violations,
    checked: {
      skus: stock.length,
      orders: outcomes.length,
      pendingOrders,
      providerEntries: ledger.length,
      deadLetters: backlog.dead,
      pendingDeliveries: backlog.pending,
    },
  };
}

export function formatReport(report: VerifyReport): string {
  const c = report.checked;
  const lines = [
    `checked ${c.skus} SKUs, ${c.orders} orders (${c.pendingOrders} still pending), ${c.providerEntries} provider ledger entries, ${c.pendingDeliveries} pending deliveries, ${c.deadLetters} dead letters`,
  ];
  if (report.violations.length === 0) {
    lines.push('OK: every invariant holds');
  } else {
    lines.push(`FAILED: ${report.violations.length} violation(s)`);
    for (const v of report.violations) lines.push(`  [${v.invariant}] ${v.subject}: ${v.detail}`);
  }
  return `${lines.join('\n')}\n`;
}
