/** The slice of a product event the search index keeps; the index never reads catalog tables. */
export interface IndexedProduct {
  id: string;
  title: string;
  description: string;
  category: string;
  attributes: Record<string, string | number | boolean>;
  status: 'active' | 'archived';
  variants: { price: { amount: number; currency: string }; attributes: Record<string, string | number | boolean> }[];
  updatedAt: string;
}

/** One product as the index stores it: the text it matches on, what it filters on, and the JSON it returns. */
export interface SearchDocument {
  id: string;
  active: boolean;
  title: string;
  /** Lower-cased title, so an exact title match can be ranked first. */
  titleKey: string;
  description: string;
  category: string;
  /** Attribute names and values as words, for full text. */
  attributesText: string;
  /** Distinct name/value pairs of the product and its variants, for filters and facets. */
  attributes: { name: string; value: string }[];
  /** The lowest variant price: what a listing shows as "from". */
  priceMin: number;
  priceMax: number;
  currency: string;
  updatedAt: string;
  /** The product exactly as the catalog published it, served as is. */
  json: string;
}

export function titleKey(text: string): string {
  return text.trim().toLowerCase().replace(/\s+/g, ' ');
}

export function toDocument(product: IndexedProduct): SearchDocument {
  const pairs = new Map<string, { name: string; value: string }>();
  for (const attrs of [product.attributes, ...product.variants.map((v) => v.attributes)]) {
    for (const [name, value] of Object.entries(attrs)) {
      const pair = { name, value: String(value) };
      pairs.set(`${pair.name}\u0000${pair.value}`, pair);
    }
  }
  const prices = product.variants.map((v) => v.price.amount);
  const attributes = [...pairs.values()];
  return {
    id: product.id,
    active: product.status === 'active',
    title: product.title,
    titleKey: titleKey(product.title),
    description: product.description,
    category: product.category,
    attributesText: attributes.map((a) => `${a.name} ${a.value}`).join(' '),
    attributes,
    priceMin: prices.length === 0 ? 0 : Math.min(...prices),
    priceMax: prices.length === 0 ? 0 : Math.max(...prices),
    currency: product.variants[0]?.price.currency ?? 'USD',
    updatedAt: product.updatedAt,
    json: JSON.stringify(product),
  };
}
