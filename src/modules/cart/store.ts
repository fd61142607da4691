import { sql, type Kysely } from 'kysely';
import { asSchema, type Executor } from '../../platform/db/database.js';

interface CartTables {
  cart_carts: { user_id: string; version: number; updated_at: string };
  cart_lines: { user_id: string; variant_id: string; quantity: number; added_at: string };
}

export function createCartStore(executor: Executor) {
  const db: Kysely<CartTables> = asSchema<CartTables>(executor);
  return {
    version: (userId: string) =>
      db
        .selectFrom('cart_carts')
        .select('version')
        .where('user_id', '=', userId)
        .executeTakeFirst()
        .then((r) => r?.version ?? 0),

    lines: (userId: string) =>
      db
        .selectFrom('cart_lines')
        .select(['variant_id', 'quantity'])
        .where('user_id', '=', userId)
        .orderBy('added_at')
        .orderBy('variant_id')
        .execute(),

    /**
     * Bumps the cart's version, creating the cart at version 1. With `expected`, only if the version is
     * still that one; returns the new version, or null when it was not.
     */
    async bumpVersion(userId: string, now: string, expected?: number): Promise<number | null> {
      if (expected === undefined || expected === 0) {
        const row = await db
          .insertInto('cart_carts')
          .values({ user_id: userId, version: 1, updated_at: now })
          .onConflict((oc) => {
            const update = oc.column('user_id').doUpdateSet({ version: sql`cart_carts.version + 1`, updated_at: now });
            return expected === 0 ? update.where(sql.lit(false)) : update;
          })
          .returning('version')
          .executeTakeFirst();
        return row?.version ?? null;
      }
      const row = await db
        .updateTable('cart_carts')
        .set({ version: sql`version + 1`, updated_at: now })
        .where('user_id', '=', userId)
        .where('version', '=', expected)
        .returning('version')
        .executeTakeFirst();
      return row?.version ?? null;
    },

    /** Adds to a line (creating it); returns the line's new quantity. */
    addToLine: (userId: string, variantId: string, quantity: number, now: string) =>
      db
        .insertInto('cart_lines')
        .values({ user_id: userId, variant_id: variantId, quantity, added_at: now })
        .onConflict((oc) => oc.columns(['user_id', 'variant_id']).doUpdateSet({ quantity: sql`cart_lines.quantity + ${quantity}` }))
        .returning('quantity')
        .executeTakeFirstOrThrow()
        .then((r) => r.quantity),

    setLine: (userId: string, variantId: string, quantity: number, now: string) =>
      db
        .insertInto('cart_lines')
        .values({ user_id: userId, variant_id: variantId, quantity, added_at: now })
        .onConflict((oc) => oc.columns(['user_id', 'variant_id']).doUpdateSet({ quantity }))
        .execute(),

    removeLine: (userId: string, variantId: string) =>
      db
        .deleteFrom('cart_lines')
        .where('user_id', '=', userId)
        .where('variant_id', '=', variantId)
        .executeTakeFirst()
        .then((r) => Number(r.numDeletedRows)),

    clear: async (userId: string) => {
      await db.deleteFrom('cart_lines').where('user_id', '=', userId).execute();
    },
  };
}
