import { sql, type Kysely } from 'kysely';

// The due index led by status held every delivery ever made, and led SQLite (which has no statistics
// here) to answer "these 100 ids, if still delivering" by walking all deliveries in flight: it guesses an
// equality matches 10 rows. Two partial indexes hold only what is looked for: the live deliveries by due
// time, for claims, and the dead ones, for the dead-letter list. Queries name their conditions in the
// indexes' exact words (store.ts), which is how SQLite tells that a partial index applies.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('webhook_deliveries_due').execute();
  await db.schema
    .createIndex('webhook_deliveries_live')
    .on('webhook_deliveries')
    .columns(['next_attempt_at'])
    .where(sql<boolean>`status in ('pending', 'delivering')`)
    .execute();
  await db.schema
    .createIndex('webhook_deliveries_dead')
    .on('webhook_deliveries')
    .columns(['id'])
    .where(sql<boolean>`status = 'dead'`)
    .execute();
}
