import { sql, type Kysely } from 'kysely';

// One counter, bumped in the transaction of every change to which endpoints receive what, so the fan-out
// can keep the enabled endpoints in memory and re-read them only after a change (from any process).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('webhook_endpoint_changes')
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('version', 'integer', (c) => c.notNull())
    .execute();
  await sql`insert into webhook_endpoint_changes (id, version) values (1, 0)`.execute(db);
}
