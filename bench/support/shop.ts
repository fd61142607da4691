import { randomUUID } from 'node:crypto';
import type { PacedRequest } from './paced.js';

// The shop both checkout benchmarks sell from: 20 products with stock to spare, 40 customers.
const CUSTOMERS = 40;
const PRODUCTS = 20;
export const benchAdmin = { email: 'bench@orderly.test', password: 'bench-password-1' };

/** What every benchmark's Orderly runs with: on loopback, the bench's admin, and no rate limits to measure instead. */
export function benchEnv(dataDir: string, port: number): Record<string, string> {
  return {
    PORT: String(port),
    HOST: '127.0.0.1',
    ORDERLY_DATA_DIR: dataDir,
    ORDERLY_ADMIN_EMAIL: benchAdmin.email,
    ORDERLY_ADMIN_PASSWORD: benchAdmin.password,
    ORDERLY_RATE_LIMITS: 'off',
  };
}

export async function json(url: string, init: RequestInit = {}): Promise<any> {
  const res = await fetch(url, { ...init, headers: { 'content-type': 'application/json', ...(init.headers ?? {}) } });
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

export interface Shop {
  variants: string[];
  tokens: string[];
}

/**
 * Creates the products (as the admin the server was started with) and signs the customers up. `tag` keeps
 * SKUs and emails apart when a database is shopped in again (bench:read reuses its catalog).
 */
export async function openShop(base: string, tag = ''): Promise<Shop> {
  const { token: adminToken } = await json(`${base}/v1/auth/login`, { method: 'POST', body: JSON.stringify(benchAdmin) });
  const variants: string[] = [];
  for (let i = 0; i < PRODUCTS; i += 1) {
    const product = await json(`${base}/v1/products`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({
        title: `Bench item ${i}`,
        category: 'bench',
        variants: [{ sku: `BENCH-${tag}${i}`, price: { amount: 1000 + i, currency: 'USD' }, stock: 1_000_000 }],
      }),
    });
    variants.push(product.variants[0].id);
  }
  const tokens: string[] = await Promise.all(
    Array.from(
      { length: CUSTOMERS },
      async (_, i) =>
        (
          await json(`${base}/v1/auth/signup`, {
            method: 'POST',
            body: JSON.stringify({ email: `buyer-${tag}${i}@bench.test`, password: 'bench-buyer-1', name: `Buyer ${i}` }),
          })
        ).token,
    ),
  );
  return { variants, tokens };
}

/** Makes the next order: one unit of the next product, from the next customer, with a fresh idempotency key. */
export function orders(shop: Shop): () => PacedRequest {
  let n = 0;
  return () => {
    n += 1;
    return {
      method: 'POST',
      path: '/v1/orders',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${shop.tokens[n % shop.tokens.length]}`,
        'idempotency-key': randomUUID(),
      },
      body: JSON.stringify({
        items: [{ variantId: shop.variants[n % shop.variants.length], quantity: 1 }],
        shippingAddress: { name: 'Bench Buyer', line1: '1 Load St', city: 'Benchville', postalCode: '12345', country: 'US' },
        paymentToken: 'tok_visa',
      }),
    };
  };
}
