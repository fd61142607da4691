import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messagingKinds } from '../support/databases.js';
import { startApp, uniqueSku, type TestApp } from '../support/app.js';
import { idempotencyKey, placeOrder, stockOf, waitForOrder, waitForShipment } from '../support/orders.js';
import { verifyInvariants } from '../../src/verify.js';

describe.each(messagingKinds)('orders on %s', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind, { ORDERLY_MESSAGE_MAX_ATTEMPTS: '3', ORDERLY_MESSAGE_RETRY_BASE_MS: '10', ORDERLY_RELAY_POLL_MS: '20' });
  });
  afterAll(async () => {
    const report = await verifyInvariants(app.orderly);
    expect(report.violations).toEqual([]);
    await app.stop();
  });

  async function productWithStock(stock: number, amount = 2500) {
    const product = await app.product({ variants: [{ sku: uniqueSku('ORD'), price: { amount, currency: 'USD' }, stock }] });
    return { variantId: product.variants[0].id as string, sku: product.variants[0].sku as string, product };
  }

  it('confirms an order: 202 pending with its stock held, then charge → commit and confirm, with a shipment', async () => {
    const { token, id: userId } = await app.customer();
    const { variantId, sku } = await productWithStock(5);
    const res = await placeOrder(app, token, { items: [{ variantId, quantity: 2 }] });
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe(`/v1/orders/${res.body.id}`);
    expect(res.body).toMatchObject({
      id: expect.stringMatching(/^ord_/),
      userId,
      status: 'pending',
      total: { amount: 5000, currency: 'USD' },
      payment: { status: 'pending' },
      shipment: null,
      cancellationReason: null,
      items: [{ variantId, sku, quantity: 2, unitPrice: { amount: 2500, currency: 'USD' } }],
    });
    // The stock is held in the transaction that accepted the order (docs/checkout.md).
    expect(res.body.timeline).toEqual([
      { status: 'pending', at: expect.any(String), note: 'order placed' },
      { status: 'pending', at: expect.any(String), note: 'stock reserved' },
    ]);

    const confirmed = await waitForOrder(app, token, res.body.id, ['confirmed']);
    expect(confirmed.payment.status).toBe('succeeded');
    expect(confirmed.timeline.map((t: any) => t.status)).toContain('confirmed');
    expect(await stockOf(app, sku)).toMatchObject({ available: 3, reserved: 0, sold: 2 });
    const shipped = await waitForShipment(app, token, res.body.id);
    expect(shipped.shipment).toMatchObject({ id: expect.stringMatching(/^shp_/), trackingNumber: expect.any(String), status: 'created' });
  });

  it('orders the cart and empties it', async () => {
    const { token } = await app.customer();
    const a = await productWithStock(5, 1000);
    const b = await productWithStock(5, 700);
    await app.http.post('/v1/cart/items', { variantId: a.variantId, quantity: 1 }, { token });
    await app.http.post('/v1/cart/items', { variantId: b.variantId, quantity: 3 }, { token });
    const res = await placeOrder(app, token, {});
    expect(res.status).toBe(202);
    expect(res.body.items.map((i: any) => [i.variantId, i.quantity])).toEqual([
      [a.variantId, 1],
      [b.variantId, 3],
    ]);
    expect(res.body.total).toEqual({ amount: 1000 + 2100, currency: 'USD' });
    expect((await app.http.get('/v1/cart', { token })).body.items).toEqual([]);
    await waitForOrder(app, token, res.body.id, ['confirmed']);
    const empty = await placeOrder(app, token, {});
    expect(empty.status).toBe(409);
    expect(empty.body.code).toBe('cart_empty');
  });

  it('cancels out_of_stock when stock is short, holding nothing and charging nothing', async () => {
    const { token } = await app.customer();
    const { variantId, sku } = await productWithStock(1);
    const res = await placeOrder(app, token, { items: [{ variantId, quantity: 2 }] });
    const order = await waitForOrder(app, token, res.body.id, ['cancelled']);
    expect(order.cancellationReason).toBe('out_of_stock');
    expect(order.payment.status).toBe('pending');
    expect(await stockOf(app, sku)).toMatchObject({ available: 1, reserved: 0, sold: 0 });
  });

  for (const [token, code] of [
    ['tok_declined', 'card_declined'],
    ['tok_insufficient_funds', 'insufficient_funds'],
  ]) {
    it(`releases the stock and cancels payment_declined for ${token}`, async () => {
      const customer = await app.customer();
      const { variantId, sku } = await productWithStock(4);
      const res = await placeOrder(app, customer.token, { items: [{ variantId, quantity: 3 }], paymentToken: token });
      const order = await waitForOrder(app, customer.token, res.body.id, ['cancelled']);
      expect(order.cancellationReason).toBe('payment_declined');
      expect(order.payment.status).toBe('declined');
      expect(order.timeline.map((t: any) => t.note)).toEqual(expect.arrayContaining(['stock reserved', `payment declined (${code})`]));
      expect(await stockOf(app, sku)).toMatchObject({ available: 4, reserved: 0, sold: 0 });
    });
  }

  it('retries a failing provider, then releases and cancels payment_failed', async () => {
    const { token } = await app.customer();
    const { variantId, sku } = await productWithStock(2);
    const res = await placeOrder(app, token, { items: [{ variantId, quantity: 1 }], paymentToken: 'tok_provider_error' });
    const order = await waitForOrder(app, token, res.body.id, ['cancelled']);
    expect(order.cancellationReason).toBe('payment_failed');
    expect(order.payment.status).toBe('failed');
    expect(await stockOf(app, sku)).toMatchObject({ available: 2, reserved: 0 });
  });

  it('cancels a confirmed order on request: holds the shipment, refunds, restocks', async () => {
    const { token } = await app.customer();
    const { variantId, sku } = await productWithStock(3);
    const placed = await placeOrder(app, token, { items: [{ variantId, quantity: 2 }] });
    await waitForShipment(app, token, placed.body.id);
    const res = await app.http.post(`/v1/orders/${placed.body.id}/cancel`, undefined, { token });
    expect(res.status).toBe(202);
    const order = await waitForOrder(app, token, placed.body.id, ['cancelled']);
    expect(order.cancellationReason).toBe('customer_request');
    expect(order.payment.status).toBe('refunded');
    expect(await stockOf(app, sku)).toMatchObject({ available: 3, reserved: 0, sold: 0 });
    const shipment = await app.http.get(`/v1/shipments/${order.shipment.id}`, { token: app.adminToken });
    expect(shipment.body.status).toBe('cancelled');
    expect(
      (await app.http.post(`/v1/shipments/${order.shipment.id}/status`, { status: 'in_transit' }, { token: app.adminToken })).status,
    ).toBe(409);
    const again = await app.http.post(`/v1/orders/${placed.body.id}/cancel`, undefined, { token });
    expect(again.status).toBe(202);
    expect(again.body.status).toBe('cancelled');
  });

  it('cancels right after placing (before the saga finishes) with no money kept and no stock held', async () => {
    const { token } = await app.customer();
    const { variantId, sku } = await productWithStock(3);
    const placed = await placeOrder(app, token, { items: [{ variantId, quantity: 1 }] });
    const res = await app.http.post(`/v1/orders/${placed.body.id}/cancel`, undefined, { token });
    expect(res.status).toBe(202);
    const order = await waitForOrder(app, token, placed.body.id, ['cancelled']);
    expect(order.cancellationReason).toBe('customer_request');
    expect(['pending', 'refunded']).toContain(order.payment.status);
    expect(await stockOf(app, sku)).toMatchObject({ available: 3, reserved: 0, sold: 0 });
  });

  it('records admin cancellations as admin_request', async () => {
    const { token } = await app.customer();
    const { variantId } = await productWithStock(3);
    const placed = await placeOrder(app, token, { items: [{ variantId, quantity: 1 }] });
    await waitForShipment(app, token, placed.body.id);
    expect((await app.http.post(`/v1/orders/${placed.body.id}/cancel`, undefined, { token: app.adminToken })).status).toBe(202);
    expect((await waitForOrder(app, token, placed.body.id, ['cancelled'])).cancellationReason).toBe('admin_request');
  });

  it('ships and delivers through shipment status updates; a shipped order cannot be cancelled', async () => {
    const { token } = await app.customer();
    const { variantId } = await productWithStock(3);
    const placed = await placeOrder(app, token, { items: [{ variantId, quantity: 1 }] });
    const { shipment } = await waitForShipment(app, token, placed.body.id);
    expect((await app.http.post(`/v1/shipments/${shipment.id}/status`, { status: 'delivered' }, { token: app.adminToken })).status).toBe(
      409,
    );
    expect((await app.http.post(`/v1/shipments/${shipment.id}/status`, { status: 'in_transit' }, { token })).status).toBe(403);
    const moved = await app.http.post(`/v1/shipments/${shipment.id}/status`, { status: 'in_transit' }, { token: app.adminToken });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ id: shipment.id, status: 'in_transit', orderId: placed.body.id });
    await waitForOrder(app, token, placed.body.id, ['shipped']);
    const refused = await app.http.post(`/v1/orders/${placed.body.id}/cancel`, undefined, { token });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('order_not_cancellable');
    await app.http.post(`/v1/shipments/${shipment.id}/status`, { status: 'delivered' }, { token: app.adminToken });
    const delivered = await waitForOrder(app, token, placed.body.id, ['delivered']);
    expect(delivered.shipment.status).toBe('delivered');
    expect(delivered.timeline.map((t: any) => t.status)).toEqual(expect.arrayContaining(['pending', 'confirmed', 'shipped', 'delivered']));
    expect(
      (
        await app.http.post(
          '/v1/shipments/shp_0000000000000000000000000000dead/status',
          { status: 'in_transit' },
          { token: app.adminToken },
        )
      ).status,
    ).toBe(404);
    expect((await app.http.post(`/v1/shipments/${shipment.id}/status`, { status: 'lost' }, { token: app.adminToken })).status).toBe(400);
  });

  it('shows customers only their own orders (404 otherwise); admins see all', async () => {
    const alice = await app.customer();
    const bob = await app.customer();
    const { variantId } = await productWithStock(5);
    const first = await placeOrder(app, alice.token, { items: [{ variantId, quantity: 1 }] });
    const second = await placeOrder(app, alice.token, { items: [{ variantId, quantity: 1 }] });
    expect((await app.http.get(`/v1/orders/${first.body.id}`, { token: bob.token })).status).toBe(404);
    expect((await app.http.post(`/v1/orders/${first.body.id}/cancel`, undefined, { token: bob.token })).status).toBe(404);
    expect((await app.http.get(`/v1/orders/${first.body.id}/events`, { token: bob.token })).status).toBe(404);
    const mine = await app.http.get('/v1/orders', { token: alice.token });
    expect(mine.body.items.map((o: any) => o.id)).toEqual([second.body.id, first.body.id]);
    expect((await app.http.get('/v1/orders', { token: bob.token })).body.items).toEqual([]);
    const paged = await app.http.get('/v1/orders?limit=1', { token: alice.token });
    const next = await app.http.get(`/v1/orders?limit=1&cursor=${paged.body.nextCursor}`, { token: alice.token });
    expect([...paged.body.items, ...next.body.items].map((o: any) => o.id)).toEqual([second.body.id, first.body.id]);
    const asAdmin = await app.http.get(`/v1/orders?userId=${alice.id}`, { token: app.adminToken });
    expect(asAdmin.body.items.map((o: any) => o.id)).toEqual([second.body.id, first.body.id]);
    expect((await app.http.get(`/v1/orders/${first.body.id}`, { token: app.adminToken })).status).toBe(200);
    expect((await app.http.get('/v1/orders')).status).toBe(401);
  });

  it('refuses invalid orders with 400/404/409 and creates nothing', async () => {
    const { token } = await app.customer();
    const { variantId } = await productWithStock(5);
    const bad = [
      { items: [{ variantId, quantity: 1 }], shippingAddress: undefined },
      { items: [{ variantId, quantity: 0 }] },
      { items: [] },
      { items: [{ variantId, quantity: 1 }], paymentToken: 'visa' },
      { items: [{ variantId, quantity: 1 }], shippingAddress: { name: 'x', line1: 'y', city: 'z', postalCode: '1', country: 'gbr' } },
    ];
    for (const body of bad) {
      const res = await placeOrder(app, token, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe('validation_failed');
    }
    const unknown = await placeOrder(app, token, { items: [{ variantId: 'var_0000000000000000000000000000dead', quantity: 1 }] });
    expect(unknown.status).toBe(404);
    const euro = await app.product({ variants: [{ sku: uniqueSku('EUR'), price: { amount: 100, currency: 'EUR' }, stock: 5 }] });
    const mixed = await placeOrder(app, token, {
      items: [
        { variantId, quantity: 1 },
        { variantId: euro.variants[0].id, quantity: 1 },
      ],
    });
    expect(mixed.status).toBe(409);
    expect(mixed.body.code).toBe('currency_mismatch');
    expect((await app.http.get('/v1/orders', { token })).body.items).toEqual([]);
    expect(
      (await app.http.post('/v1/orders', { items: [{ variantId, quantity: 1 }] }, { headers: { 'idempotency-key': idempotencyKey() } }))
        .status,
    ).toBe(401);
  });

  it('streams the timeline as Server-Sent Events, live, ending after the final status', async () => {
    const { token } = await app.customer();
    const { variantId } = await productWithStock(5);
    const placed = await placeOrder(app, token, { items: [{ variantId, quantity: 1 }] });
    const controller = new AbortController();
    const res = await fetch(`${app.url}/v1/orders/${placed.body.id}/events`, {
      headers: { authorization: `Bearer ${token}` },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events: any[] = [];
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let cancelled = false;
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (data) events.push({ id: /^id: (.*)$/m.exec(block)?.[1], ...JSON.parse(data) });
      }
      if (!cancelled && events.some((e) => e.status === 'confirmed')) {
        cancelled = true;
        await app.http.post(`/v1/orders/${placed.body.id}/cancel`, undefined, { token });
      }
    }
    expect(events[0]).toMatchObject({ status: 'pending', note: 'order placed', id: expect.stringMatching(/^tml_/) });
    expect(events.map((e) => e.status)).toEqual(expect.arrayContaining(['pending', 'confirmed', 'cancelled']));
    expect(events[events.length - 1].status).toBe('cancelled');
    const order = (await app.http.get(`/v1/orders/${placed.body.id}`, { token })).body;
    expect(events.map(({ status, at, note }) => ({ status, at, ...(note ? { note } : {}) }))).toEqual(order.timeline);
  });
  it('prunes handled messages past retention and still verifies clean', async () => {
    const { token } = await app.customer();
    const { variantId } = await productWithStock(2);
    const placed = await placeOrder(app, token, { items: [{ variantId, quantity: 1 }] });
    await waitForShipment(app, token, placed.body.id);
    const pruned = await app.orderly.bus.prune(new Date(Date.now() + 60_000));
    expect(pruned).toBeGreaterThan(0);
    const report = await verifyInvariants(app.orderly);
    expect(report.violations).toEqual([]);
  });
});
