import path from 'node:path';
import { ConfigError, type Config } from './config.js';
import { openDatabase, type Database } from './platform/db/database.js';
import { migrateToLatest, type AppliedMigration, type MigrationSet } from './platform/db/migrations.js';
import { createAuthentication } from './platform/http/auth.js';
import { mergeErrorCatalogs, platformErrors } from './platform/http/errors.js';
import { createHttpServer, type HttpServer } from './platform/http/server.js';
import { createIdempotencyHooks, idempotencyErrors } from './platform/idempotency/hooks.js';
import { createMessageBus, type MessageBus } from './platform/messaging/bus.js';
import { deadLetterRoutes } from './platform/messaging/routes.js';
import { createLocalTransport } from './platform/messaging/transports/local.js';
import { createNatsTransport } from './platform/messaging/transports/nats.js';
import { recentRequests, type RecentRequests } from './platform/recent-requests.js';
import type { AppModule } from './platform/module.js';
import { createLogger, type Logger } from './platform/observability/logger.js';
import { createMetrics, type Metrics } from './platform/observability/metrics.js';
import { createPeriodicTask, type PeriodicTask } from './platform/periodic-task.js';
import { createLoadShedder } from './platform/http/load-shedding.js';
import { memoryBuckets, redisBuckets } from './platform/http/rate-limits/buckets.js';
import { createRateLimiter, rateClassesFrom } from './platform/http/rate-limits/limiter.js';
import { createRedisClient } from './platform/redis/client.js';
import { createBreakerRegistry, type BreakerRegistry } from './platform/resilience/registry.js';
import { breakerRoutes } from './platform/resilience/routes.js';
import { auditRoutes } from './platform/audit/routes.js';
import { operationsRoutes } from './operations/routes.js';
import { operatorOrderRoutes } from './operations/order-routes.js';
import { createCaches, type Caches } from './platform/cache/caches.js';
import { combineDeadLetters } from './platform/messaging/dead-letters.js';
import type { DeadLetterStore } from './platform/messaging/transport.js';
import { registerStaticSite } from './platform/http/static-site.js';
import { VERSION } from './version.js';
import { buildModules, type Modules } from './module-wiring.js';
import { MIGRATION_SETS } from './migration-sets.js';
import { scheduledBackups } from './backup/schedule.js';
import { archiveOrders, archiverDepsOf } from './archive/archiver.js';
import { replicaReads } from './replica-reads.js';
import { openSecretBox } from './platform/secrets/secret-keys.js';
import type { SecretBox } from './platform/secrets/secret-box.js';

/** Database, bus and modules, migrated and wired, with nothing started: what every command needs. */
export interface Core {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  database: Database;
  bus: MessageBus;
  modules: Modules;
  breakers: BreakerRegistry;
  /** This process's caches (their lookups, for the operations summary). */
  caches: Caches;
  /** Every dead letter: the bus's and the webhook deliveries'. */
  deadLetters: DeadLetterStore;
  /** Seals and opens the secrets stored for reading back (webhook signing secrets). */
  secrets: SecretBox;
  /** What start-up migrated (empty when the schema was current). */
  migrations: AppliedMigration[];
  /** Told of every request, so the bus's consumers give way while requests come in. */
  edge: RecentRequests;
  close(): Promise<void>;
}

/** A composed Orderly process: the core plus HTTP, consumers and sweepers for its role. */
export interface Orderly extends Core {
  http: HttpServer;
  /** Starts listening; resolves to the bound address. */
  listen(): Promise<string>;
}

/** The storefront's own pages (web/storefront/src/routes.ts); each is its index.html. */
const STOREFRONT_ROUTES = ['/', '/search', '/products/:id', '/cart', '/checkout', '/signin', '/orders/:id', '/account'];

/** The console's own pages (web/console/src/main.tsx); each is its index.html. */
const CONSOLE_ROUTES = [
  '/admin',
  // What Vite's base ('/admin/') and a typed address both lead to.
  '/admin/',
  '/admin/signin',
  '/admin/orders',
  '/admin/orders/:id',
  '/admin/catalog',
  '/admin/catalog/:id',
  '/admin/dead-letters',
  '/admin/webhooks',
  '/admin/webhooks/:id',
  '/admin/notifications',
  '/admin/edge',
];

/** MIGRATION_SETS, checked against the modules built: a module left out of it fails at start-up, not at a restore. */
function migrationSets(modules: Modules): MigrationSet[] {
  const missing = Object.values(modules).filter((m: AppModule) => !MIGRATION_SETS.includes(m.migrations));
  if (missing.length > 0) throw new Error(`migration-sets.ts lacks the migrations of ${missing.map((m) => m.name).join(', ')}`);
  return MIGRATION_SETS;
}

export async function buildCore(config: Config, logger: Logger): Promise<Core> {
  const secrets = openSecretBox(config.secrets, config.dataDir, logger);
  const database = openDatabase(config.database, { traceStatements: config.tracing?.dbStatements ?? false });
  const metrics = createMetrics({
    version: VERSION,
    role: config.role,
    database: config.database.kind,
    transport: config.messaging.nats ? 'nats' : 'database',
  });
  const caches = createCaches({ redisUrl: config.redisUrl, registry: metrics.registry, logger });
  // Notification rate limits are shared between processes when Redis is there, like the HTTP ones.
  const buckets = config.redisUrl ? redisBuckets(createRedisClient(config.redisUrl, logger, 'notification-limits')) : memoryBuckets();
  try {
    const edge = recentRequests();
    const nats = config.messaging.nats;
    const transport = nats
      ? createNatsTransport(database, logger, {
          ...nats,
          pollIntervalMs: Math.max(config.messaging.pollIntervalMs, 1_000),
          unreadable: (group) => metrics.unreadableMessages.inc({ group }),
          recreated: (group) => metrics.recreatedConsumers.inc({ group }),
        })
      : createLocalTransport(database, logger, {
          pollIntervalMs: config.messaging.pollIntervalMs,
          leaseMs: 5_000,
          batchSize: 64,
          concurrency: 32,
          // Only SQLite runs its queries on the event loop itself; PostgreSQL's leave it free while they wait.
          ...(database.dialect === 'sqlite' ? { busyConcurrency: 8, edgeBusy: edge.busy } : {}),
        });
    const bus = createMessageBus(database, transport, logger, metrics.registry, {
      retry: config.messaging.retry,
      duplicateDelivery: config.messaging.duplicateDelivery,
      batchSize: config.messaging.batchSize,
    });
    const breakers = createBreakerRegistry(metrics.registry);
    const modules = buildModules(config, database, bus, logger, metrics, breakers, caches, buckets, secrets);
    const migrations = await migrateToLatest(database, migrationSets(modules));
    // Secrets stored in plain text before sealing existed are sealed before anything reads them.
    const sealed = await modules.webhooks.service.sealSecrets('plain');
    if (sealed.sealed > 0) logger.info({ endpoints: sealed.sealed, keyId: secrets.currentKeyId }, 'plain-text webhook secrets encrypted');
    const deadLetters = combineDeadLetters([
      { store: bus.deadLetters, owns: (id) => /^\d{1,15}$/.test(id) },
      { store: modules.webhooks.service.deadLetters, owns: (id) => id.startsWith('whd_') },
    ]);
    return {
      config,
      logger,
      metrics,
      database,
      bus,
      modules,
      migrations,
      secrets,
      breakers,
      caches,
      deadLetters,
      edge,
      async close() {
        await modules.notifications.close();
        await buckets.close();
        await modules.payments.provider.close();
        await modules.search.close();
        await caches.close();
        await bus.close();
        await database.close();
      },
    };
  } catch (error) {
    await buckets.close();
    await caches.close();
    await database.close();
    throw error;
  }
}

/** Applies every pending migration; what `orderly migrate` runs. */
export async function migrate(config: Config, logger: Logger): Promise<AppliedMigration[]> {
  const core = await buildCore(config, logger);
  await core.close();
  for (const m of core.migrations) logger.info({ owner: m.owner, migration: m.name, status: m.status }, 'migration');
  return core.migrations;
}

/** Hourly, final orders unchanged for `afterMs` move to cold storage. */
function archiveTask(core: Core, afterMs: number, logger: Logger): PeriodicTask {
  const deps = archiverDepsOf(core);
  return createPeriodicTask(
    'orders.archive',
    3_600_000,
    async () => {
      const run = await archiveOrders(deps, { before: new Date(Date.now() - afterMs).toISOString() });
      if (run.archived > 0 || run.abandoned > 0) logger.info({ ...run }, 'orders archived');
    },
    logger,
  );
}

export async function createOrderly(config: Config, options: { logger?: Logger } = {}): Promise<Orderly> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const core = await buildCore(config, logger);
  const { database, bus, modules } = core;
  const closers: (() => Promise<void>)[] = [];
  try {
    const all: AppModule[] = Object.values(modules);
    const idempotency = createIdempotencyHooks(database, {
      retentionMs: 24 * 3_600_000,
      leaseMs: config.idempotency.leaseMs,
      exitAfterCommit: config.faults.exitAfterCommit,
      logger,
      secrets: core.secrets,
    });
    closers.push(async () => idempotency.stop());
    const rateClasses = rateClassesFrom(config.rateLimits);
    const rateLimiter = createRateLimiter({
      classes: rateClasses,
      store: config.redisUrl ? redisBuckets(createRedisClient(config.redisUrl, logger, 'rate-limits')) : memoryBuckets(),
      logger,
    });
    const loadShedder = createLoadShedder({ ...config.shedding, registry: core.metrics.registry });
    closers.push(
      () => rateLimiter.close(),
      async () => loadShedder.stop(),
    );
    const readRouting = replicaReads({ ...core, registry: core.metrics.registry });
    if (readRouting) closers.push(readRouting.close);
    const http = await createHttpServer({
      bodyLimit: config.http.bodyLimit,
      logger,
      metrics: core.metrics,
      authentication: createAuthentication((token) => modules.identity.service.authenticate(token)),
      routeExtensions: [idempotency.extension],
      errorCatalog: mergeErrorCatalogs([platformErrors.catalog, idempotencyErrors.catalog, ...all.map((m) => m.errors)]),
      readiness: [
        { name: 'database', check: () => database.ping() },
        // An api process publishes to the outbox and keeps taking orders while the broker is away; a worker cannot work.
        ...(config.messaging.nats ? [{ name: 'broker', check: () => bus.health(), critical: config.role !== 'api' }] : []),
        ...(readRouting ? [readRouting.readiness] : []),
      ],
      version: VERSION,
      rateLimiter,
      loadShedder,
      trustedProxies: config.http.trustedProxies,
      corsOrigins: config.http.corsOrigins,
      readRouting,
    });
    http.app.addHook('onRequest', (_request, _reply, done) => {
      core.edge.requestStarted();
      done();
    });
    if (config.role !== 'worker') {
      for (const module of all) {
        const routes = module.routes;
        if (routes) await http.app.register(async (scope) => routes(scope), { prefix: '/v1' });
      }
      await http.app.register(async (scope) => deadLetterRoutes(scope, core.deadLetters, database.db), { prefix: '/v1' });
      await http.app.register(async (scope) => breakerRoutes(scope, core.breakers), { prefix: '/v1' });
      await http.app.register(async (scope) => auditRoutes(scope, database.db), { prefix: '/v1' });
      const operations = {
        orders: modules.orders.activity,
        webhookAttemptsSince: modules.webhooks.attemptOutcomesSince,
        bus,
        deadLetters: core.deadLetters,
        breakers: core.breakers,
        cacheLookups: core.caches.lookups,
        latency: core.metrics.recentLatency,
        rateClasses,
        loadShedding: loadShedder.state,
      };
      await http.app.register(async (scope) => operationsRoutes(scope, operations), { prefix: '/v1' });
      const orderViewSources = {
        executor: database.db,
        groups: () => bus.groups(),
        orders: modules.orders.service,
        identity: modules.identity.service,
        payments: modules.payments.service,
        shipping: modules.shipping.service,
        inventory: modules.inventory.service,
      };
      await http.app.register(async (scope) => operatorOrderRoutes(scope, orderViewSources), { prefix: '/v1' });
      const site = { dir: config.web.dir, clientRoutes: STOREFRONT_ROUTES, imagesDir: path.join(config.dataDir, 'images') };
      if (!(await registerStaticSite(http.app, site))) logger.debug({ dir: config.web.dir }, 'no storefront build; / is not served');
      const consoleSite = { dir: config.web.consoleDir, prefix: '/admin', clientRoutes: CONSOLE_ROUTES };
      if (!(await registerStaticSite(http.app, consoleSite)))
        logger.debug({ dir: config.web.consoleDir }, 'no console build; /admin is not served');
    }
    await http.app.ready();
    const fault = config.faults.exitAfterCommit;
    if (fault !== null && config.role !== 'worker' && !idempotency.effects().includes(fault)) {
      throw new ConfigError(
        `invalid configuration:\n  ORDERLY_FAULT: no effect ${fault} (known: ${idempotency.effects().sort().join(', ')})`,
      );
    }

    if (config.admin) {
      const admin = await modules.identity.service.ensureAdmin(config.admin);
      logger.info({ userId: admin.id }, 'admin account ready');
    }

    const tasks: PeriodicTask[] = [
      ...all.flatMap((m) => m.tasks ?? []),
      createPeriodicTask('idempotency.delete-expired', 60_000, () => idempotency.sweep(), logger),
      // A week of handled messages is kept for audits and `orderly verify`; a redelivery later than that is not expected.
      createPeriodicTask('messaging.prune', 3_600_000, () => bus.prune(new Date(Date.now() - 7 * 86_400_000)), logger),
      ...(config.archive.afterMs === null ? [] : [archiveTask(core, config.archive.afterMs, logger)]),
      ...(config.backup && config.database.kind === 'sqlite'
        ? [
            scheduledBackups({
              dataDir: config.dataDir,
              mainFile: config.database.file,
              archiveDir: config.archive.dir,
              schedule: config.backup,
              version: VERSION,
              registry: core.metrics.registry,
              logger,
            }),
          ]
        : []),
    ];
    const runsWorkers = config.role !== 'api';
    if (runsWorkers) {
      bus.start();
      for (const task of tasks) task.start();
    }

    return {
      ...core,
      http,
      listen: () => http.app.listen({ port: config.http.port, host: config.http.host }),
      async close() {
        http.startDraining();
        modules.orders.closeStreams();
        await http.app.close();
        if (runsWorkers) {
          await Promise.all(tasks.map((t) => t.stop()));
          await bus.stop();
        }
        for (const close of closers) await close();
        await core.close();
      },
    };
  } catch (error) {
    for (const close of closers) await close();
    await core.close();
    throw error;
  }
}
