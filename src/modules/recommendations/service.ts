import { sql } from 'kysely';
import type { Database } from '../../platform/db/database.js';
import type { OutboundPolicy } from '../../platform/resilience/outbound.js';
import { createRecommendationsStore } from './store.js';

/** A product as the catalog serves it (its JSON) and whether it can still be bought. */
export interface ShownProduct {
  json: string;
  active: boolean;
}

export interface RecommendationPorts {
  /** The product each variant belongs to. */
  productsOfVariants(variantIds: string[]): Promise<Map<string, string>>;
  /** A product as served to the public (cached), or null when there is none. */
  product(id: string): Promise<ShownProduct | null>;
}

export type Recommendations = { ok: true; itemsJson: string[] } | { ok: false; reason: string };

export interface RecommendationService {
  /** Never throws: a slow, failing or switched-off recommender is `ok: false`. */
  boughtTogether(productId: string, limit: number): Promise<Recommendations>;
}

export function createRecommendationService(
  database: Database,
  policy: OutboundPolicy,
  ports: RecommendationPorts,
  timeoutMs: number,
): RecommendationService {
  const store = createRecommendationsStore(database.db);

  async function top(productId: string, limit: number): Promise<{ other_id: string }[]> {
    // Asked for more than shown: some may be archived since.
    if (database.dialect !== 'postgres') return store.top(productId, limit * 2);
    // A query stuck behind a lock gives its connection back soon after the caller has given up on it. Read
    // from the replica when the edge allows it: counts a moment behind are as good.
    return database.read((executor) =>
      executor.transaction().execute(async (tx) => {
        await sql.raw(`set local statement_timeout = ${Math.max(1, timeoutMs * 2)}`).execute(tx);
        return createRecommendationsStore(tx).top(productId, limit * 2);
      }),
    );
  }

  return {
    async boughtTogether(productId, limit) {
      try {
        const itemsJson = await policy.execute(async () => {
          const others = await top(productId, limit);
          const shown = await Promise.all(others.map((o) => ports.product(o.other_id)));
          return shown
            .filter((p): p is ShownProduct => p?.active === true)
            .slice(0, limit)
            .map((p) => p.json);
        });
        return { ok: true, itemsJson };
      } catch (error) {
        return { ok: false, reason: error instanceof Error ? error.name : 'failed' };
      }
    },
  };
}
