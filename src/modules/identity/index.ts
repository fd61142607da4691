import type { Caches } from '../../platform/cache/caches.js';
import type { Database } from '../../platform/db/database.js';
import type { MessageBus } from '../../platform/messaging/bus.js';
import type { AppModule } from '../../platform/module.js';
import { identityErrors } from './errors.js';
import { identityMigrations } from './migrations/index.js';
export { identityMigrations } from './migrations/index.js';
import { identityRoutes } from './routes.js';
import { createIdentityService, type IdentityService } from './service.js';
import type { SessionPrincipal } from './store.js';

export type { IdentityService, User } from './service.js';
export * from './messages.js';

export interface IdentityModule extends AppModule {
  service: IdentityService;
}

export function createIdentityModule(deps: {
  database: Database;
  bus: MessageBus;
  sessionTtlMs: number;
  caches: Caches;
  sessionCacheTtlMs: number;
}): IdentityModule {
  // Unknown tokens are remembered briefly too: guessing tokens must not cost a database read each.
  const sessions = deps.caches.create<SessionPrincipal>({
    name: 'sessions',
    max: 100_000,
    ttlMs: deps.sessionCacheTtlMs,
    negativeTtlMs: Math.min(deps.sessionCacheTtlMs, 2_000),
  });
  const service = createIdentityService(deps.database, deps.bus, { sessionTtlMs: deps.sessionTtlMs, sessions });
  return {
    name: 'identity',
    migrations: identityMigrations,
    errors: identityErrors.catalog,
    service,
    routes: (app) => identityRoutes(app, service),
  };
}
