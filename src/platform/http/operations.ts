import { Type } from 'typebox';
import type { HttpApp } from './types.js';
import type { Metrics } from '../observability/metrics.js';
import type { LoadView } from './load-shedding.js';

/** A dependency /readyz asks before saying the process can take traffic. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
  /** False: reported, but the process stays ready without it (default true). */
  critical?: boolean;
  /** Figures shown beside the outcome, whatever it is (a replica's lag). */
  details?(): Record<string, number | boolean | null>;
}

const CHECK_TIMEOUT_MS = 2000;

interface CheckOutcome {
  name: string;
  ok: boolean;
  /** Shown only when false. */
  critical?: false;
  error?: string;
  details?: Record<string, number | boolean | null>;
}

async function runCheck(check: ReadinessCheck): Promise<CheckOutcome> {
  const critical = {
    ...(check.critical === false ? { critical: false as const } : {}),
    ...(check.details ? { details: check.details() } : {}),
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check.check(), timeout]);
    return { name: check.name, ok: true, ...critical };
  } catch (error) {
    return { name: check.name, ok: false, ...critical, error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

const CheckResult = Type.Object({
  name: Type.String(),
  ok: Type.Boolean(),
  critical: Type.Optional(Type.Boolean({ description: 'false: reported, but the process stays ready without it' })),
  error: Type.Optional(Type.String()),
  details: Type.Optional(
    Type.Record(Type.String(), Type.Union([Type.Number(), Type.Boolean(), Type.Null()]), {
      description: "figures beside the outcome, e.g. the read replica's lagMs",
    }),
  ),
});
const Load = Type.Object({
  pressure: Type.Number({ description: 'max of requests in flight and event-loop delay, each over its limit' }),
  inFlight: Type.Integer(),
  eventLoopDelayMs: Type.Number(),
  shedding: Type.Array(Type.String(), { description: 'priorities currently refused with 503' }),
});
const Readiness = Type.Object({ status: Type.String(), checks: Type.Array(CheckResult), load: Load });

export function registerOperations(
  app: HttpApp,
  options: { metrics: Metrics; readiness: ReadinessCheck[]; isDraining: () => boolean; load: () => LoadView },
): void {
  app.get(
    '/healthz',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['operations'],
        summary: 'Liveness: 200 while the process runs',
        response: { 200: Type.Object({ status: Type.String() }) },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'no-store');
      return { status: 'ok' };
    },
  );

  app.get(
    '/readyz',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['operations'],
        summary: 'Readiness: 200 when every dependency answers, else 503 with the failing checks',
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (_request, reply) => {
      const checks: CheckOutcome[] = await Promise.all(options.readiness.map(runCheck));
      if (options.isDraining()) checks.push({ name: 'shutdown', ok: false, error: 'draining before shutdown' });
      const load = options.load();
      // Shedding browse is business as usual under a spike; shedding orders means this node is saturated.
      if (load.shedding.includes('orders'))
        checks.push({ name: 'load', ok: false, error: `overloaded: shedding ${load.shedding.join(', ')}` });
      const ok = checks.every((c) => c.ok || c.critical === false);
      reply.header('cache-control', 'no-store').status(ok ? 200 : 503);
      return { status: ok ? 'ready' : 'unavailable', checks, load };
    },
  );

  app.get(
    '/metrics',
    {
      config: { auth: 'public' },
      schema: { tags: ['operations'], summary: 'Prometheus metrics in text format', produces: ['text/plain'] },
    },
    async (_request, reply) => {
      const text = await options.metrics.registry.metrics();
      return reply.header('cache-control', 'no-store').type(options.metrics.registry.contentType).send(text);
    },
  );
}
