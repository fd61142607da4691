import type { Kysely } from 'kysely';

// An admin's list filtered by when orders were placed (createdFrom/createdTo) would otherwise read every order.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('orders_created').on('orders').columns(['created_at']).execute();
}
