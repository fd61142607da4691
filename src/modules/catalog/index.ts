import type { Database } from '../../platform/db/database.js';
import type { MessageBus } from '../../platform/messaging/bus.js';
import type { AppModule } from '../../platform/module.js';
import { catalogErrors } from './errors.js';
import { catalogMigrations } from './migrations/index.js';
import { catalogRoutes, type ProductRepresentation } from './routes.js';
import { createReadCache } from '../../platform/cache/read-cache.js';
import { createCatalogService, type CatalogService, type StockPort } from './service.js';

export type { CatalogService, Product, Variant, VariantForSale, StockPort } from './service.js';

export interface CatalogModule extends AppModule {
  service: CatalogService;
}

export function createCatalogModule(deps: { database: Database; bus: MessageBus; stock: StockPort; readCacheTtlMs: number }): CatalogModule {
  const productReads = createReadCache<ProductRepresentation | null>({ max: 10_000, ttlMs: deps.readCacheTtlMs });
  const service = createCatalogService(deps.database, deps.bus, deps.stock, { onProductChanged: (id) => productReads.delete(id) });
  return {
    name: 'catalog',
    migrations: catalogMigrations,
    errors: catalogErrors.catalog,
    service,
    routes: (app) => catalogRoutes(app, service, productReads),
  };
}
