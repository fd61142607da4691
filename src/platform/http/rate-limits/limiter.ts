import type { FastifyReply, FastifyRequest, preHandlerHookHandler, onRequestHookHandler } from 'fastify';
import type { Logger } from '../../observability/logger.js';
import { platformErrors } from '../errors.js';
import { memoryBuckets, type BucketStore, type Take } from './buckets.js';

/** Whose requests share a bucket. `account` is the email a login names, so it is known only once the body is parsed. */
export type RateScope = 'ip' | 'user' | 'user_or_ip' | 'account';

export interface RateClass {
  quota: number;
  windowSeconds: number;
  scope: RateScope;
}

/** Defaults per route class; any of them can be changed (or all lifted) with ORDERLY_RATE_LIMITS. */
export const DEFAULT_RATE_CLASSES = {
  signup: { quota: 5, windowSeconds: 60, scope: 'ip' },
  login: { quota: 5, windowSeconds: 60, scope: 'account' },
  login_ip: { quota: 20, windowSeconds: 60, scope: 'ip' },
  password_change: { quota: 5, windowSeconds: 60, scope: 'user' },
  checkout: { quota: 20, windowSeconds: 60, scope: 'user' },
  browse: { quota: 600, windowSeconds: 60, scope: 'user_or_ip' },
  search: { quota: 120, windowSeconds: 60, scope: 'user_or_ip' },
  writes: { quota: 120, windowSeconds: 60, scope: 'user_or_ip' },
} as const satisfies Record<string, RateClass>;

export type RateClassName = keyof typeof DEFAULT_RATE_CLASSES;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Rate classes this route spends from; by default `browse` for reads and `writes` for the rest under /v1. */
    rateLimit?: RateClassName[] | false;
  }
}

interface Spent {
  name: string;
  rateClass: RateClass;
  take: Take;
}

export interface RateLimiter {
  onRequest(classes: RateClassName[]): onRequestHookHandler | null;
  preHandler(classes: RateClassName[]): preHandlerHookHandler | null;
  close(): Promise<void>;
}

const spentKey = Symbol('rateLimitsSpent');
type WithSpent = FastifyRequest & { [spentKey]?: Spent[] };

function subjectOf(request: FastifyRequest, scope: RateScope): string | null {
  switch (scope) {
    case 'ip':
      return `ip:${request.ip}`;
    case 'user':
      return request.principal ? `user:${request.principal.userId}` : `ip:${request.ip}`;
    case 'user_or_ip':
      // Operators' own tokens are not throttled on everyday traffic (bulk imports, redrives); logins still are.
      if (request.principal?.role === 'admin') return null;
      return request.principal ? `user:${request.principal.userId}` : `ip:${request.ip}`;
    case 'account': {
      const email = (request.body as { email?: unknown } | undefined)?.email;
      return typeof email === 'string' ? `account:${email.toLowerCase()}` : null;
    }
  }
}

/** The IETF RateLimit fields plus the X-RateLimit-* ones older clients read, for the tightest bucket spent. */
function headersFor(spent: Spent[]): Record<string, string> {
  const tightest = spent.reduce((a, b) => (b.take.remaining < a.take.remaining || (!b.take.allowed && a.take.allowed) ? b : a));
  const reset = Math.ceil(tightest.take.resetMs / 1000);
  return {
    'ratelimit-policy': spent.map((s) => `"${s.name}";q=${s.rateClass.quota};w=${s.rateClass.windowSeconds}`).join(', '),
    ratelimit: `"${tightest.name}";r=${tightest.take.remaining};t=${reset}`,
    'x-ratelimit-limit': String(tightest.rateClass.quota),
    'x-ratelimit-remaining': String(tightest.take.remaining),
    'x-ratelimit-reset': String(reset),
  };
}

/**
 * Token buckets per route class and caller. The store is shared (Redis) or local (memory); a failing
 * shared store degrades to local buckets rather than to errors or to no limits at all.
 */
export function createRateLimiter(options: {
  classes: Record<RateClassName, RateClass> | 'off';
  store: BucketStore;
  logger: Logger;
}): RateLimiter {
  const { classes, store, logger } = options;
  const local = store.kind === 'memory' ? store : memoryBuckets();
  let lastFallbackLog = 0;

  async function take(key: string, rateClass: RateClass): Promise<Take> {
    const windowMs = rateClass.windowSeconds * 1000;
    try {
      return await store.take(key, rateClass.quota, windowMs);
    } catch (error) {
      if (Date.now() - lastFallbackLog > 10_000) {
        lastFallbackLog = Date.now();
        logger.warn({ err: error }, "rate-limit store failed; using this process's buckets");
      }
      return local.take(key, rateClass.quota, windowMs);
    }
  }

  async function spend(request: FastifyRequest, reply: FastifyReply, names: RateClassName[]): Promise<void> {
    if (classes === 'off') return;
    const spent = ((request as WithSpent)[spentKey] ??= []);
    for (const name of names) {
      const rateClass = classes[name];
      const subject = subjectOf(request, rateClass.scope);
      if (subject === null) continue;
      spent.push({ name, rateClass, take: await take(`${name}:${subject}`, rateClass) });
    }
    if (spent.length === 0) return;
    const headers = headersFor(spent);
    const refused = spent.find((s) => !s.take.allowed);
    if (refused) {
      const retryAfter = Math.max(1, Math.ceil(refused.take.retryAfterMs / 1000));
      throw platformErrors.error('rate_limited', `Too many requests (${refused.name}); try again in ${retryAfter} s`, {
        headers: { ...headers, 'retry-after': String(retryAfter) },
      });
    }
    reply.headers(headers);
  }

  const split = (names: RateClassName[], account: boolean) =>
    classes === 'off' ? [] : names.filter((n) => (classes[n].scope === 'account') === account);

  return {
    onRequest(names) {
      const early = split(names, false);
      return early.length === 0 ? null : async (request, reply) => spend(request, reply, early);
    },
    preHandler(names) {
      const late = split(names, true);
      return late.length === 0 ? null : async (request, reply) => spend(request, reply, late);
    },
    close: () => store.close(),
  };
}

/** The defaults with ORDERLY_RATE_LIMITS's overrides (validated with the rest of the config) applied. */
export function rateClassesFrom(
  settings: 'off' | Partial<Record<RateClassName, { quota: number; windowSeconds: number }>>,
): Record<RateClassName, RateClass> | 'off' {
  if (settings === 'off') return 'off';
  const classes: Record<RateClassName, RateClass> = { ...DEFAULT_RATE_CLASSES };
  for (const name of Object.keys(settings) as RateClassName[]) classes[name] = { ...classes[name], ...settings[name] };
  return classes;
}
