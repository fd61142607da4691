import type { Kysely } from 'kysely';

// The retention deletes sessions some time after they expire, oldest first: without this index each of its
// batches would read every session there is to find the few that are due.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('identity_sessions_expires').on('identity_sessions').column('expires_at').execute();
}
