import { asSchema, type Database } from '../../platform/db/database.js';
import { cursorAfter, type RetentionRule } from '../../platform/retention.js';
import type { IdentityTables } from './store.js';

/**
 * Sessions `retentionMs` after they expired, revoked or not. A session still valid is never touched; one
 * revoked by a logout goes once its expiry has passed by as much.
 */
export function sessionRetentionRules(database: Database, retentionMs: number): RetentionRule[] {
  return [
    {
      kind: 'sessions',
      retentionMs,
      async prune(before, limit) {
        const db = asSchema<IdentityTables>(database.db);
        const cutoff = before.toISOString();
        // Oldest expiry first, along its index; what is deleted leaves the range, so no cursor is needed.
        const ids = (
          await db
            .selectFrom('identity_sessions')
            .select('id')
            .where('expires_at', '<', cutoff)
            .orderBy('expires_at')
            .limit(limit)
            .execute()
        ).map((r) => r.id);
        if (ids.length === 0) return { deleted: 0, last: null };
        const result = await db.deleteFrom('identity_sessions').where('id', 'in', ids).where('expires_at', '<', cutoff).executeTakeFirst();
        return { deleted: Number(result.numDeletedRows), last: cursorAfter(ids, limit) };
      },
    },
  ];
}
