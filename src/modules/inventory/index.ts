import type { Database } from '../../platform/db/database.js';
import type { AppModule } from '../../platform/module.js';
import { inventoryErrors } from './errors.js';
import { inventoryMigrations } from './migrations/index.js';
import { inventoryRoutes } from './routes.js';
import { createInventoryService, type InventoryService } from './service.js';

export type { InventoryService, StockLevel, StockLine, Movement, ReserveOutcome, ReleaseOutcome, CommitOutcome } from './service.js';

export interface InventoryModule extends AppModule {
  service: InventoryService;
}

export function createInventoryModule(deps: { database: Database; reservationTtlMs: number }): InventoryModule {
  const service = createInventoryService(deps.database, { reservationTtlMs: deps.reservationTtlMs });
  return {
    name: 'inventory',
    migrations: inventoryMigrations,
    errors: inventoryErrors.catalog,
    service,
    routes: (app, guards) => inventoryRoutes(app, service, guards),
  };
}
