import type { Cache } from '../../platform/cache/cache.js';
import type { Caches } from '../../platform/cache/caches.js';
import type { Database } from '../../platform/db/database.js';
import type { MessageBus } from '../../platform/messaging/bus.js';
import type { AppModule } from '../../platform/module.js';
import { catalogErrors } from './errors.js';
import { catalogMigrations } from './migrations/index.js';
import { catalogRoutes, type ProductRepresentation } from './routes.js';
import { createCatalogService, type CatalogService, type StockPort } from './service.js';

export type { CatalogService, Product, Variant, VariantForSale, StockPort, NewProduct, ProductPage } from './service.js';
export type { ProductRepresentation } from './routes.js';
export { ProductSchema } from './schemas.js';
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
  stock: StockPort;
  caches: Caches;
  cache: CatalogCacheSettings;
}): CatalogModule {
  const productReads = deps.caches.create<ProductRepresentation>({ name: 'products', max: 50_000, ...deps.cache });
  // The writer forgets the product at once (read-your-writes on this node); the event does it again on
  // whichever node consumes it, so a writer that died between commit and invalidation leaves nothing stale.
  const service = createCatalogService(deps.database, deps.bus, deps.stock, { onProductChanged: (id) => productReads.invalidate(id) });
  deps.bus.subscribe({
    group: 'catalog.read-cache',
    types: ['product.created', 'product.updated', 'product.archived'],
    handle: (message) => productReads.invalidate(message.key),
  });
  return {
    name: 'catalog',
    migrations: catalogMigrations,
    errors: catalogErrors.catalog,
    service,
    productReads,
    routes: (app) => catalogRoutes(app, service, productReads),
  };
}
