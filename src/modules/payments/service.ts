import type { Executor } from '../../platform/db/database.js';
import type { PaymentProvider, ProviderLedgerEntry } from './provider.js';
import { createPaymentsStore, type PaymentStatus } from './store.js';

/** An order's payment as recorded here, with every call made to the provider for it, oldest first. */
export interface OrderPayment {
  /** null when the provider never gave an outcome (a refund of nothing, say). */
  charge: { status: PaymentStatus; amount: number; currency: string } | null;
  attempts: { kind: 'charge' | 'refund'; outcome: string; detail: string | null; at: string }[];
}

/** What payments can tell the rest of Orderly: the provider's books, for invariant checks, and one order's payment, for operators. */
export interface PaymentsService {
  providerLedger(): Promise<ProviderLedgerEntry[]>;
  /** null while nothing was recorded for the order (not charged yet, or moved to cold storage). */
  ofOrder(orderId: string): Promise<OrderPayment | null>;
}

export function createPaymentsService(provider: PaymentProvider, executor: Executor): PaymentsService {
  const store = createPaymentsStore(executor);
  return {
    providerLedger: () => provider.ledger(),
    async ofOrder(orderId) {
      const [payment, attempts] = await Promise.all([store.byOrder(orderId), store.attemptsOf(orderId)]);
      if (!payment && attempts.length === 0) return null;
      return {
        charge: payment ? { status: payment.status, amount: payment.amount, currency: payment.currency } : null,
        attempts: attempts.map((a) => ({ kind: a.kind, outcome: a.outcome, detail: a.detail, at: a.at })),
      };
    },
  };
}
