import type { Kysely } from 'kysely';

// The operations summary counts what orders did in the last half hour, polled every few seconds: a range
// of the timeline by time, read from this index alone, rather than the whole timeline.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('order_timeline_at').on('order_timeline').columns(['at', 'status']).execute();
}
