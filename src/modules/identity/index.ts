import type { Database } from '../../platform/db/database.js';
import type { MessageBus } from '../../platform/messaging/bus.js';
import type { AppModule } from '../../platform/module.js';
import { identityErrors } from './errors.js';
import { identityMigrations } from './migrations/index.js';
import { identityRoutes } from './routes.js';
import { createIdentityService, type IdentityService } from './service.js';

export type { IdentityService, User } from './service.js';

export interface IdentityModule extends AppModule {
  service: IdentityService;
}

export function createIdentityModule(deps: { database: Database; bus: MessageBus; sessionTtlMs: number }): IdentityModule {
  const service = createIdentityService(deps.database, deps.bus, { sessionTtlMs: deps.sessionTtlMs });
  return {
    name: 'identity',
    migrations: identityMigrations,
    errors: identityErrors.catalog,
    service,
    routes: (app) => identityRoutes(app, service),
  };
}
