import { sql, type Kysely } from 'kysely';
import { asSchema, type Executor } from '../../platform/db/database.js';

interface RecommendationTables {
  recommendation_pairs: { product_id: string; other_id: string; orders: number };
}

export function createRecommendationsStore(executor: Executor) {
  const db: Kysely<RecommendationTables> = asSchema<RecommendationTables>(executor);
  return {
    /** Counts one more order for each ordered pair, in a fixed order so concurrent orders cannot deadlock. */
    async countTogether(productIds: string[]): Promise<void> {
      const distinct = [...new Set(productIds)].sort();
      const rows = distinct.flatMap((a) => distinct.filter((b) => b !== a).map((b) => ({ product_id: a, other_id: b, orders: 1 })));
      if (rows.length === 0) return;
      await db
        .insertInto('recommendation_pairs')
        .values(rows)
        .onConflict((oc) => oc.columns(['product_id', 'other_id']).doUpdateSet({ orders: sql`recommendation_pairs.orders + 1` }))
        .execute();
    },

    top: (productId: string, limit: number) =>
      db
        .selectFrom('recommendation_pairs')
        .select(['other_id', 'orders'])
        .where('product_id', '=', productId)
        .orderBy('orders', 'desc')
        .orderBy('other_id')
        .limit(limit)
        .execute(),
  };
}
