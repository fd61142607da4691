import type { TSchema } from 'typebox';
import type { Database } from '../../platform/db/database.js';
import type { MessageBus } from '../../platform/messaging/bus.js';
import type { AppModule } from '../../platform/module.js';
import { createOutboundPolicy, type OutboundPolicy } from '../../platform/resilience/outbound.js';
import { recommendationsMigrations } from './migrations/index.js';
export { recommendationsMigrations } from './migrations/index.js';
import { recommendationRoutes } from './routes.js';
import { recommendationSubscription } from './handlers.js';
import { createRecommendationService, type RecommendationPorts, type RecommendationService } from './service.js';

export type { RecommendationPorts, ShownProduct } from './service.js';

export interface RecommendationsModule extends AppModule {
  service: RecommendationService;
  /** Timeout, breaker and bulkhead around the recommender, for the breaker registry. */
  policy: OutboundPolicy;
}

export function createRecommendationsModule(deps: {
  database: Database;
  bus: MessageBus;
  ports: RecommendationPorts;
  timeoutMs: number;
  productSchema: TSchema;
}): RecommendationsModule {
  // No retries: an answer late is worth nothing. A recommender failing in a row is left alone for a while,
  // and at most 32 calls wait on it, so a sick recommender cannot tie up the product page.
  const policy = createOutboundPolicy({
    name: 'recommendations',
    timeoutMs: deps.timeoutMs,
    retryDelaysMs: [],
    breaker: {
      failureRatio: 0.5,
      windowMs: 10_000,
      minimumCalls: 20,
      consecutiveFailures: 5,
      closeAfterSuccesses: 1,
      halfOpenAfterMs: 5_000,
    },
    bulkhead: { limit: 32, queue: 32 },
    isTransient: () => true,
  });
  const service = createRecommendationService(deps.database, policy, deps.ports, deps.timeoutMs);
  deps.bus.subscribe(recommendationSubscription(deps.ports));
  return {
    name: 'recommendations',
    migrations: recommendationsMigrations,
    errors: {},
    service,
    policy,
    routes: (app) => recommendationRoutes(app, service, deps.productSchema),
  };
}
