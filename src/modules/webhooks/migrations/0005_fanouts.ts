import type { Kysely } from 'kysely';

// A message for more endpoints than one chunk gets the deliveries of its first chunk in the bus's
// transaction and keeps the rest of its endpoints here, to be fanned out a chunk per transaction with other
// messages' chunks in between. Otherwise one event for hundreds of endpoints held up, for the whole of its
// fan-out, every event behind it, among them those for a single endpoint.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('webhook_fanouts')
    .addColumn('message_id', 'text', (c) => c.primaryKey())
    .addColumn('endpoint_ids', 'text', (c) => c.notNull())
    .addColumn('next_index', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}
