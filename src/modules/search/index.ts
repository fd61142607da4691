import path from 'node:path';
import type { Database } from '../../platform/db/database.js';
import type { MessageBus } from '../../platform/messaging/bus.js';
import type { AppModule } from '../../platform/module.js';
import type { TSchema } from 'typebox';
import { searchSubscription } from './handlers.js';
import { searchMigrations } from './migrations/index.js';
export { searchMigrations } from './migrations/index.js';
import { postgresSearchIndex } from './postgres-index.js';
import { searchRoutes } from './routes.js';
import { createSearchService, type SearchService } from './service.js';
import { openSqliteSearchIndex } from './sqlite-index.js';

export type { SearchService, CatalogScan } from './service.js';
export type { IndexedProduct } from './document.js';

export interface SearchModule extends AppModule {
  service: SearchService;
  close(): Promise<void>;
}

/**
 * Search is a read model: it learns about products only from product.* events (and from a reindex),
 * and answers from its own store, so a slow or broken catalog never slows search, and the other way round.
 */
export function createSearchModule(deps: {
  database: Database;
  bus: MessageBus;
  dataDir: string;
  productSchema: TSchema;
  window: number;
  /** Reader threads for the embedded index (0: searches run on the event loop). */
  threads: number;
}): SearchModule {
  const index =
    deps.database.dialect === 'postgres'
      ? postgresSearchIndex(deps.database, deps.window)
      : openSqliteSearchIndex(path.join(deps.dataDir, 'search.db'), deps.window, deps.threads);
  const service = createSearchService(index);
  deps.bus.subscribe(searchSubscription(service));
  return {
    name: 'search',
    migrations: searchMigrations,
    errors: {},
    service,
    routes: (app) => searchRoutes(app, service, deps.productSchema),
    close: () => index.close(),
  };
}
