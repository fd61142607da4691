import { Type } from 'typebox';
import { requireAccess } from '../platform/http/auth.js';
import { privateResponses } from '../platform/http/caching.js';
import { PRIORITIES } from '../platform/http/load-shedding.js';
import { problems } from '../platform/http/schemas.js';
import type { HttpApp } from '../platform/http/types.js';
import { BreakerStateSchema } from '../platform/resilience/routes.js';
import { edgeState, type EdgeSources } from './edge.js';
import { operationsSummary, type SummarySources } from './summary.js';

const Count = Type.Integer({ minimum: 0 });
const Ratio = Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]);
const Millis = Type.Union([Type.Number({ minimum: 0 }), Type.Null()]);

const Breaker = Type.Object({
  name: Type.String({ description: 'the outbound dependency, as GET /v1/admin/breakers names it' }),
  state: BreakerStateSchema,
  since: Type.String({ format: 'date-time' }),
});

const Summary = Type.Object({
  generatedAt: Type.String({ format: 'date-time' }),
  orders: Type.Object({
    perMinute: Type.Array(
      Type.Object({
        minute: Type.String({ format: 'date-time', description: 'start of the minute (UTC)' }),
        placed: Count,
        confirmed: Count,
        cancelled: Count,
      }),
      { description: 'the last 30 minutes, oldest first, the current one last; each order counted in the minute it reached the status' },
    ),
    byStatus: Type.Object(
      { pending: Count, confirmed: Count, shipped: Count, delivered: Count, cancelled: Count },
      { description: 'orders per status now (archived orders, all final, are not counted)' },
    ),
  }),
  latency: Type.Array(
    Type.Object({
      route: Type.String({ description: 'method and path, e.g. POST /v1/orders' }),
      count: Count,
      p50Ms: Millis,
      p99Ms: Millis,
    }),
    {
      description:
        'the main routes over the last 5 minutes, as the answering process saw them (percentiles over its latest 2,048 requests per route)',
    },
  ),
  messaging: Type.Object({
    groups: Type.Array(
      Type.Object({
        group: Type.String(),
        backlog: Type.Integer({ minimum: 0, description: 'deliveries not yet handled (due or backing off), dead letters aside' }),
        oldestAgeSeconds: Type.Union([Type.Number({ minimum: 0 }), Type.Null()], {
          description: 'how long the oldest of them has waited; null when none waits, or on NATS (the broker does not tell)',
        }),
      }),
    ),
  }),
  deadLetters: Type.Object({ count: Count }),
  webhooks: Type.Object(
    { attempts: Count, succeeded: Count, successRatio: Ratio },
    { description: 'delivery attempts to every endpoint over the last hour' },
  ),
  breakers: Type.Array(Breaker),
  cache: Type.Object({ hits: Count, misses: Count, hitRatio: Ratio }, { description: "this process's cache lookups since it started" }),
});

const PerPriority = Type.Object(Object.fromEntries(PRIORITIES.map((p) => [p, Count])) as Record<(typeof PRIORITIES)[number], typeof Count>);

const Edge = Type.Object({
  rateLimits: Type.Object({
    enabled: Type.Boolean({ description: 'false when ORDERLY_RATE_LIMITS=off' }),
    classes: Type.Array(
      Type.Object({
        name: Type.String(),
        quota: Type.Integer({ minimum: 1 }),
        windowSeconds: Type.Integer({ minimum: 1 }),
        scope: Type.String({ description: 'whose requests share a bucket: ip, user, user_or_ip or account' }),
      }),
    ),
  }),
  loadShedding: Type.Object(
    {
      enabled: Type.Boolean(),
      inFlight: Count,
      limit: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { description: 'the in-flight bound; null when shedding is off' }),
      lagLimitMs: Millis,
      pressure: Type.Number({ minimum: 0 }),
      eventLoopDelayMs: Type.Number({ minimum: 0 }),
      shedding: Type.Array(Type.String(), { description: 'priorities refused right now' }),
      shed: Type.Integer({ minimum: 0, description: 'requests refused with 503 since the process started' }),
      shedByPriority: PerPriority,
    },
    { description: "the answering process's shedder" },
  ),
  breakers: Type.Array(Breaker),
});

/** The operations console's own reads: an overview polled every few seconds, and the edge's guards. */
export async function operationsRoutes(app: HttpApp, sources: SummarySources & EdgeSources): Promise<void> {
  requireAccess(app, 'admin');
  privateResponses(app);
  const common = { tags: ['operations'], security: [{ bearer: [] }] };

  app.get(
    '/admin/summary',
    {
      schema: {
        ...common,
        summary:
          'Overview for operators: orders per minute and by status, latency, message backlog, dead letters, webhooks, breakers, cache',
        response: { 200: Summary, ...problems(401, 403) },
      },
    },
    async () => operationsSummary(sources),
  );

  app.get(
    '/admin/edge',
    {
      schema: {
        ...common,
        summary: 'Rate-limit classes in force, load-shedding state and circuit breakers',
        response: { 200: Edge, ...problems(401, 403) },
      },
    },
    async () => edgeState(sources),
  );
}
