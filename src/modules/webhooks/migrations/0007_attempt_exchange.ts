import type { Kysely } from 'kysely';

// What an attempt sent and the start of what came back, on the attempt's own row: an operator reads why a
// receiver refused without another write per attempt. request_headers is JSON; response_body at most 1 KiB.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('webhook_attempts').addColumn('request_headers', 'text').execute();
  await db.schema.alterTable('webhook_attempts').addColumn('response_body', 'text').execute();
}
