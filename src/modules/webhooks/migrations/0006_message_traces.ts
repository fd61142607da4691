import type { Kysely } from 'kysely';

// The trace an event's handling belongs to, so that each delivery attempt (a client span) joins it and the
// receiver gets its traceparent. Null for events recorded before, or while not tracing.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('webhook_messages').addColumn('traceparent', 'text').execute();
}
