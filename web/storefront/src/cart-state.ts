import { ApiError, api, session } from './api.js';
import { createStore } from '../../shared/store.js';
import type { Cart, CartLine } from './types.js';

/**
 * The shopper's cart. Signed out it lives in this browser; on signing in its lines move to the account's
 * cart (the API keeps one per user). Writes to the account's cart carry the version last seen (If-Match),
 * so a change made elsewhere is never overwritten: the cart is fetched again and the shopper told.
 */
export const cart = createStore<Cart>(loadGuestCart());
export const CART_CHANGED = 'Your cart changed elsewhere (another tab or device). We refreshed it; please check it and try again.';

function loadGuestCart(): Cart {
  try {
    const lines = JSON.parse(localStorage.getItem('orderly.cart') ?? '[]') as CartLine[];
    return withSubtotal(lines, 0);
  } catch {
    return withSubtotal([], 0);
  }
}

function withSubtotal(items: CartLine[], version: number): Cart {
  const currency = items[0]?.unitPrice.currency ?? 'USD';
  return { items, version, subtotal: { amount: items.reduce((sum, l) => sum + l.quantity * l.unitPrice.amount, 0), currency } };
}

function saveGuest(items: CartLine[]): void {
  localStorage.setItem('orderly.cart', JSON.stringify(items));
  cart.set(withSubtotal(items, cart.get().version + 1));
}

export const itemCount = (c: Cart) => c.items.reduce((sum, line) => sum + line.quantity, 0);

export async function refreshCart(): Promise<void> {
  if (!session.get()) return cart.set(loadGuestCart());
  cart.set((await api<Cart>('GET', '/v1/cart')).data);
}

export async function addToCart(line: CartLine): Promise<void> {
  if (!session.get()) {
    const items = cart.get().items.map((l) => ({ ...l }));
    const existing = items.find((l) => l.variantId === line.variantId);
    if (existing) existing.quantity = Math.min(100, existing.quantity + line.quantity);
    else items.push(line);
    return saveGuest(items);
  }
  cart.set((await api<Cart>('POST', '/v1/cart/items', { body: { variantId: line.variantId, quantity: line.quantity } })).data);
}

export async function setQuantity(variantId: string, quantity: number): Promise<void> {
  if (!session.get()) {
    return saveGuest(cart.get().items.flatMap((l) => (l.variantId !== variantId ? [l] : quantity > 0 ? [{ ...l, quantity }] : [])));
  }
  const ifMatch = { 'if-match': `"${cart.get().version}"` };
  try {
    const path = `/v1/cart/items/${encodeURIComponent(variantId)}`;
    const answer =
      quantity > 0
        ? await api<Cart>('PUT', path, { body: { quantity }, headers: ifMatch })
        : await api<Cart>('DELETE', path, { headers: ifMatch });
    cart.set(answer.data);
  } catch (error) {
    if (error instanceof ApiError && error.status === 412) {
      await refreshCart();
      throw new ApiError(412, error.code, CART_CHANGED);
    }
    throw error;
  }
}

/** After signing in: the lines gathered while signed out join the account's cart. */
export async function mergeGuestCart(): Promise<void> {
  const guest = loadGuestCart().items;
  for (const line of guest) await api('POST', '/v1/cart/items', { body: { variantId: line.variantId, quantity: line.quantity } });
  localStorage.removeItem('orderly.cart');
  await refreshCart();
}

export function forgetCart(): void {
  localStorage.removeItem('orderly.cart');
  cart.set(withSubtotal([], 0));
}
