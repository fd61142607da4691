import { expect } from 'vitest';
import type { TestApp } from './app.js';

export const ADDRESS = { name: 'Ada Lovelace', line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' };

let keys = 0;
export function idempotencyKey(): string {
  keys += 1;
  return `test-${process.pid}-${Date.now()}-${keys}`;
}

/** POSTs an order with a fresh Idempotency-Key. */
export function placeOrder(app: TestApp, token: string, body: Record<string, unknown>, key = idempotencyKey()) {
  return app.http.post('/v1/orders', { shippingAddress: ADDRESS, paymentToken: 'tok_visa', ...body }, { token, headers: { 'idempotency-key': key } });
}

/** Polls the order until its status is one of `statuses` (the saga is asynchronous). */
export async function waitForOrder(app: TestApp, token: string, orderId: string, statuses: string[], timeoutMs = 20_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < deadline) {
    const res = await app.http.get(`/v1/orders/${orderId}`, { token });
    expect(res.status).toBe(200);
    last = res.body;
    if (statuses.includes(last.status)) return last;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`order ${orderId} still ${last?.status} after ${timeoutMs} ms, not ${statuses.join('|')}: ${JSON.stringify(last?.timeline)}`);
}

/** Polls until the order's shipment exists. */
export async function waitForShipment(app: TestApp, token: string, orderId: string): Promise<any> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const res = await app.http.get(`/v1/orders/${orderId}`, { token });
    if (res.body.shipment) return res.body;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`order ${orderId} got no shipment`);
}

export async function stockOf(app: TestApp, sku: string) {
  const res = await app.http.get(`/v1/inventory/${sku}`, { token: app.adminToken });
  expect(res.status).toBe(200);
  return res.body as { sku: string; available: number; reserved: number; sold: number };
}
