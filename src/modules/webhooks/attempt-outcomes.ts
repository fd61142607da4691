import { sql } from 'kysely';
import type { Database } from '../../platform/db/database.js';
import { firstIdAt } from '../../platform/db/ids.js';
import { webhookDb } from './store.js';

/** Delivery attempts made over a stretch of time and how many of them the endpoint took (2xx). */
export interface AttemptOutcomes {
  attempts: number;
  succeeded: number;
}

/**
 * Every endpoint's attempts since `since` (the summary asks often). Attempt ids are time-ordered and made as
 * the attempt is written, just after its `at`: the window is a range of the primary key from a minute
 * earlier, with `at` deciding exactly, so no index on time is kept up on every attempt.
 */
export async function attemptOutcomesSince(database: Database, since: Date): Promise<AttemptOutcomes> {
  const row = await webhookDb(database.db)
    .selectFrom('webhook_attempts')
    .select([
      sql<number>`count(*)`.as('attempts'),
      sql<number | null>`sum(case when status = 'succeeded' then 1 else 0 end)`.as('succeeded'),
    ])
    .where('id', '>=', firstIdAt('wha', new Date(since.getTime() - 60_000)))
    .where('at', '>=', since.toISOString())
    .executeTakeFirstOrThrow();
  return { attempts: Number(row.attempts), succeeded: Number(row.succeeded ?? 0) };
}
