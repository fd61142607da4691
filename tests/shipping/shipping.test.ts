import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, uniqueSku, type TestApp } from '../support/app.js';
import { databaseKinds } from '../support/databases.js';
import { eventually } from '../support/payment-sim.js';
import { placeOrder, waitForOrder, waitForShipment } from '../support/orders.js';

describe.each(databaseKinds)('shipments on %s', (kind) => {
  let app: TestApp;
  let variantId: string;
  beforeAll(async () => {
    app = await startApp(kind);
    variantId = (await app.product({ variants: [{ sku: uniqueSku('SHP'), price: { amount: 1500, currency: 'USD' }, stock: 50 }] }))
      .variants[0].id;
  });
  afterAll(() => app.stop());

  const admin = () => ({ token: app.adminToken });
  const confirmedOrder = async () => {
    const buyer = await app.customer();
    const placed = await placeOrder(app, buyer.token, { items: [{ variantId, quantity: 1 }] });
    const order = await waitForShipment(app, buyer.token, placed.body.id);
    return { buyer, order };
  };

  it('creates one shipment per confirmed order, with a tracking number and its history', async () => {
    const { order } = await confirmedOrder();
    expect(order.status).toBe('confirmed');
    expect(order.shipment).toMatchObject({
      id: expect.stringMatching(/^shp_/),
      trackingNumber: expect.stringMatching(/^OR\d{4}-\d{4}-\d{4}$/),
      status: 'created',
    });
    const shipment = await app.http.get(`/v1/shipments/${order.shipment.id}`, admin());
    expect(shipment.status).toBe(200);
    expect(shipment.body).toMatchObject({ orderId: order.id, status: 'created', trackingNumber: order.shipment.trackingNumber });
    expect(shipment.body.history.map((h: { status: string }) => h.status)).toEqual(['created']);
    expect(order.timeline.map((t: { note?: string }) => t.note)).toContain(`shipment ${order.shipment.trackingNumber} created`);
  });

  it('moves created → in_transit → delivered, and the order with it; history records each step once', async () => {
    const { buyer, order } = await confirmedOrder();
    const id = order.shipment.id;
    const transit = await app.http.post(`/v1/shipments/${id}/status`, { status: 'in_transit' }, admin());
    expect(transit.status).toBe(200);
    expect((await waitForOrder(app, buyer.token, order.id, ['shipped'])).shipment.status).toBe('in_transit');
    // The same move again changes nothing and answers as it stands.
    const again = await app.http.post(`/v1/shipments/${id}/status`, { status: 'in_transit' }, admin());
    expect(again.status).toBe(200);
    const delivered = await app.http.post(`/v1/shipments/${id}/status`, { status: 'delivered' }, admin());
    expect(delivered.body.status).toBe('delivered');
    expect(delivered.body.history.map((h: { status: string }) => h.status)).toEqual(['created', 'in_transit', 'delivered']);
    expect((await waitForOrder(app, buyer.token, order.id, ['delivered'])).status).toBe('delivered');
  });

  it('refuses moves out of order and statuses it does not know, and changes nothing', async () => {
    const { order } = await confirmedOrder();
    const id = order.shipment.id;
    const skip = await app.http.post(`/v1/shipments/${id}/status`, { status: 'delivered' }, admin());
    expect(skip.status).toBe(409);
    expect(skip.body.code).toBe('invalid_shipment_transition');
    const unknown = await app.http.post(`/v1/shipments/${id}/status`, { status: 'teleported' }, admin());
    expect(unknown.status).toBe(400);
    expect((await app.http.get(`/v1/shipments/${id}`, admin())).body.status).toBe('created');
    expect((await app.http.get('/v1/shipments/shp_0000000000000000000000000000dead', admin())).status).toBe(404);
    expect(
      (await app.http.post('/v1/shipments/shp_0000000000000000000000000000dead/status', { status: 'in_transit' }, admin())).status,
    ).toBe(404);
  });

  it('is for admins only', async () => {
    const { buyer, order } = await confirmedOrder();
    expect((await app.http.get(`/v1/shipments/${order.shipment.id}`, { token: buyer.token })).status).toBe(403);
    expect(
      (await app.http.post(`/v1/shipments/${order.shipment.id}/status`, { status: 'in_transit' }, { token: buyer.token })).status,
    ).toBe(403);
    expect((await app.http.get(`/v1/shipments/${order.shipment.id}`)).status).toBe(401);
  });

  it('holds the shipment of an order cancelled after confirmation: it is cancelled and can no longer move', async () => {
    const { buyer, order } = await confirmedOrder();
    expect((await app.http.post(`/v1/orders/${order.id}/cancel`, {}, { token: buyer.token })).status).toBe(202);
    const cancelled = await waitForOrder(app, buyer.token, order.id, ['cancelled']);
    expect(cancelled.cancellationReason).toBe('customer_request');
    const shipment = await eventually('the shipment cancelled', async () => {
      const s = (await app.http.get(`/v1/shipments/${order.shipment.id}`, admin())).body;
      return s.status === 'cancelled' ? s : null;
    });
    expect(shipment.history.map((h: { status: string }) => h.status)).toEqual(['created', 'cancelled']);
    const moved = await app.http.post(`/v1/shipments/${order.shipment.id}/status`, { status: 'in_transit' }, admin());
    expect(moved.status).toBe(409);
  });

  it('refuses a cancellation once the shipment is on its way', async () => {
    const { buyer, order } = await confirmedOrder();
    await app.http.post(`/v1/shipments/${order.shipment.id}/status`, { status: 'in_transit' }, admin());
    await waitForOrder(app, buyer.token, order.id, ['shipped']);
    const cancel = await app.http.post(`/v1/orders/${order.id}/cancel`, {}, { token: buyer.token });
    expect(cancel.status).toBe(409);
    expect(cancel.body.code).toBe('order_not_cancellable');
  });
});
