import type { Database } from '../../platform/db/database.js';
import type { MessageBus } from '../../platform/messaging/bus.js';
import type { Logger } from '../../platform/observability/logger.js';
import { createPeriodicTask } from '../../platform/periodic-task.js';
import { stockCommands, subscribeInventory, type StockCommands } from './handlers.js';
import type { AppModule } from '../../platform/module.js';
import { inventoryErrors } from './errors.js';
import { inventoryMigrations } from './migrations/index.js';
export { inventoryMigrations } from './migrations/index.js';
import { availabilityRoutes } from './availability-routes.js';
import { inventoryRoutes } from './routes.js';
import { createInventoryService, type InventoryService } from './service.js';

export type {
  InventoryService,
  StockLevel,
  StockHold,
  StockLine,
  Movement,
  ReserveOutcome,
  ReleaseOutcome,
  CommitOutcome,
  RestockOutcome,
} from './service.js';
export * from './messages.js';
export type { StockCommands } from './handlers.js';

export interface InventoryModule extends AppModule {
  service: InventoryService;
  /** The saga's stock commands, to run in the saga's own transaction when orders and inventory share a database. */
  commands: StockCommands;
}

export function createInventoryModule(deps: {
  database: Database;
  bus: MessageBus;
  logger: Logger;
  reservationTtlMs: number;
  sweepIntervalMs: number;
}): InventoryModule {
  const service = createInventoryService(deps.database, { reservationTtlMs: deps.reservationTtlMs });
  subscribeInventory(deps.bus, deps.reservationTtlMs);
  const sweeper = createPeriodicTask(
    'inventory.release-expired',
    deps.sweepIntervalMs,
    async () => {
      const released = await service.releaseExpired();
      if (released > 0) deps.logger.info({ released }, 'released expired stock reservations');
    },
    deps.logger,
  );
  return {
    tasks: [sweeper],
    name: 'inventory',
    migrations: inventoryMigrations,
    errors: inventoryErrors.catalog,
    service,
    commands: stockCommands(deps.reservationTtlMs),
    routes: async (app) => {
      // The shop's public view of stock sits in a scope of its own: the back office's routes require an admin.
      await app.register(async (scope) => availabilityRoutes(scope, service));
      await app.register(async (scope) => inventoryRoutes(scope, service));
    },
  };
}
