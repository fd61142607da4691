import type { Cache } from '../../platform/cache/cache.js';
import type { Caches } from '../../platform/cache/caches.js';
import type { Database } from '../../platform/db/database.js';
import type { MessageBus } from '../../platform/messaging/bus.js';
import type { AppModule } from '../../platform/module.js';
import { catalogErrors } from './errors.js';
import { readCacheSubscription } from './handlers.js';
import { catalogMigrations } from './migrations/index.js';
export { catalogMigrations } from './migrations/index.js';
import { catalogRoutes, type ProductRepresentation } from './routes.js';
import { createCatalogService, type CatalogService, type CatalogPorts } from './service.js';

export type { CatalogService, Product, Variant, VariantForSale, CatalogPorts, NewProduct, ProductPage } from './service.js';
export type { ProductRepresentation } from './routes.js';
export { ProductSchema } from './schemas.js';
export * from './messages.js';
export { readProduct } from './routes.js';

export interface CatalogModule extends AppModule {
  service: CatalogService;
  /** Public product representations by id (null: no such product), shared by every route that shows products. */
  productReads: Cache<ProductRepresentation>;
}

export interface CatalogCacheSettings {
  ttlMs: number;
  negativeTtlMs: number;
  sharedTtlMs: number;
}

export function createCatalogModule(deps: {
  database: Database;
  bus: MessageBus;
  ports: CatalogPorts;
  caches: Caches;
  cache: CatalogCacheSettings;
}): CatalogModule {
  const productReads = deps.caches.create<ProductRepresentation>({ name: 'products', max: 50_000, ...deps.cache });
  const service = createCatalogService(deps.database, deps.bus, deps.ports, { onProductChanged: (id) => productReads.invalidate(id) });
  deps.bus.subscribe(readCacheSubscription(productReads));
  return {
    name: 'catalog',
    migrations: catalogMigrations,
    errors: catalogErrors.catalog,
    service,
    productReads,
    routes: (app) => catalogRoutes(app, service, productReads),
  };
}
