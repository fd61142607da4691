import { sql, type Kysely } from 'kysely';

// Orders moved to cold storage: what lists and looks them up stays here (one small row each), the order itself is in an archive file.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('orders_archived')
    .addColumn('order_id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('delivered', 'cancelled')`))
    .addColumn('total_amount', 'integer', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('archived_at', 'text', (c) => c.notNull())
    .addColumn('file', 'text', (c) => c.notNull())
    .addColumn('record_offset', 'integer', (c) => c.notNull())
    .addColumn('record_length', 'integer', (c) => c.notNull())
    .addColumn('record_sha256', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('orders_archived_user').on('orders_archived').columns(['user_id', 'order_id']).execute();
  await db.schema.createIndex('orders_archived_status').on('orders_archived').columns(['status', 'order_id']).execute();
  // A file is announced before it is written and marked stored in the transaction that moves its orders:
  // one still 'writing' after a crash holds no order, and is removed.
  await db.schema
    .createTable('orders_archive_files')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('writing', 'stored')`))
    .addColumn('orders', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  // One archiver at a time, across processes: a lease it renews.
  await db.schema
    .createTable('orders_archive_lease')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('until', 'text', (c) => c.notNull())
    .execute();
}
