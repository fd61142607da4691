import type { IndexedProduct } from './document.js';
import type { SearchQuery, SearchResult } from './query.js';

/** Where the search read model lives: its own SQLite file (FTS5), or PostgreSQL tables (GIN). */
export interface SearchIndex {
  /**
   * Indexes each product unless the index holds a newer version of it (events and a reindex may race);
   * an archived product leaves the results. Marks every product it is given as indexed at `indexedAt`.
   */
  upsert(products: IndexedProduct[], indexedAt: string): Promise<void>;
  search(query: SearchQuery): Promise<SearchResult>;
  /** Drops documents a reindex did not see: products the catalog no longer has. */
  removeIndexedBefore(indexedAt: string): Promise<number>;
  /** Documents indexed (archived ones included). */
  count(): Promise<number>;
  close(): Promise<void>;
}

/** The exact-title bonus: larger than any relevance score, so an exact title match ranks first. */
export const EXACT_TITLE_BONUS = 1_000_000;
