import type { Database, Executor } from '../../platform/db/database.js';
import { nowIso } from '../../platform/db/ids.js';
import { platformErrors } from '../../platform/http/errors.js';
import { answerWithin } from '../../platform/idempotency/effects.js';
import type { Money } from '../../platform/http/schemas.js';
import { cartErrors } from './errors.js';
import { createCartStore } from './store.js';

export const MAX_LINE_QUANTITY = 100;

export interface CartItem {
  variantId: string;
  sku: string;
  title: string;
  quantity: number;
  unitPrice: Money;
  /** False once the product is archived: the line stays, but it cannot be ordered. */
  purchasable: boolean;
}

export interface Cart {
  items: CartItem[];
  subtotal: Money;
  version: number;
}

/** A variant as the cart shows it: today's price, and whether it can still be bought. */
export interface PricedVariant {
  variantId: string;
  sku: string;
  title: string;
  unitPrice: Money;
  purchasable: boolean;
}

/** What cart needs from the catalog (wired in app.ts): the variants that exist of those asked for, at today's prices. */
export interface CartPorts {
  variantsForSale(ids: string[]): Promise<Map<string, PricedVariant>>;
}

/**
 * One cart per user. Prices are read from the catalog at every read, never stored, so a cart always
 * shows today's price. Every write bumps the version; pass `ifVersion` to write only if nobody else did.
 */
export interface CartService {
  get(userId: string): Promise<Cart>;
  addItem(userId: string, variantId: string, quantity: number, ifVersion?: number): Promise<Cart>;
  /** 0 removes the line. */
  setQuantity(userId: string, variantId: string, quantity: number, ifVersion?: number): Promise<Cart>;
  removeItem(userId: string, variantId: string, ifVersion?: number): Promise<Cart>;
  clear(userId: string, ifVersion?: number): Promise<void>;
  /** Empties the cart inside someone else's transaction (an order being placed), only if still at `version`. */
  clearWithin(tx: Executor, userId: string, version: number): Promise<void>;
}

export function createCartService(database: Database, catalog: CartPorts, options: { currency: string }): CartService {
  const db = database.db;
  const store = createCartStore(db);

  async function read(userId: string, executor: Executor = db): Promise<Cart> {
    const s = executor === db ? store : createCartStore(executor);
    const [version, lines] = await Promise.all([s.version(userId), s.lines(userId)]);
    const variants = await catalog.variantsForSale(lines.map((l) => l.variant_id));
    const items: CartItem[] = [];
    for (const line of lines) {
      const v = variants.get(line.variant_id);
      if (!v) continue;
      items.push({
        variantId: v.variantId,
        sku: v.sku,
        title: v.title,
        quantity: line.quantity,
        unitPrice: v.unitPrice,
        purchasable: v.purchasable,
      });
    }
    const currency = items[0]?.unitPrice.currency ?? options.currency;
    const amount = items.reduce((sum, item) => sum + item.unitPrice.amount * item.quantity, 0);
    return { items, subtotal: { amount, currency }, version };
  }

  async function sellable(userId: string, variantId: string): Promise<PricedVariant> {
    const variant = (await catalog.variantsForSale([variantId])).get(variantId);
    if (!variant) throw platformErrors.error('not_found', `No variant ${variantId}`);
    if (!variant.purchasable) throw cartErrors.error('product_unavailable', `${variant.sku} is no longer sold`);
    const current = await read(userId);
    const other = current.items.find((i) => i.variantId !== variantId && i.unitPrice.currency !== variant.unitPrice.currency);
    if (other) {
      throw cartErrors.error(
        'currency_mismatch',
        `${variant.sku} is priced in ${variant.unitPrice.currency}; the cart holds ${other.unitPrice.currency}`,
      );
    }
    return variant;
  }

  /** Applies one change with its version bump inside `tx`; a version mismatch throws (and so rolls it back). */
  async function writeIn(
    tx: Executor,
    userId: string,
    ifVersion: number | undefined,
    change: (s: ReturnType<typeof createCartStore>, now: string) => Promise<void>,
  ) {
    const s = createCartStore(tx);
    const now = nowIso();
    if ((await s.bumpVersion(userId, now, ifVersion)) === null) {
      throw cartErrors.error('cart_version_mismatch', `The cart is no longer at version ${ifVersion}; read it again`);
    }
    await change(s, now);
  }

  /**
   * Runs one change with its version bump in a transaction, and resolves to the cart it left, which is the
   * request's answer (recorded with the change); a version mismatch rolls it back.
   */
  async function write(
    userId: string,
    ifVersion: number | undefined,
    change: (s: ReturnType<typeof createCartStore>, now: string) => Promise<void>,
  ): Promise<Cart> {
    return db.transaction().execute(async (tx) => {
      await writeIn(tx, userId, ifVersion, change);
      const cart = await read(userId, tx);
      await answerWithin(tx, cart);
      return cart;
    });
  }

  return {
    get: read,

    async addItem(userId, variantId, quantity, ifVersion) {
      await sellable(userId, variantId);
      return write(userId, ifVersion, async (s, now) => {
        const total = await s.addToLine(userId, variantId, quantity, now).catch((error: unknown) => {
          // The CHECK on the line refuses a total over the limit on either database.
          if (/check|constraint/i.test(String((error as Error).message))) return MAX_LINE_QUANTITY + 1;
          throw error;
        });
        if (total > MAX_LINE_QUANTITY) throw cartErrors.error('cart_quantity_limit', `A line holds at most ${MAX_LINE_QUANTITY} units`);
      });
    },

    async setQuantity(userId, variantId, quantity, ifVersion) {
      if (quantity === 0) return this.removeItem(userId, variantId, ifVersion);
      await sellable(userId, variantId);
      return write(userId, ifVersion, async (s, now) => {
        await s.setLine(userId, variantId, quantity, now);
      });
    },

    async removeItem(userId, variantId, ifVersion) {
      return write(userId, ifVersion, async (s) => {
        await s.removeLine(userId, variantId);
      });
    },

    async clear(userId, ifVersion) {
      await db.transaction().execute((tx) => writeIn(tx, userId, ifVersion, (s) => s.clear(userId)));
    },

    clearWithin: (tx, userId, version) => writeIn(tx, userId, version, (s) => s.clear(userId)),
  };
}
