import { newId } from '../../platform/db/ids.js';
import { representationOf } from '../../platform/http/caching.js';
import type { NewEvent } from '../../platform/messaging/envelope.js';
import { catalogErrors } from './errors.js';
import { productArchived, productUpdated } from './messages.js';
import type { Money } from '../../platform/http/schemas.js';
import type { ProductStatus } from './store.js';
import type { ProductRow, VariantRow } from './store.js';

// Products as rows and as the API shows them, and the small rules around them.

export type Attributes = Record<string, string | number | boolean>;

export interface Variant {
  id: string;
  sku: string;
  title: string;
  price: Money;
  attributes: Attributes;
}

export interface Product {
  id: string;
  title: string;
  description: string;
  category: string;
  attributes: Attributes;
  status: ProductStatus;
  variants: Variant[];
  createdAt: string;
  updatedAt: string;
}

export interface NewProduct {
  title: string;
  description?: string;
  category: string;
  attributes?: Attributes;
  variants: { sku: string; title?: string; price: Money; attributes?: Attributes; stock?: number }[];
}

const parseAttributes = (json: string): Attributes => JSON.parse(json) as Attributes;

function toVariant(row: VariantRow): Variant {
  return {
    id: row.id,
    sku: row.sku,
    title: row.title,
    price: { amount: row.price_amount, currency: row.price_currency },
    attributes: parseAttributes(row.attributes),
  };
}

export function toProduct(row: ProductRow, variants: VariantRow[]): Product {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    category: row.category,
    attributes: parseAttributes(row.attributes),
    status: row.status,
    variants: variants.map(toVariant),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The ETag a GET of this product carries: the same bytes, the same hash. */
export function productEtag(product: Product): string {
  return representationOf(product).etag;
}

export function skuTaken(skus: string[]) {
  return catalogErrors.error('sku_taken', `SKU already in use: ${skus.join(', ')}`, {
    errors: skus.map((sku) => ({ field: 'variants.sku', message: `${sku} is already in use` })),
  });
}

export function duplicates(values: string[]): string[] {
  return [...new Set(values.filter((v, i) => values.indexOf(v) !== i))];
}

export function rowsOf(input: NewProduct, now: string): { product: ProductRow; variants: VariantRow[] } {
  const product: ProductRow = {
    id: newId('prd'),
    title: input.title,
    description: input.description ?? '',
    category: input.category,
    attributes: JSON.stringify(input.attributes ?? {}),
    status: 'active',
    created_at: now,
    updated_at: now,
  };
  const variants: VariantRow[] = input.variants.map((v, position) => ({
    id: newId('var'),
    product_id: product.id,
    position,
    sku: v.sku,
    title: v.title ?? 'Default',
    price_amount: v.price.amount,
    price_currency: v.price.currency,
    attributes: JSON.stringify(v.attributes ?? {}),
  }));
  return { product, variants };
}

export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function changeEvent(before: Product, after: Product): NewEvent {
  if (before.status === 'active' && after.status === 'archived') {
    return productArchived.event(after.id, { product: after });
  }
  return productUpdated.event(after.id, { product: after });
}
