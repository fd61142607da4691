import { recordAudit, type AuditActor } from '../../platform/audit/audit-log.js';
import type { Database, Executor } from '../../platform/db/database.js';
import { isUniqueViolation } from '../../platform/db/errors.js';
import { nowIso } from '../../platform/db/ids.js';
import { platformErrors } from '../../platform/http/errors.js';
import type { Money } from '../../platform/http/schemas.js';
import { answerWithin } from '../../platform/idempotency/effects.js';
import type { MessageBus } from '../../platform/messaging/bus.js';
import { catalogErrors } from './errors.js';
import {
  changeEvent,
  chunks,
  duplicates,
  productEtag,
  rowsOf,
  skuTaken,
  toProduct,
  type Attributes,
  type NewProduct,
  type Product,
} from './products.js';

export type { Attributes, NewProduct, Product, Variant } from './products.js';
import { productCreated } from './messages.js';
import { productChangeAudit } from './audit.js';
import { createCatalogStore, type ProductRow, type ProductStatus, type VariantRow } from './store.js';

export interface ProductPatch {
  title?: string;
  description?: string;
  category?: string;
  attributes?: Attributes;
  status?: ProductStatus;
  variants?: { id: string; title?: string; price?: Money; attributes?: Attributes }[];
}

/** What another module needs to sell a variant: its price now, and whether it can be bought. */
export interface VariantForSale {
  variantId: string;
  productId: string;
  sku: string;
  title: string;
  unitPrice: Money;
  purchasable: boolean;
}

/** What catalog needs from inventory (wired in app.ts): initial stock booked in the same transaction as the product. */
export interface CatalogPorts {
  receive(tx: Executor, lines: { sku: string; quantity: number }[], reason: string): Promise<void>;
}

export interface ProductPage {
  items: Product[];
  /** Id of the last product on the page when another page follows. */
  lastId: string | null;
}

/** Products and their variants; every change commits together with its product.* event. */
export interface CatalogService {
  /** sku_taken when any SKU exists already or repeats within the request. Recorded in the audit log as `actor`'s. */
  create(input: NewProduct, actor: AuditActor): Promise<Product>;
  get(id: string): Promise<Product | null>;
  /**
   * Bulk import for seeding: products, variants and initial stock in one transaction. It publishes no
   * product.* events (a million of them would only be replayed by read models): the caller indexes them.
   */
  importBatch(input: NewProduct[]): Promise<Product[]>;
  /** Newest first, keyset-paginated on the id. */
  list(filter: { category?: string; status: ProductStatus; before?: string; limit: number }): Promise<ProductPage>;
  /**
   * not_found for an unknown product; precondition_failed when `ifMatch` is not the current ETag. What
   * changed is recorded in the audit log as `actor`'s (see audit.ts).
   */
  update(id: string, patch: ProductPatch, actor: AuditActor, ifMatch?: string): Promise<Product>;
  /** Products in the catalog, archived ones too. */
  count(): Promise<number>;
  /** Every product (changed since `changedSince`, when given), archived ones too, in id order: what a read model rebuilds from. */
  scan(afterId: string | null, limit: number, changedSince?: string): Promise<Product[]>;
  /** The given variants that exist, keyed by id. */
  variantsForSale(ids: string[]): Promise<Map<string, VariantForSale>>;
}

export function createCatalogService(
  database: Database,
  bus: MessageBus,
  stock: CatalogPorts,
  hooks: { onProductChanged: (id: string) => Promise<void> },
): CatalogService {
  const db = database.db;
  const store = createCatalogStore(db);

  async function load(executor: Executor, id: string): Promise<Product | null> {
    const s = createCatalogStore(executor);
    const row = await s.getProduct(id);
    return row ? toProduct(row, await s.variantsOf([id])) : null;
  }

  async function withVariants(rows: ProductRow[], from = store): Promise<Product[]> {
    const byProduct = new Map<string, VariantRow[]>();
    for (const v of await from.variantsOf(rows.map((p) => p.id))) {
      const list = byProduct.get(v.product_id);
      if (list) list.push(v);
      else byProduct.set(v.product_id, [v]);
    }
    return rows.map((row) => toProduct(row, byProduct.get(row.id) ?? []));
  }

  return {
    async create(input, actor) {
      const skus = input.variants.map((v) => v.sku);
      const repeated = duplicates(skus);
      if (repeated.length > 0) throw skuTaken(repeated);
      const { product: productRow, variants: variantRows } = rowsOf(input, nowIso());
      const product = toProduct(productRow, variantRows);
      try {
        await bus.transaction(async (tx, publish) => {
          const s = createCatalogStore(tx);
          const taken = await s.takenSkus(skus);
          if (taken.length > 0) throw skuTaken(taken);
          await s.insertProduct(productRow);
          await s.insertVariants(variantRows);
          await stock.receive(
            tx,
            input.variants.map((v) => ({ sku: v.sku, quantity: v.stock ?? 0 })),
            `initial stock of ${productRow.id}`,
          );
          await publish([productCreated.event(product.id, { product })]);
          await recordAudit(tx, { actor, action: 'product.created', subject: product.id, after: product });
          await answerWithin(tx, product);
        });
      } catch (error) {
        // Two creates racing for one SKU: the unique index decides, and the loser hears why.
        if (isUniqueViolation(error)) throw skuTaken(await store.takenSkus(skus));
        throw error;
      }
      return product;
    },

    get: (id) => load(db, id),

    async importBatch(input) {
      const now = nowIso();
      const rows = input.map((p) => rowsOf(p, now));
      await db.transaction().execute(async (tx) => {
        const s = createCatalogStore(tx);
        // Chunks keep every statement under SQLite's limit of bound parameters.
        for (const chunk of chunks(rows, 200)) {
          await s.insertProduct(chunk.map((r) => r.product));
          await s.insertVariants(chunk.flatMap((r) => r.variants));
        }
        const lines = input.flatMap((p) => p.variants.map((v) => ({ sku: v.sku, quantity: v.stock ?? 0 })));
        for (const chunk of chunks(lines, 1000)) await stock.receive(tx, chunk, 'seeded');
      });
      return rows.map((r) => toProduct(r.product, r.variants));
    },

    async list(filter) {
      // A listing may be a moment behind: the replica's, when the edge allows it.
      return database.read(async (executor) => {
        const reading = createCatalogStore(executor);
        const rows = await reading.listProducts({ ...filter, limit: filter.limit + 1 });
        const page = rows.slice(0, filter.limit);
        return {
          items: await withVariants(page, reading),
          lastId: rows.length > filter.limit ? (page[page.length - 1]?.id ?? null) : null,
        };
      });
    },

    count: () => store.countProducts(),

    scan: async (afterId, limit, changedSince) => withVariants(await store.scanProducts(afterId, limit, changedSince)),

    async update(id, patch, actor, ifMatch) {
      const updated = await bus.transaction(async (tx, publish) => {
        const s = createCatalogStore(tx);
        const current = await load(tx, id);
        if (current === null) throw platformErrors.error('not_found', `No product ${id}`);
        if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== productEtag(current)) {
          throw catalogErrors.error('precondition_failed', 'If-Match does not match the current ETag; read the product again');
        }
        const known = new Set(current.variants.map((v) => v.id));
        const unknown = (patch.variants ?? []).filter((v) => !known.has(v.id));
        if (unknown.length > 0) {
          throw platformErrors.error('validation_failed', 'variants must belong to this product', {
            errors: unknown.map((v) => ({ field: 'variants.id', message: `${v.id} is not a variant of ${id}` })),
          });
        }
        const now = nowIso();
        const { variants: variantPatches, attributes, title, description, category, status } = patch;
        // Named one by one: whatever else a patch object carries never becomes a column.
        const fields = { title, description, category, status };
        await s.updateProduct(id, {
          ...Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)),
          ...(attributes === undefined ? {} : { attributes: JSON.stringify(attributes) }),
          updated_at: now,
        });
        for (const v of variantPatches ?? []) {
          await s.updateVariant(v.id, {
            ...(v.title === undefined ? {} : { title: v.title }),
            ...(v.price === undefined ? {} : { price_amount: v.price.amount, price_currency: v.price.currency }),
            ...(v.attributes === undefined ? {} : { attributes: JSON.stringify(v.attributes) }),
          });
        }
        const updated = (await load(tx, id))!;
        await publish([changeEvent(current, updated)]);
        for (const entry of productChangeAudit(actor, current, updated)) await recordAudit(tx, entry);
        return updated;
      });
      await hooks.onProductChanged(id);
      return updated;
    },

    async variantsForSale(ids) {
      const variants = await store.variantsById([...new Set(ids)]);
      const products = new Map((await store.productsById([...new Set(variants.map((v) => v.product_id))])).map((p) => [p.id, p]));
      const result = new Map<string, VariantForSale>();
      for (const v of variants) {
        const product = products.get(v.product_id);
        if (!product) continue;
        result.set(v.id, {
          variantId: v.id,
          productId: v.product_id,
          sku: v.sku,
          title: v.title === 'Default' ? product.title : `${product.title} — ${v.title}`,
          unitPrice: { amount: v.price_amount, currency: v.price_currency },
          purchasable: product.status === 'active',
        });
      }
      return result;
    },
  };
}
