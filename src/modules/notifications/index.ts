import type { Registry } from 'prom-client';
import type { Database } from '../../platform/db/database.js';
import type { BucketStore, Quota } from '../../platform/http/rate-limits/buckets.js';
import type { MessageBus } from '../../platform/messaging/bus.js';
import type { AppModule } from '../../platform/module.js';
import type { Logger } from '../../platform/observability/logger.js';
import { createRetentionTask } from '../../platform/retention.js';
import { createOutboundPolicy, type OutboundPolicy } from '../../platform/resilience/outbound.js';
import { channelSubscription, fanOutSubscription } from './handlers.js';
import { createNotificationsMetrics } from './metrics.js';
import { notificationsMigrations } from './migrations/index.js';
export { notificationsMigrations } from './migrations/index.js';
import type { ChannelProvider } from './provider.js';
import { createSandboxProvider, type SandboxProvider } from './providers/sandbox.js';
import { createSmtpProvider } from './providers/smtp.js';
import { notificationRoutes } from './routes.js';
import { notificationRetentionRules } from './retention.js';
import { createNotificationService, type NotificationService } from './service.js';
import { CHANNELS, createNotificationsStore, type Channel } from './store.js';

export type { NotificationService } from './service.js';

export interface NotificationsModule extends AppModule {
  service: NotificationService;
  /** One per channel, for the breaker registry. */
  policies: OutboundPolicy[];
  close(): Promise<void>;
}

export interface NotificationSettings {
  smtp: { url: string; from: string } | null;
  timeoutMs: number;
  perUser: Quota;
  perChannel: Record<Channel, Quota>;
}

export function createNotificationsModule(deps: {
  database: Database;
  bus: MessageBus;
  registry: Registry;
  logger: Logger;
  buckets: BucketStore;
  settings: NotificationSettings;
  /** Sent notifications and the sandboxes' copies are kept `sentMs`; the retention looks every `everyMs`. */
  retention: { sentMs: number; everyMs: number };
}): NotificationsModule {
  const { settings } = deps;
  const sandboxes: Partial<Record<Channel, SandboxProvider>> = {};
  const providerFor = (channel: Channel): ChannelProvider => {
    if (channel === 'email' && settings.smtp) return createSmtpProvider(settings.smtp.url, settings.smtp.from, settings.timeoutMs);
    return (sandboxes[channel] = createSandboxProvider(channel));
  };
  const metrics = createNotificationsMetrics(deps.registry, () => createNotificationsStore(deps.database.db).failedByChannel());
  const providers: ChannelProvider[] = [];
  const policies: OutboundPolicy[] = [];
  deps.bus.subscribe(fanOutSubscription());
  for (const channel of CHANNELS) {
    const provider = providerFor(channel);
    // Retries are the bus's (with backoff, then the dead-letter store); this bounds each send, stops calling a
    // provider that keeps failing, and caps the sends in flight so one slow channel cannot hold every worker.
    const policy = createOutboundPolicy({
      name: `notifications.${channel}`,
      timeoutMs: settings.timeoutMs,
      retryDelaysMs: [],
      breaker: {
        failureRatio: 0.5,
        windowMs: 30_000,
        minimumCalls: 20,
        consecutiveFailures: 10,
        closeAfterSuccesses: 1,
        halfOpenAfterMs: 10_000,
      },
      bulkhead: { limit: 8, queue: 16 },
      isTransient: () => true,
    });
    providers.push(provider);
    policies.push(policy);
    deps.bus.subscribe(
      channelSubscription(
        channel,
        deps.database,
        { provider, policy },
        { buckets: deps.buckets, perUser: settings.perUser, perChannel: settings.perChannel },
        metrics,
      ),
    );
  }
  const service = createNotificationService(deps.database, sandboxes);
  const retention = createRetentionTask('notifications.retention', notificationRetentionRules(deps.database, deps.retention.sentMs), {
    registry: deps.registry,
    logger: deps.logger,
    pace: { everyMs: deps.retention.everyMs },
  });
  return {
    name: 'notifications',
    migrations: notificationsMigrations,
    errors: {},
    service,
    policies,
    tasks: [retention],
    routes: (app) => notificationRoutes(app, service),
    async close() {
      await Promise.all(providers.map((p) => p.close()));
    },
  };
}
