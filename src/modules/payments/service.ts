import type { PaymentProvider, ProviderLedgerEntry } from './provider.js';

/** What payments can tell the rest of Orderly: the provider's books, for invariant checks. */
export interface PaymentsService {
  providerLedger(): Promise<ProviderLedgerEntry[]>;
}

export function createPaymentsService(provider: PaymentProvider): PaymentsService {
  return { providerLedger: () => provider.ledger() };
}
