import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // "Bought together": for each product, how many confirmed orders also held the other one.
  await db.schema
    .createTable('recommendation_pairs')
    .addColumn('product_id', 'text', (c) => c.notNull())
    .addColumn('other_id', 'text', (c) => c.notNull())
    .addColumn('orders', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('recommendation_pairs_pk', ['product_id', 'other_id'])
    .execute();
  await db.schema
    .createIndex('recommendation_pairs_top')
    .on('recommendation_pairs')
    .columns(['product_id', 'orders desc', 'other_id'])
    .execute();
}
