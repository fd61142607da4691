import type { Database } from '../../platform/db/database.js';
import type { AppModule } from '../../platform/module.js';
import { catalogErrors } from './errors.js';
import { catalogMigrations } from './migrations/index.js';
import { catalogRoutes } from './routes.js';
import { createCatalogService, type CatalogService, type StockPort } from './service.js';

export type { CatalogService, Product, Variant, VariantForSale, StockPort } from './service.js';

export interface CatalogModule extends AppModule {
  service: CatalogService;
}

export function createCatalogModule(deps: { database: Database; stock: StockPort }): CatalogModule {
  const service = createCatalogService(deps.database, deps.stock);
  return {
    name: 'catalog',
    migrations: catalogMigrations,
    errors: catalogErrors.catalog,
    service,
    routes: (app, guards) => catalogRoutes(app, service, guards),
  };
}
