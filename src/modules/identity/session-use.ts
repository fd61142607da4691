import { LRUCache } from 'lru-cache';
import type { Database } from '../../platform/db/database.js';
import type { Logger } from '../../platform/observability/logger.js';
import { createIdentityStore } from './store.js';

/** How stale a session's lastUsedAt may be: a write per session per minute, not one per request. */
export const SESSION_USE_RESOLUTION_MS = 60_000;

/** Records that sessions are in use, for their users' session list. */
export interface SessionUse {
  /** Called on every authenticated request; writes at most once per session per minute from this process. */
  used(sessionId: string): Promise<void>;
}

export function createSessionUse(database: Database, logger: Logger): SessionUse {
  const store = createIdentityStore(database.db);
  // When this process last recorded each session's use; the row itself settles races between processes.
  const recorded = new LRUCache<string, number>({ max: 100_000, ttl: SESSION_USE_RESOLUTION_MS });
  return {
    async used(sessionId) {
      if (recorded.has(sessionId)) return;
      const now = Date.now();
      recorded.set(sessionId, now);
      const since = new Date(now - SESSION_USE_RESOLUTION_MS).toISOString();
      // A failed write costs the list a minute of accuracy, never the request.
      await store.touchSession(sessionId, new Date(now).toISOString(), since).catch((error: unknown) => {
        logger.warn({ err: error, sessionId }, 'could not record a session’s use');
      });
    },
  };
}
