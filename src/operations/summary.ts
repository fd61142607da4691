import type { MilestoneCount, OrderActivity, OrderStatus } from '../modules/orders/index.js';
import type { AttemptOutcomes } from '../modules/webhooks/index.js';
import type { MessageBus } from '../platform/messaging/bus.js';
import type { DeadLetterStore } from '../platform/messaging/transport.js';
import type { RecentLatency } from '../platform/observability/recent-latency.js';
import type { BreakerRegistry } from '../platform/resilience/registry.js';

/** The routes whose latency the console shows: a sale's path and the browsing around it. */
export const MAIN_ROUTES = [
  ['POST', '/v1/orders'],
  ['GET', '/v1/orders'],
  ['GET', '/v1/orders/:id'],
  ['GET', '/v1/products'],
  ['GET', '/v1/products/:id'],
  ['GET', '/v1/search'],
  ['GET', '/v1/cart'],
  ['POST', '/v1/cart/items'],
  ['POST', '/v1/auth/login'],
] as const;

const MINUTES = 30;
const WEBHOOK_WINDOW_MS = 3_600_000;

/** Where the summary reads from: modules through their public faces, the platform's own parts. */
export interface SummarySources {
  orders: OrderActivity;
  webhookAttemptsSince(since: Date): Promise<AttemptOutcomes>;
  bus: Pick<MessageBus, 'lag'>;
  deadLetters: Pick<DeadLetterStore, 'count'>;
  breakers: BreakerRegistry;
  cacheLookups(): { hits: number; misses: number };
  latency: RecentLatency;
}

export interface OrdersPerMinute {
  minute: string;
  placed: number;
  confirmed: number;
  cancelled: number;
}

export interface BreakerState {
  name: string;
  state: ReturnType<BreakerRegistry['list']>[number]['state'];
  since: string;
}

export interface OperationsSummary {
  generatedAt: string;
  orders: { perMinute: OrdersPerMinute[]; byStatus: Record<OrderStatus, number> };
  latency: { route: string; count: number; p50Ms: number | null; p99Ms: number | null }[];
  messaging: { groups: { group: string; backlog: number; oldestAgeSeconds: number | null }[] };
  deadLetters: { count: number };
  webhooks: { attempts: number; succeeded: number; successRatio: number | null };
  breakers: BreakerState[];
  cache: { hits: number; misses: number; hitRatio: number | null };
}

const ratio = (part: number, whole: number) => (whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000);

/** `/v1/orders/:id` as the OpenAPI document writes it: `/v1/orders/{id}`. */
const openApiPath = (route: string) => route.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** The last `MINUTES` whole minutes up to the current one, oldest first, each filled from the counts (zeros where none). */
export function perMinute(now: Date, counts: MilestoneCount[]): OrdersPerMinute[] {
  const current = Math.floor(now.getTime() / 60_000) * 60_000;
  const byMinute = new Map<string, OrdersPerMinute>();
  const minutes: OrdersPerMinute[] = [];
  for (let i = MINUTES - 1; i >= 0; i -= 1) {
    const minute = new Date(current - i * 60_000).toISOString();
    const entry = { minute, placed: 0, confirmed: 0, cancelled: 0 };
    byMinute.set(minute.slice(0, 16), entry);
    minutes.push(entry);
  }
  for (const c of counts) {
    const entry = byMinute.get(c.minute);
    if (entry === undefined) continue;
    if (c.status === 'pending') entry.placed += c.orders;
    else entry[c.status] += c.orders;
  }
  return minutes;
}

export function breakerStates(breakers: BreakerRegistry): BreakerState[] {
  return breakers.list().map((b) => ({ name: b.name, state: b.state, since: b.since }));
}

/**
 * The console's overview. Every database read is bounded by time (the last half hour of order timelines,
 * the last hour of webhook attempts) or answered from an index (status counts, dead letters, the queue);
 * latency and cache counters are this process's own, in memory.
 */
export async function operationsSummary(sources: SummarySources, now = new Date()): Promise<OperationsSummary> {
  const firstMinute = new Date(Math.floor(now.getTime() / 60_000) * 60_000 - (MINUTES - 1) * 60_000);
  const [milestones, byStatus, lag, deadLetters, webhooks] = await Promise.all([
    sources.orders.milestonesSince(firstMinute),
    sources.orders.byStatus(),
    sources.bus.lag(),
    sources.deadLetters.count(),
    sources.webhookAttemptsSince(new Date(now.getTime() - WEBHOOK_WINDOW_MS)),
  ]);
  const cache = sources.cacheLookups();
  return {
    generatedAt: now.toISOString(),
    orders: { perMinute: perMinute(now, milestones), byStatus },
    latency: MAIN_ROUTES.map(([method, route]) => ({ route: `${method} ${openApiPath(route)}`, ...sources.latency.window(method, route) })),
    messaging: {
      groups: lag.map((g) => ({
        group: g.group,
        backlog: g.backlog,
        oldestAgeSeconds: g.oldestAt === null ? null : Math.max(0, Math.round((now.getTime() - Date.parse(g.oldestAt)) / 100) / 10),
      })),
    },
    deadLetters: { count: deadLetters },
    webhooks: { ...webhooks, successRatio: ratio(webhooks.succeeded, webhooks.attempts) },
    breakers: breakerStates(sources.breakers),
    cache: { ...cache, hitRatio: ratio(cache.hits, cache.hits + cache.misses) },
  };
}
