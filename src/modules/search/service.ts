import { nowIso } from '../../platform/db/ids.js';
import { titleKey, type IndexedProduct } from './document.js';
import { decodeSearchCursor, encodeSearchCursor, termsOf, type Facets, type SearchCursor } from './query.js';
import type { SearchIndex } from './search-index.js';

export interface SearchInput {
  q?: string;
  category?: string;
  minPrice?: number;
  maxPrice?: number;
  /** `name:value` pairs; every one must hold. */
  attributes: { name: string; value: string }[];
  limit: number;
  cursor?: string;
}

/** A page of results with the products' JSON as indexed, ready to be sent without parsing. */
export interface SearchPage {
  itemsJson: string[];
  facets: Facets;
  exhaustive: boolean;
  nextCursor: string | null;
}

/** Reads the catalog in id order for a reindex: the one time search looks at products it was not sent. */
export type CatalogScan = (afterId: string | null, limit: number) => Promise<IndexedProduct[]>;

export interface SearchService {
  /** Undefined when the cursor is not one this search made. */
  search(input: SearchInput): Promise<SearchPage | undefined>;
  /** Applies one product event. */
  apply(product: IndexedProduct): Promise<void>;
  /** Indexes products a bulk import created without events. */
  index(products: IndexedProduct[]): Promise<void>;
  /** Re-reads every product from the catalog; documents it no longer has are dropped. */
  reindex(scan: CatalogScan, onProgress: (indexed: number) => void, batchSize?: number): Promise<{ indexed: number; removed: number }>;
  /** Indexes what the scan gives (products changed since the index's copy was taken), removing nothing. */
  catchUp(scan: CatalogScan): Promise<number>;
  count(): Promise<number>;
}

export function createSearchService(index: SearchIndex): SearchService {
  async function upsertAll(scan: CatalogScan, onProgress: (indexed: number) => void, batchSize: number): Promise<number> {
    let after: string | null = null;
    let indexed = 0;
    for (;;) {
      const batch = await scan(after, batchSize);
      if (batch.length === 0) break;
      await index.upsert(batch, nowIso());
      indexed += batch.length;
      after = batch[batch.length - 1]!.id;
      onProgress(indexed);
    }
    return indexed;
  }

  return {
    async search(input) {
      let after: SearchCursor | undefined;
      if (input.cursor !== undefined) {
        after = decodeSearchCursor(input.cursor);
        if (after === undefined) return undefined;
      }
      const terms = termsOf(input.q);
      // A relevance cursor only continues a relevance search, and a browse cursor a browse.
      if (after !== undefined && 'score' in after !== terms.length > 0) return undefined;
      const result = await index.search({
        terms,
        phrase: titleKey(input.q ?? ''),
        attributes: input.attributes,
        limit: input.limit,
        ...(input.category === undefined ? {} : { category: input.category }),
        ...(input.minPrice === undefined ? {} : { minPrice: input.minPrice }),
        ...(input.maxPrice === undefined ? {} : { maxPrice: input.maxPrice }),
        ...(after === undefined ? {} : { after }),
      });
      const last = result.hits[result.hits.length - 1];
      const nextCursor =
        !result.more || last === undefined
          ? null
          : encodeSearchCursor(last.score === null ? { id: last.id } : { score: last.score, id: last.id });
      return { itemsJson: result.hits.map((h) => h.json), facets: result.facets, exhaustive: result.exhaustive, nextCursor };
    },

    apply: (product) => index.upsert([product], nowIso()),
    index: (products) => index.upsert(products, nowIso()),

    async reindex(scan, onProgress, batchSize = 1000) {
      const startedAt = nowIso();
      const indexed = await upsertAll(scan, onProgress, batchSize);
      // Anything not touched since the reindex began is gone from the catalog.
      const removed = await index.removeIndexedBefore(startedAt);
      return { indexed, removed };
    },

    catchUp: (scan) => upsertAll(scan, () => {}, 1000),

    count: () => index.count(),
  };
}
