import { sql, type Kysely } from 'kysely';

// Deliveries are looked up by endpoint only to drop the waiting and dead ones when an endpoint is deleted.
// Indexing every delivery by endpoint cost a page write per endpoint on each fan-out (the entries of 100
// endpoints lie on 100 pages) and half the cost of inserting a delivery; most deliveries are leased at
// once and then succeed, so they need not be in it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('webhook_deliveries_endpoint').execute();
  await db.schema
    .createIndex('webhook_deliveries_endpoint_waiting')
    .on('webhook_deliveries')
    .columns(['endpoint_id'])
    .where(sql<boolean>`status in ('pending', 'dead')`)
    .execute();
}
