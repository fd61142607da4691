import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messagingKinds } from '../support/databases.js';
import { startApp, uniqueSku, type TestApp } from '../support/app.js';
import { idempotencyKey, placeOrder, stockOf, waitForOrder } from '../support/orders.js';
import { startPaymentSim, type PaymentSimProcess } from '../support/payment-sim.js';
import { verifyInvariants } from '../../src/verify.js';

// What docs/checkout.md promises of checkout's pace, through the public API: a bounded backlog, and the
// message path kept for when inventory's steps cannot run in the saga's own transaction.

describe.each(messagingKinds)('checkout admission control on %s', (kind) => {
  let app: TestApp;
  let sim: PaymentSimProcess;
  beforeAll(async () => {
    sim = await startPaymentSim();
    app = await startApp(kind, {
      ORDERLY_CHECKOUT_MAX_BACKLOG: '3',
      PAYMENT_PROVIDER_URL: sim.url,
      ORDERLY_PAYMENT_BREAKER_HALF_OPEN_MS: '1000',
      ORDERLY_PAYMENT_PARK_MAX_MS: '500',
    });
  });
  afterAll(async () => {
    expect((await verifyInvariants(app.orderly)).violations).toEqual([]);
    await app?.stop();
    await sim?.stop();
  });

  it('answers 503 with Retry-After past the backlog, changes nothing, and accepts the same key once it drains', async () => {
    const { token } = await app.customer();
    const product = await app.product({ variants: [{ sku: uniqueSku('BUSY'), price: { amount: 900, currency: 'USD' }, stock: 10 }] });
    const { id: variantId, sku } = product.variants[0];
    // The provider is down: the three accepted orders wait for their charge, unfinished, until it is back.
    await sim.faults({ down: true });
    const accepted = [];
    for (let i = 0; i < 3; i += 1) accepted.push(await placeOrder(app, token, { items: [{ variantId, quantity: 1 }] }));
    expect(accepted.map((r) => r.status)).toEqual([202, 202, 202]);

    const key = idempotencyKey();
    const refused = await placeOrder(app, token, { items: [{ variantId, quantity: 1 }] }, key);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.body).toMatchObject({ status: 503, code: 'checkout_busy' });
    expect(await stockOf(app, sku)).toMatchObject({ available: 7, reserved: 3, sold: 0 });
    const listed = await app.http.get('/v1/orders?limit=10', { token });
    expect(listed.body.items.map((o: any) => o.id).sort()).toEqual(accepted.map((r) => r.body.id).sort());

    // Once the provider is back the accepted orders complete; then the refused attempt goes through on its key.
    await sim.faults({});
    const done = await Promise.all(accepted.map((r) => waitForOrder(app, token, r.body.id, ['confirmed', 'cancelled'], 60_000)));
    expect(done.map((o) => o.status)).toEqual(['confirmed', 'confirmed', 'confirmed']);
    let retried = refused;
    for (let i = 0; i < 40 && retried.status === 503; i += 1) {
      await new Promise((r) => setTimeout(r, Number(retried.headers.get('retry-after')) * 250));
      retried = await placeOrder(app, token, { items: [{ variantId, quantity: 1 }] }, key);
    }
    expect(retried.status).toBe(202);
    expect((await waitForOrder(app, token, retried.body.id, ['confirmed', 'cancelled'])).status).toBe('confirmed');
    const metrics = await app.http.get('/metrics', { token: app.adminToken });
    expect(String(metrics.body)).toMatch(/^orderly_checkout_refused_total [1-9]/m);
  });
});

describe.each(messagingKinds)('the saga with every stock step a message on %s', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind, { ORDERLY_SAGA_INLINE_STOCK: 'false' });
  });
  afterAll(async () => {
    expect((await verifyInvariants(app.orderly)).violations).toEqual([]);
    await app.stop();
  });

  it('holds, sells and returns the stock through inventory.* messages, with the same outcomes', async () => {
    const { token } = await app.customer();
    const product = await app.product({ variants: [{ sku: uniqueSku('MSG'), price: { amount: 900, currency: 'USD' }, stock: 2 }] });
    const { id: variantId, sku } = product.variants[0];
    const placed = await placeOrder(app, token, { items: [{ variantId, quantity: 2 }] });
    expect(placed.status).toBe(202);
    expect(placed.body.timeline.map((t: any) => t.note)).toEqual(['order placed']);
    expect((await waitForOrder(app, token, placed.body.id, ['confirmed', 'cancelled'])).status).toBe('confirmed');
    const short = await placeOrder(app, token, { items: [{ variantId, quantity: 1 }] });
    const cancelled = await waitForOrder(app, token, short.body.id, ['confirmed', 'cancelled']);
    expect(cancelled).toMatchObject({ status: 'cancelled', cancellationReason: 'out_of_stock' });
    expect(await stockOf(app, sku)).toMatchObject({ available: 0, reserved: 0, sold: 2 });

    const view = (await app.http.get(`/v1/admin/orders/${placed.body.id}`, { token: app.adminToken })).body;
    const sent = view.messages.filter((m: any) => m.direction === 'published').map((m: any) => m.type);
    expect(sent).toEqual(expect.arrayContaining(['inventory.reserve', 'inventory.reserved', 'inventory.commit', 'inventory.committed']));
    expect(view.saga.steps.map((s: any) => [s.name, s.status])).toEqual([
      ['reserve stock', 'succeeded'],
      ['authorize payment', 'succeeded'],
      ['commit stock', 'succeeded'],
    ]);
  });
});
