import type { Database } from '../../platform/db/database.js';
import type { SecretBox } from '../../platform/secrets/secret-box.js';
import type { MessageBus } from '../../platform/messaging/bus.js';
import type { AppModule } from '../../platform/module.js';
import type { Logger } from '../../platform/observability/logger.js';
import { createPeriodicTask } from '../../platform/periodic-task.js';
import type { Registry } from 'prom-client';
import type { ArchiveStore } from '../../platform/archive/store.js';
import { createOrderActivity, type OrderActivity } from './activity.js';
import { createAdmission } from './admission.js';
import { createOrderArchive, type OrderArchive } from './archive.js';
import { ordersErrors } from './errors.js';
import { createOrdersMetrics } from './metrics.js';
import { expireOverdueSagas, ordersSubscription, recordStep } from './handlers.js';
import type { InlineCommands } from './saga-follow.js';
import { ordersMigrations } from './migrations/index.js';
export { ordersMigrations } from './migrations/index.js';
import type { OrderingPorts } from './place-order.js';
import type { CustomerDirectory } from './customers.js';
import { ordersRoutes } from './routes.js';
import { createOrdersService, type OrdersService } from './service.js';
import { createOrdersStore, orderStatements } from './store.js';

export type { OrdersService, OrderOutcome, ListedOrder, OrderListQuery, SagaSummary } from './service.js';
export type { OrderActivity, MilestoneCount } from './activity.js';
export type { OrderStatus } from './status.js';
export { ordersErrors } from './errors.js';
export type { CustomerDirectory } from './customers.js';
export { OrderSchema } from './schemas.js';
export type { Order } from './view.js';
export type { ArchivedOrderRecord, ArchiveEntry, OrderArchive } from './archive.js';
export type { OrderingPorts } from './place-order.js';
export type { InlineCommands } from './saga-follow.js';
export * from './messages.js';

export interface OrdersModule extends AppModule {
  service: OrdersService;
  /** Cold storage of final orders: what the archiver moves, and the index lookups and lists read. */
  archive: OrderArchive;
  /** What orders did lately and where they stand, for the operations summary. */
  activity: OrderActivity;
  /** Ends every open event stream (at shutdown, so draining is not held open by long-lived responses). */
  closeStreams(): void;
}

export function createOrdersModule(deps: {
  database: Database;
  bus: MessageBus;
  logger: Logger;
  metrics: Registry;
  ports: OrderingPorts;
  customers: CustomerDirectory;
  sagaDeadlineMs: number;
  sweepIntervalMs: number;
  archiveStore: ArchiveStore;
  /** Payment tokens are sealed under it from the moment an order is placed. */
  secrets: SecretBox;
  /** Another module's saga commands the saga runs in its own transaction (null: every step is a message). */
  inline: InlineCommands | null;
  /** Unfinished orders past which checkout answers 503 with Retry-After (0: no limit). */
  checkoutMaxBacklog: number;
}): OrdersModule {
  const statements = orderStatements(deps.database.db);
  const metrics = createOrdersMetrics(deps.metrics, () => createOrdersStore(deps.database.db, statements).oldestPending());
  const archive = createOrderArchive(deps.database, statements, deps.archiveStore);
  const service = createOrdersService(
    deps.database,
    deps.bus,
    statements,
    deps.ports,
    {
      sagaDeadlineMs: deps.sagaDeadlineMs,
      secrets: deps.secrets,
      inline: deps.inline,
      recordStep: (step) => recordStep(deps.logger, metrics, step, 1),
    },
    archive,
    deps.customers,
    createAdmission({
      maxBacklog: deps.checkoutMaxBacklog,
      refreshMs: 250,
      retryAfterSeconds: 1,
      countUnfinished: () => createOrdersStore(deps.database.db, statements).countPending(),
      registry: deps.metrics,
    }),
  );
  deps.bus.subscribe(ordersSubscription(deps.logger, metrics, statements, deps.inline));
  const streams = new Set<() => void>();
  const sweeper = createPeriodicTask(
    'orders.expire-overdue-sagas',
    deps.sweepIntervalMs,
    async () => {
      const expired = await expireOverdueSagas(deps.database, deps.bus, statements);
      if (expired > 0) deps.logger.warn({ expired }, 'orders past their saga deadline are being cancelled');
    },
    deps.logger,
  );
  return {
    name: 'orders',
    migrations: ordersMigrations,
    errors: ordersErrors.catalog,
    service,
    archive,
    activity: createOrderActivity(deps.database),
    tasks: [sweeper],
    routes: (app) => ordersRoutes(app, service, streams, { pollIntervalMs: 200, heartbeatMs: 15_000 }),
    closeStreams: () => {
      for (const close of [...streams]) close();
    },
  };
}
