import { sql } from 'kysely';
import type { Database } from '../../platform/db/database.js';
import { webhookDb } from './store.js';

/** Delivery attempts made over a stretch of time and how many of them the endpoint took (2xx). */
export interface AttemptOutcomes {
  attempts: number;
  succeeded: number;
}

/** Every endpoint's attempts since `since`, read from webhook_attempts_at alone (the summary asks often). */
export async function attemptOutcomesSince(database: Database, since: Date): Promise<AttemptOutcomes> {
  const row = await webhookDb(database.db)
    .selectFrom('webhook_attempts')
    .select([
      sql<number>`count(*)`.as('attempts'),
      sql<number | null>`sum(case when status = 'succeeded' then 1 else 0 end)`.as('succeeded'),
    ])
    .where('at', '>=', since.toISOString())
    .executeTakeFirstOrThrow();
  return { attempts: Number(row.attempts), succeeded: Number(row.succeeded ?? 0) };
}
