import type { Redis } from 'ioredis';
import type { FastifyInstance } from 'fastify';
import { readingFromReplica } from '../db/read-routing.js';
import type { ReplicaMonitor } from '../db/replica-monitor.js';

/** Who wrote lately, as every api copy sees it. */
export interface RecentWriters {
  mark(userId: string): Promise<void>;
  /** True when in doubt (Redis away): the primary is always right. */
  wroteRecently(userId: string): Promise<boolean>;
}

export function memoryWriters(windowMs: number): RecentWriters {
  const until = new Map<string, number>();
  return {
    async mark(userId) {
      until.set(userId, Date.now() + windowMs);
      if (until.size > 100_000) for (const [id, end] of until) if (end < Date.now()) until.delete(id);
    },
    async wroteRecently(userId) {
      return (until.get(userId) ?? 0) > Date.now();
    },
  };
}

/** Shared by every process through Redis, with this process's own marks answered without asking it. */
export function redisWriters(redis: Redis, windowMs: number): RecentWriters {
  const local = memoryWriters(windowMs);
  const key = (userId: string) => `orderly:ryw:${userId}`;
  return {
    async mark(userId) {
      await local.mark(userId);
      await redis.set(key(userId), '1', 'PX', windowMs).catch(() => undefined);
    },
    async wroteRecently(userId) {
      if (await local.wroteRecently(userId)) return true;
      try {
        return (await redis.exists(key(userId))) === 1;
      } catch {
        return true;
      }
    },
  };
}

const READS = new Set(['GET', 'HEAD']);

/**
 * Read-your-writes across api copies: a user whose write succeeded reads from the primary for a window
 * after it (marked before the answer leaves, so the next request finds the mark wherever it lands); other
 * reads may use the replica while it is healthy and near enough. Writes always go to the primary.
 */
export function routeReads(app: FastifyInstance, deps: { monitor: ReplicaMonitor; writers: RecentWriters }): void {
  // Callback hooks, so a request with nothing to decide or mark passes without a promise: an async onSend
  // on every response would also hold every answer back by a tick.
  app.addHook('preHandler', (request, _reply, done) => {
    if (!READS.has(request.method) || !deps.monitor.usable()) return done();
    const userId = request.principal?.userId;
    if (userId === undefined) return readingFromReplica(true, done);
    deps.writers.wroteRecently(userId).then((wrote) => (wrote ? done() : readingFromReplica(true, done)), done);
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    const userId = request.principal?.userId;
    if (userId === undefined || READS.has(request.method) || reply.statusCode >= 400) return done(null, payload);
    deps.writers.mark(userId).then(() => done(null, payload), done);
  });
}
