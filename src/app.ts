import type { Config } from './config.js';
import { openDatabase, type Database } from './platform/db/database.js';
import { migrateToLatest, type AppliedMigration, type MigrationSet } from './platform/db/migrations.js';
import { createAuthGuards } from './platform/http/auth.js';
import { mergeErrorCatalogs, platformErrors } from './platform/http/errors.js';
import { createHttpServer, type HttpServer } from './platform/http/server.js';
import { outboxMigrations } from './platform/messaging/outbox.js';
import type { AppModule } from './platform/module.js';
import { createLogger, type Logger } from './platform/observability/logger.js';
import { createMetrics } from './platform/observability/metrics.js';
import { createIdentityModule, type IdentityModule } from './modules/identity/index.js';
import { createCatalogModule, type CatalogModule } from './modules/catalog/index.js';
import { createInventoryModule, type InventoryModule } from './modules/inventory/index.js';
import { createCartModule, type CartModule } from './modules/cart/index.js';
import { VERSION } from './version.js';

export interface Modules {
  identity: IdentityModule;
  catalog: CatalogModule;
  inventory: InventoryModule;
  cart: CartModule;
}

/** A composed Orderly process: platform and modules wired for one role. */
export interface Orderly {
  config: Config;
  logger: Logger;
  database: Database;
  http: HttpServer;
  modules: Modules;
  /** Starts listening; resolves to the bound address. */
  listen(): Promise<string>;
  /** Stops accepting, lets in-flight requests finish, closes the database. */
  close(): Promise<void>;
}

function buildModules(config: Config, database: Database): Modules {
  const identity = createIdentityModule({ database, sessionTtlMs: config.sessionTtlMs });
  const inventory = createInventoryModule({ database, reservationTtlMs: config.reservationTtlMs });
  const catalog = createCatalogModule({ database, stock: inventory.service, readCacheTtlMs: config.readCacheTtlMs });
  const cart = createCartModule({ database, catalog: catalog.service, currency: config.currency });
  return { identity, catalog, inventory, cart };
}

export function migrationSets(modules: Modules): MigrationSet[] {
  return [outboxMigrations, ...Object.values(modules).map((m: AppModule) => m.migrations)];
}

/** Applies every pending migration; what `orderly migrate` runs. */
export async function migrate(config: Config, logger: Logger): Promise<AppliedMigration[]> {
  const database = openDatabase(config.database);
  try {
    const applied = await migrateToLatest(database, migrationSets(buildModules(config, database)));
    for (const m of applied) logger.info({ owner: m.owner, migration: m.name, status: m.status }, 'migration');
    return applied;
  } finally {
    await database.close();
  }
}

export async function createOrderly(config: Config, options: { logger?: Logger } = {}): Promise<Orderly> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = createMetrics();
  const database = openDatabase(config.database);
  try {
    const modules = buildModules(config, database);
    const all: AppModule[] = Object.values(modules);
    await migrateToLatest(database, migrationSets(modules));

    const http = await createHttpServer({
      bodyLimit: config.http.bodyLimit,
      logger,
      metrics,
      errorCatalog: mergeErrorCatalogs([platformErrors.catalog, ...all.map((m) => m.errors)]),
      readiness: [{ name: 'database', check: () => database.ping() }],
      version: VERSION,
    });
    const guards = createAuthGuards((token) => modules.identity.service.authenticate(token));
    if (config.role !== 'worker') {
      for (const module of all) {
        const routes = module.routes;
        if (routes) await http.app.register(async (scope) => routes(scope, guards), { prefix: '/v1' });
      }
    }
    await http.app.ready();

    if (config.admin) {
      const admin = await modules.identity.service.ensureAdmin(config.admin);
      logger.info({ userId: admin.id }, 'admin account ready');
    }

    return {
      config, logger, database, http, modules,
      listen: () => http.app.listen({ port: config.http.port, host: config.http.host }),
      async close() {
        http.startDraining();
        await http.app.close();
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
