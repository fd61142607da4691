import path from 'node:path';
import type { Config } from './config.js';
import type { Database } from './platform/db/database.js';
import type { MessageBus } from './platform/messaging/bus.js';
import type { MessageContract } from './platform/messaging/contract.js';
import type { Logger } from './platform/observability/logger.js';
import type { Metrics } from './platform/observability/metrics.js';
import type { BucketStore } from './platform/http/rate-limits/buckets.js';
import type { Caches } from './platform/cache/caches.js';
import { createOutboundPolicy } from './platform/resilience/outbound.js';
import type { BreakerRegistry } from './platform/resilience/registry.js';
import type { SecretBox } from './platform/secrets/secret-box.js';
import { createIdentityModule, type IdentityModule } from './modules/identity/index.js';
import { createCatalogModule, ProductSchema, readProduct, type CatalogModule } from './modules/catalog/index.js';
import { createInventoryModule, type InventoryModule } from './modules/inventory/index.js';
import { createCartModule, type CartModule } from './modules/cart/index.js';
import { createOrdersModule, type OrdersModule } from './modules/orders/index.js';
import { createDirectoryArchiveStore } from './platform/archive/directory-store.js';
import {
  createHttpProvider,
  createPaymentsModule,
  createSandboxProvider,
  isTransientProviderFailure,
  type PaymentProvider,
  type PaymentsModule,
} from './modules/payments/index.js';
import { createShippingModule, type ShippingModule } from './modules/shipping/index.js';
import { createSearchModule, type SearchModule } from './modules/search/index.js';
import { createRecommendationsModule, type RecommendationsModule } from './modules/recommendations/index.js';
import { createNotificationsModule, type NotificationsModule } from './modules/notifications/index.js';
import { createWebhooksModule, type WebhooksModule } from './modules/webhooks/index.js';
import { productChanges } from './modules/catalog/messages.js';
import { userCreated } from './modules/identity/messages.js';
import { orderEvents } from './modules/orders/messages.js';
import { paymentEvents } from './modules/payments/messages.js';
import { shipmentEvents } from './modules/shipping/messages.js';

export interface Modules {
  identity: IdentityModule;
  catalog: CatalogModule;
  inventory: InventoryModule;
  cart: CartModule;
  orders: OrdersModule;
  payments: PaymentsModule;
  shipping: ShippingModule;
  search: SearchModule;
  recommendations: RecommendationsModule;
  notifications: NotificationsModule;
  webhooks: WebhooksModule;
}

/** The embedded sandbox, or a provider over HTTP behind timeout, retries, breaker and bulkhead (docs/architecture.md §5). */
function paymentProvider(config: Config, breakers: BreakerRegistry): PaymentProvider {
  const settings = config.payments;
  if (settings.providerUrl === null) return createSandboxProvider(path.join(config.dataDir, 'sandbox-provider.db'));
  const policy = createOutboundPolicy({
    name: 'payments',
    timeoutMs: settings.timeoutMs,
    retryDelaysMs: [100, 300, 900],
    breaker: {
      failureRatio: 0.5,
      windowMs: 60_000,
      minimumCalls: 10,
      consecutiveFailures: settings.consecutiveFailures,
      closeAfterSuccesses: 2,
      halfOpenAfterMs: settings.halfOpenAfterMs,
    },
    bulkhead: settings.bulkhead,
    isTransient: isTransientProviderFailure,
  });
  breakers.register(policy);
  return createHttpProvider({ baseUrl: settings.providerUrl, policy });
}

/** What merchants can subscribe to: every module's public message contracts, in a stable order. */
export const PUBLIC_EVENTS: MessageContract[] = [
  ...orderEvents,
  ...paymentEvents,
  ...shipmentEvents,
  ...productChanges,
  userCreated,
].filter((c) => c.public);

export function buildModules(
  config: Config,
  database: Database,
  bus: MessageBus,
  logger: Logger,
  metrics: Metrics,
  breakers: BreakerRegistry,
  caches: Caches,
  buckets: BucketStore,
  secrets: SecretBox,
): Modules {
  const identity = createIdentityModule({
    database,
    bus,
    sessionTtlMs: config.sessionTtlMs,
    passwordCost: config.passwordCost,
    caches,
    sessionCacheTtlMs: config.cache.sessionTtlMs,
    registry: metrics.registry,
    logger,
    retention: { expiredMs: config.retention.sessionsMs, everyMs: config.retention.everyMs },
  });
  const inventory = createInventoryModule({
    database,
    bus,
    logger,
    reservationTtlMs: config.reservationTtlMs,
    sweepIntervalMs: config.sweepIntervalMs,
  });
  const catalog = createCatalogModule({
    database,
    bus,
    ports: { receive: (tx, lines, reason) => inventory.service.receive(tx, lines, reason) },
    caches,
    cache: { ttlMs: config.cache.ttlMs, negativeTtlMs: config.cache.negativeTtlMs, sharedTtlMs: config.cache.sharedTtlMs },
  });
  const search = createSearchModule({
    database,
    bus,
    dataDir: config.dataDir,
    productSchema: ProductSchema,
    window: config.searchWindow,
    threads: config.searchThreads,
  });
  const recommendations = createRecommendationsModule({
    database,
    bus,
    timeoutMs: config.recommendationsTimeoutMs,
    productSchema: ProductSchema,
    ports: {
      productsOfVariants: async (ids) => new Map([...(await catalog.service.variantsForSale(ids))].map(([id, v]) => [id, v.productId])),
      product: async (id) => {
        const shown = await readProduct(catalog.service, catalog.productReads, id);
        return shown === null ? null : { json: shown.body, active: (JSON.parse(shown.body) as { status: string }).status === 'active' };
      },
    },
  });
  breakers.register(recommendations.policy);
  const cart = createCartModule({
    database,
    ports: { variantsForSale: (ids) => catalog.service.variantsForSale(ids) },
    currency: config.currency,
  });
  const payments = createPaymentsModule({
    database,
    bus,
    provider: paymentProvider(config, breakers),
    parking: { minDelayMs: 250, maxDelayMs: config.payments.parkMaxMs },
    registry: metrics.registry,
    logger,
    secrets,
  });
  const shipping = createShippingModule({ database, bus });
  const orders = createOrdersModule({
    database,
    bus,
    logger,
    metrics: metrics.registry,
    ports: {
      variantsForSale: (ids) => catalog.service.variantsForSale(ids),
      cart: async (userId) => {
        const current = await cart.service.get(userId);
        return { version: current.version, items: current.items.map((i) => ({ variantId: i.variantId, quantity: i.quantity })) };
      },
      clearCart: (tx, userId, version) => cart.service.clearWithin(tx, userId, version),
    },
    customers: {
      idByEmail: async (email) => (await identity.service.findUserByEmail(email))?.id ?? null,
      emailsOf: async (ids) => new Map((await identity.service.usersByIds(ids)).map((u) => [u.id, u.email])),
    },
    // A saga outlives its stock hold by as long again: time for a late payment to commit or be refunded.
    sagaDeadlineMs: config.sagaDeadlineMs,
    sweepIntervalMs: config.sweepIntervalMs,
    archiveStore: createDirectoryArchiveStore(config.archive.dir),
    secrets,
    // Orders and inventory keep their tables in one database here, so the saga's stock steps need no hop.
    inline: config.inlineStock ? inventory.commands : null,
    checkoutMaxBacklog: config.checkoutMaxBacklog,
  });
  const notifications = createNotificationsModule({
    database,
    bus,
    registry: metrics.registry,
    logger,
    buckets,
    settings: config.notifications,
    retention: { sentMs: config.retention.notificationsMs, everyMs: config.retention.everyMs },
  });
  for (const policy of notifications.policies) breakers.register(policy);
  const webhooks = createWebhooksModule({
    database,
    bus,
    logger,
    registry: metrics.registry,
    secrets,
    settings: { ...config.webhooks, pollIntervalMs: config.messaging.pollIntervalMs },
    events: PUBLIC_EVENTS,
    retention: {
      deliveredMs: config.retention.webhookAttemptsMs,
      resolvedDeadLettersMs: config.retention.deadLettersMs,
      everyMs: config.retention.everyMs,
    },
  });
  return { identity, catalog, inventory, cart, orders, payments, shipping, search, recommendations, notifications, webhooks };
}
