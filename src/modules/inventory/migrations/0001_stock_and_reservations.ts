import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // The CHECKs are the last line of defence against oversell: a bug that slips past the
  // conditional updates still cannot commit a negative count.
  await db.schema
    .createTable('inventory_stock')
    .addColumn('sku', 'text', (c) => c.primaryKey())
    .addColumn('available', 'integer', (c) => c.notNull().check(sql`available >= 0`))
    .addColumn('reserved', 'integer', (c) => c.notNull().check(sql`reserved >= 0`))
    .addColumn('sold', 'integer', (c) => c.notNull().check(sql`sold >= 0`))
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('inventory_movements')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('delta_available', 'integer', (c) => c.notNull())
    .addColumn('delta_reserved', 'integer', (c) => c.notNull())
    .addColumn('delta_sold', 'integer', (c) => c.notNull())
    .addColumn('order_id', 'text')
    .addColumn('reason', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('inventory_movements_sku').on('inventory_movements').columns(['sku', 'id']).execute();

  await db.schema
    .createTable('inventory_reservations')
    .addColumn('order_id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text')
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('reserved', 'committed', 'released', 'expired', 'failed', 'returned')`),
    )
    .addColumn('failure', 'text')
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('inventory_reservations_expiry').on('inventory_reservations').columns(['status', 'expires_at']).execute();

  await db.schema
    .createTable('inventory_reservation_lines')
    .addColumn('order_id', 'text', (c) => c.notNull())
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull().check(sql`quantity > 0`))
    .addPrimaryKeyConstraint('inventory_reservation_lines_pk', ['order_id', 'sku'])
    .execute();
}
