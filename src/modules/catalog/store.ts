import type { Kysely, Selectable } from 'kysely';
import { asSchema, type Executor } from '../../platform/db/database.js';
import { prepareRows } from '../../platform/db/prepared.js';

export type ProductStatus = 'active' | 'archived';

interface CatalogTables {
  catalog_products: {
    id: string;
    title: string;
    description: string;
    category: string;
    attributes: string;
    status: ProductStatus;
    created_at: string;
    updated_at: string;
  };
  catalog_variants: {
    id: string;
    product_id: string;
    position: number;
    sku: string;
    title: string;
    price_amount: number;
    price_currency: string;
    attributes: string;
  };
}

export type ProductRow = Selectable<CatalogTables['catalog_products']>;
export type VariantRow = Selectable<CatalogTables['catalog_variants']>;

export interface ProductListFilter {
  category?: string;
  status: ProductStatus;
  before?: string;
  limit: number;
}

export function createCatalogStore(executor: Executor) {
  const db: Kysely<CatalogTables> = asSchema<CatalogTables>(executor);
  // Every order prices its items through these two; compiled once per id count (see db/prepared.ts).
  const variantsById = prepareRows<{ id: string }>(executor, (d, ids) =>
    asSchema<CatalogTables>(d)
      .selectFrom('catalog_variants')
      .selectAll()
      .where(
        'id',
        'in',
        ids.map((i) => i.id),
      ),
  );
  const productsById = prepareRows<{ id: string }>(executor, (d, ids) =>
    asSchema<CatalogTables>(d)
      .selectFrom('catalog_products')
      .selectAll()
      .where(
        'id',
        'in',
        ids.map((i) => i.id),
      ),
  );
  return {
    insertProduct: (rows: ProductRow | ProductRow[]) => db.insertInto('catalog_products').values(rows).execute(),
    insertVariants: (rows: VariantRow[]) => db.insertInto('catalog_variants').values(rows).execute(),

    getProduct: (id: string) => db.selectFrom('catalog_products').selectAll().where('id', '=', id).executeTakeFirst(),

    variantsOf: (productIds: string[]) =>
      productIds.length === 0
        ? Promise.resolve([])
        : db
            .selectFrom('catalog_variants')
            .selectAll()
            .where('product_id', 'in', productIds)
            .orderBy('product_id')
            .orderBy('position')
            .execute(),

    variantsById: async (ids: string[]): Promise<VariantRow[]> =>
      ids.length === 0
        ? []
        : (
            await variantsById.execute<VariantRow>(
              executor,
              ids.map((id) => ({ id })),
            )
          ).rows,

    productsById: async (ids: string[]): Promise<ProductRow[]> =>
      ids.length === 0
        ? []
        : (
            await productsById.execute<ProductRow>(
              executor,
              ids.map((id) => ({ id })),
            )
          ).rows,

    takenSkus: (skus: string[]) =>
      db
        .selectFrom('catalog_variants')
        .select('sku')
        .where('sku', 'in', skus)
        .execute()
        .then((rows) => rows.map((r) => r.sku)),

    listProducts: (filter: ProductListFilter) => {
      let query = db.selectFrom('catalog_products').selectAll().where('status', '=', filter.status);
      if (filter.category !== undefined) query = query.where('category', '=', filter.category);
      if (filter.before !== undefined) query = query.where('id', '<', filter.before);
      return query.orderBy('id', 'desc').limit(filter.limit).execute();
    },

    countProducts: () =>
      db
        .selectFrom('catalog_products')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
        .then((r) => Number(r.n)),

    /** Every product, archived too, in id order from after `afterId`. */
    scanProducts: (afterId: string | null, limit: number, changedSince?: string) => {
      let query = db.selectFrom('catalog_products').selectAll();
      if (afterId !== null) query = query.where('id', '>', afterId);
      if (changedSince !== undefined) query = query.where('updated_at', '>=', changedSince);
      return query.orderBy('id').limit(limit).execute();
    },

    updateProduct: (id: string, changes: Partial<Omit<ProductRow, 'id' | 'created_at'>>) =>
      db.updateTable('catalog_products').set(changes).where('id', '=', id).execute(),

    updateVariant: (id: string, changes: Partial<Pick<VariantRow, 'title' | 'price_amount' | 'price_currency' | 'attributes'>>) =>
      db.updateTable('catalog_variants').set(changes).where('id', '=', id).execute(),
  };
}
