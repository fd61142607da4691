import type { Registry } from 'prom-client';
import type { Database } from '../../platform/db/database.js';
import type { MessageBus } from '../../platform/messaging/bus.js';
import type { AppModule } from '../../platform/module.js';
import type { Logger } from '../../platform/observability/logger.js';
import type { SecretBox } from '../../platform/secrets/secret-box.js';
import { createRetentionTask } from '../../platform/retention.js';
import { createDispatcher, type DispatcherSettings } from './dispatcher.js';
import { webhookErrors } from './errors.js';
import type { PublicEvents } from './event-types.js';
import { webhookSubscription } from './handlers.js';
import { createWebhooksMetrics } from './metrics.js';
import { attemptOutcomesSince, type AttemptOutcomes } from './attempt-outcomes.js';
import { webhooksMigrations } from './migrations/index.js';
export { webhooksMigrations } from './migrations/index.js';
import { webhookRoutes } from './routes.js';
import { createWebhookService, type WebhookService } from './service.js';
import { createLane } from './lane.js';
import { webhookRetentionRules, type WebhookRetention } from './retention.js';

export type { PublicEvents } from './event-types.js';
export type { WebhookService } from './service.js';
export type { AttemptOutcomes } from './attempt-outcomes.js';
export type { WebhookRetention } from './retention.js';

export interface WebhooksModule extends AppModule {
  service: WebhookService;
  /** Attempts to every endpoint since a time, and how many succeeded: the operations summary's ratio. */
  attemptOutcomesSince(since: Date): Promise<AttemptOutcomes>;
}

export function createWebhooksModule(deps: {
  database: Database;
  bus: MessageBus;
  logger: Logger;
  registry: Registry;
  /** Endpoints' signing secrets are stored sealed under it. */
  secrets: SecretBox;
  settings: Omit<DispatcherSettings, 'pollIntervalMs'> & { allowPrivate: boolean; pollIntervalMs: number };
  /** The public events of every module: what merchants can subscribe to. */
  events: PublicEvents;
  /** How long what is finished is kept, and how often the retention looks. */
  retention: WebhookRetention & { everyMs: number };
}): WebhooksModule {
  const { settings } = deps;
  const senderOptions = { timeoutMs: settings.timeoutMs, allowPrivate: settings.allowPrivate };
  const senders = {
    express: createLane(senderOptions, 'express', deps.logger),
    bulk: createLane(senderOptions, 'bulk', deps.logger),
  };
  let load = () => ({ inFlight: 0, queued: 0 });
  const metrics = createWebhooksMetrics(deps.registry, () => load());
  const dispatcher = createDispatcher({ database: deps.database, senders, secrets: deps.secrets, logger: deps.logger, metrics, settings });
  load = dispatcher.load;
  deps.bus.subscribe(webhookSubscription(dispatcher, deps.database.db, deps.events));
  const service = createWebhookService(deps.database, {
    allowPrivate: settings.allowPrivate,
    wake: dispatcher.wake,
    secrets: deps.secrets,
  });
  const retention = createRetentionTask('webhooks.retention', webhookRetentionRules(deps.database, deps.retention), {
    registry: deps.registry,
    logger: deps.logger,
    pace: { everyMs: deps.retention.everyMs },
  });
  return {
    name: 'webhooks',
    migrations: webhooksMigrations,
    errors: webhookErrors.catalog,
    service,
    attemptOutcomesSince: (since) => attemptOutcomesSince(deps.database, since),
    tasks: [dispatcher, retention],
    routes: (app) => webhookRoutes(app, service, deps.events),
  };
}
