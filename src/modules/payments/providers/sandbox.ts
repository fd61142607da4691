import { ProviderUnavailable, type PaymentProvider } from '../provider.js';
import { SLOW_CHARGE_MS, openProviderLedger, tokenOutcome } from '../sandbox-ledger.js';

/** The embedded stand-in for a card processor: in-process calls onto a ledger in its own SQLite file. */
export function createSandboxProvider(file: string): PaymentProvider {
  const ledger = openProviderLedger(file);
  return {
    name: 'sandbox',
    async charge(request) {
      const outcome = tokenOutcome(request.token);
      if (outcome === 'unavailable') throw new ProviderUnavailable('sandbox provider error for tok_provider_error');
      if (outcome === 'slow') await new Promise((resolve) => setTimeout(resolve, SLOW_CHARGE_MS));
      return ledger.charge(request, outcome === 'succeed' || outcome === 'slow' ? 'succeeded' : outcome);
    },
    async refund(request) {
      return ledger.refund(request.idempotencyKey, request.chargeId, request.amount);
    },
    async findCharge(key) {
      return ledger.findCharge(key);
    },
    async ledger() {
      return ledger.entries();
    },
    async close() {
      ledger.close();
    },
  };
}
