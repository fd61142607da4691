import type { Kysely } from 'kysely';

// The operations summary's success ratio over the last hour of attempts, asked every few seconds: a range
// by time answered from the index alone instead of a walk over every attempt kept.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('webhook_attempts_at').on('webhook_attempts').columns(['at', 'status']).execute();
}
