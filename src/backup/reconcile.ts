import type { Core } from '../app.js';

/** How far back before its copy the search index is brought forward: clocks of one machine, written around a copy. */
const SEARCH_SLACK_MS = 60_000;

/**
 * Brings a restored search index forward: it was copied before the database, so products changed since
 * its copy are indexed again (all of them, when the backup held no index).
 */
export async function catchUpSearch(core: Core, copiedAt: string | null): Promise<number> {
  const { catalog, search } = core.modules;
  if (copiedAt === null)
    return (
      await search.service.reindex(
        (after, limit) => catalog.service.scan(after, limit),
        () => {},
      )
    ).indexed;
  const since = new Date(Date.parse(copiedAt) - SEARCH_SLACK_MS).toISOString();
  return search.service.catchUp((after, limit) => catalog.service.scan(after, limit, since));
}

export interface Refund {
  reference: string;
  chargeId: string;
  amount: number;
}

/**
 * After a restore to an earlier time, the payment provider (the outside world, or the sandbox ledger,
 * copied after the database) may hold charges for orders the database no longer has: placed after the
 * backup, they are lost to the shop, so the money goes back to the customers. Idempotent per charge.
 */
export async function refundOrphanCharges(core: Core): Promise<Refund[]> {
  const { orders, payments } = core.modules;
  const known = new Set((await orders.service.outcomes()).map((o) => o.id));
  const byCharge = new Map<string, { reference: string; net: number }>();
  for (const entry of await payments.service.providerLedger()) {
    if (entry.status !== 'succeeded' || known.has(entry.reference)) continue;
    const charge = byCharge.get(entry.chargeId) ?? { reference: entry.reference, net: 0 };
    charge.net += entry.kind === 'charge' ? entry.amount : -entry.amount;
    byCharge.set(entry.chargeId, charge);
  }
  const refunded: Refund[] = [];
  for (const [chargeId, { reference, net }] of byCharge) {
    if (net <= 0) continue;
    await payments.provider.refund({ idempotencyKey: `restore-refund:${chargeId}`, chargeId, amount: net });
    refunded.push({ reference, chargeId, amount: net });
  }
  return refunded;
}
