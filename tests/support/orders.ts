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
  return app.http.post(
    '/v1/orders',
    { shippingAddress: ADDRESS, paymentToken: 'tok_visa', ...body },
    { token, headers: { 'idempotency-key': key } },
  );
}

/** Polls the order until `done` accepts it (the saga is asynchronous); fails with the last state seen. */
async function pollOrder(
  app: TestApp,
  token: string,
  orderId: string,
  done: (order: any) => boolean,
  waitingFor: string,
  timeoutMs: number,
): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < deadline) {
    const res = await app.http.get(`/v1/orders/${orderId}`, { token });
    expect(res.status).toBe(200);
    last = res.body;
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(
    `order ${orderId} still ${last?.status} after ${timeoutMs} ms, waiting for ${waitingFor}: ${JSON.stringify(last?.timeline)}`,
  );
}

/** Polls the order until its status is one of `statuses`. */
export function waitForOrder(app: TestApp, token: string, orderId: string, statuses: string[], timeoutMs = 20_000): Promise<any> {
  return pollOrder(app, token, orderId, (o) => statuses.includes(o.status), statuses.join('|'), timeoutMs);
}

/** Polls until the order's shipment exists. */
export function waitForShipment(app: TestApp, token: string, orderId: string): Promise<any> {
  return pollOrder(app, token, orderId, (o) => o.shipment !== null, 'a shipment', 20_000);
}

export async function stockOf(app: TestApp, sku: string) {
  const res = await app.http.get(`/v1/inventory/${sku}`, { token: app.adminToken });
  expect(res.status).toBe(200);
  return res.body as { sku: string; available: number; reserved: number; sold: number };
}
