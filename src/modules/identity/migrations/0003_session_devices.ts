import type { Kysely } from 'kysely';

// What a user sees of each of their sessions (GET /v1/me/sessions): the client that opened it, from where, and
// when it was last used. Sessions opened before this read their creation time as their last use.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('identity_sessions').addColumn('user_agent', 'text').execute();
  await db.schema.alterTable('identity_sessions').addColumn('address', 'text').execute();
  await db.schema.alterTable('identity_sessions').addColumn('last_used_at', 'text').execute();
}
