import type { Caches } from '../../platform/cache/caches.js';
import type { Database } from '../../platform/db/database.js';
import type { MessageBus } from '../../platform/messaging/bus.js';
import type { AppModule } from '../../platform/module.js';
import type { Logger } from '../../platform/observability/logger.js';
import { createRetentionTask } from '../../platform/retention.js';
import type { Registry } from 'prom-client';
import { identityErrors } from './errors.js';
import { identityMigrations } from './migrations/index.js';
export { identityMigrations } from './migrations/index.js';
import { identityRoutes } from './routes.js';
import { sessionRetentionRules } from './retention.js';
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
  /** log2 of scrypt's N for new password hashes (ORDERLY_PASSWORD_COST). */
  passwordCost: number;
  caches: Caches;
  sessionCacheTtlMs: number;
  registry: Registry;
  logger: Logger;
  /** Sessions are deleted `expiredMs` after they expire; the retention looks every `everyMs`. */
  retention: { expiredMs: number; everyMs: number };
}): IdentityModule {
  // Unknown tokens are remembered briefly too: guessing tokens must not cost a database read each.
  const sessions = deps.caches.create<SessionPrincipal>({
    name: 'sessions',
    max: 100_000,
    ttlMs: deps.sessionCacheTtlMs,
    negativeTtlMs: Math.min(deps.sessionCacheTtlMs, 2_000),
  });
  const service = createIdentityService(deps.database, deps.bus, {
    sessionTtlMs: deps.sessionTtlMs,
    sessions,
    logger: deps.logger,
    passwordCost: deps.passwordCost,
  });
  const retention = createRetentionTask('identity.retention', sessionRetentionRules(deps.database, deps.retention.expiredMs), {
    registry: deps.registry,
    logger: deps.logger,
    pace: { everyMs: deps.retention.everyMs },
  });
  return {
    name: 'identity',
    migrations: identityMigrations,
    errors: identityErrors.catalog,
    service,
    tasks: [retention],
    routes: (app) => identityRoutes(app, service),
  };
}
