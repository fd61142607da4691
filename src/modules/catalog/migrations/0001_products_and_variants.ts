import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('catalog_products')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('attributes', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'archived')`))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  // Keyset pagination walks these indexes newest first, so page 10,000 costs what page 1 does.
  await db.schema.createIndex('catalog_products_status_id').on('catalog_products').columns(['status', 'id']).execute();
  await db.schema.createIndex('catalog_products_status_category_id').on('catalog_products').columns(['status', 'category', 'id']).execute();

  await db.schema
    .createTable('catalog_variants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('product_id', 'text', (c) => c.notNull().references('catalog_products.id'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('sku', 'text', (c) => c.notNull().unique())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('price_amount', 'integer', (c) => c.notNull().check(sql`price_amount >= 0`))
    .addColumn('price_currency', 'text', (c) => c.notNull())
    .addColumn('attributes', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('catalog_variants_product').on('catalog_variants').columns(['product_id', 'position']).execute();
}
