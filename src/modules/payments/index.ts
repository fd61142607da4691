import type { OrderArchivePart } from '../../platform/archive/part.js';
import type { SecretBox } from '../../platform/secrets/secret-box.js';
import type { Database } from '../../platform/db/database.js';
import type { MessageBus } from '../../platform/messaging/bus.js';
import type { AppModule } from '../../platform/module.js';
import type { Logger } from '../../platform/observability/logger.js';
import type { Registry } from 'prom-client';
import { paymentsArchivePart } from './archive.js';
import { createPaymentsMetrics } from './metrics.js';
import { paymentsSubscription, type ParkingPolicy } from './handlers.js';
import { paymentsMigrations } from './migrations/index.js';
export { paymentsMigrations } from './migrations/index.js';
import type { PaymentProvider } from './provider.js';
import { createPaymentsService, type PaymentsService } from './service.js';

export type { PaymentsService, OrderPayment } from './service.js';
export type { PaymentProvider, ProviderLedgerEntry } from './provider.js';
export type { ChargeCommand, ParkingPolicy, RefundCommand } from './handlers.js';
export * from './messages.js';
export { createSandboxProvider } from './providers/sandbox.js';
export { createHttpProvider, isTransientProviderFailure, type HttpProviderOptions } from './providers/http.js';
export { RefundRefused, SLOW_CHARGE_MS, openProviderLedger, tokenOutcome } from './sandbox-ledger.js';

export interface PaymentsModule extends AppModule {
  service: PaymentsService;
  provider: PaymentProvider;
  /** An order's payment and attempts, when the order goes to cold storage. */
  archivePart: OrderArchivePart;
}

export function createPaymentsModule(deps: {
  database: Database;
  bus: MessageBus;
  provider: PaymentProvider;
  parking: ParkingPolicy;
  registry: Registry;
  logger: Logger;
  /** Opens the payment tokens orders seal. */
  secrets: SecretBox;
}): PaymentsModule {
  const metrics = createPaymentsMetrics(deps.registry, deps.logger);
  deps.bus.subscribe(paymentsSubscription(deps.database, deps.provider, deps.parking, metrics, deps.secrets));
  return {
    name: 'payments',
    migrations: paymentsMigrations,
    errors: {},
    service: createPaymentsService(deps.provider, deps.database.db),
    provider: deps.provider,
    archivePart: paymentsArchivePart(deps.database),
  };
}
