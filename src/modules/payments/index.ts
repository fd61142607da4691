import type { Database } from '../../platform/db/database.js';
import type { MessageBus } from '../../platform/messaging/bus.js';
import type { AppModule } from '../../platform/module.js';
import { paymentsSubscription } from './handlers.js';
import { paymentsMigrations } from './migrations/index.js';
import type { PaymentProvider } from './provider.js';
import { createPaymentsService, type PaymentsService } from './service.js';

export type { PaymentsService } from './service.js';
export type { PaymentProvider, ProviderLedgerEntry } from './provider.js';
export type { ChargeCommand, RefundCommand } from './handlers.js';
export { createSandboxProvider } from './providers/sandbox.js';

export interface PaymentsModule extends AppModule {
  service: PaymentsService;
  provider: PaymentProvider;
}

export function createPaymentsModule(deps: { database: Database; bus: MessageBus; provider: PaymentProvider }): PaymentsModule {
  deps.bus.subscribe(paymentsSubscription(deps.database, deps.provider));
  return {
    name: 'payments',
    migrations: paymentsMigrations,
    errors: {},
    service: createPaymentsService(deps.provider),
    provider: deps.provider,
  };
}
