import type { Database } from '../../platform/db/database.js';
import type { PaymentProvider, ProviderLedgerEntry } from './provider.js';
import { paymentsStore, type PaymentStatus } from './store.js';

export interface PaymentRecord {
  id: string;
  orderId: string;
  amount: number;
  currency: string;
  status: PaymentStatus;
  providerChargeId: string | null;
}

/** What payments can tell the rest of Orderly: its own records, and the provider's books. */
export interface PaymentsService {
  records(): Promise<PaymentRecord[]>;
  providerLedger(): Promise<ProviderLedgerEntry[]>;
}

export function createPaymentsService(database: Database, provider: PaymentProvider): PaymentsService {
  const store = paymentsStore(database.db);
  return {
    async records() {
      return (await store.all()).map((p) => ({ id: p.id, orderId: p.order_id, amount: p.amount, currency: p.currency, status: p.status, providerChargeId: p.provider_charge_id }));
    },
    providerLedger: () => provider.ledger(),
  };
}
