import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messagingKinds } from '../support/databases.js';
import { startApp, uniqueSku, type TestApp } from '../support/app.js';
import { placeOrder, stockOf, waitForOrder, waitForShipment } from '../support/orders.js';
import { verifyInvariants } from '../../src/verify.js';

/** Runs one fixed set of orders and reports what became of them, in terms that do not depend on ids or times. */
async function scenario(app: TestApp) {
  const { token } = await app.customer();
  const product = await app.product({ variants: [{ sku: uniqueSku('DUP'), price: { amount: 1500, currency: 'USD' }, stock: 4 }] });
  const { id: variantId, sku } = product.variants[0];
  const place = async (quantity: number, paymentToken = 'tok_visa') =>
    (await placeOrder(app, token, { items: [{ variantId, quantity }], paymentToken })).body.id as string;

  const confirmed = await place(1);
  const declined = await place(1, 'tok_declined');
  const tooMany = await place(10);
  const cancelledLater = await place(1);
  const shipped = await place(1);
  await waitForShipment(app, token, cancelledLater);
  await app.http.post(`/v1/orders/${cancelledLater}/cancel`, undefined, { token });
  const { shipment } = await waitForShipment(app, token, shipped);
  await app.http.post(`/v1/shipments/${shipment.id}/status`, { status: 'in_transit' }, { token: app.adminToken });
  await app.http.post(`/v1/shipments/${shipment.id}/status`, { status: 'delivered' }, { token: app.adminToken });

  const ids = { confirmed, declined, tooMany, cancelledLater, shipped };
  const finals: Record<string, string[]> = {
    confirmed: ['confirmed'],
    declined: ['cancelled'],
    tooMany: ['cancelled'],
    cancelledLater: ['cancelled'],
    shipped: ['delivered'],
  };
  const outcome: Record<string, unknown> = {};
  for (const [name, id] of Object.entries(ids)) {
    const order = await waitForOrder(app, token, id, finals[name]!);
    outcome[name] = {
      status: order.status,
      reason: order.cancellationReason,
      payment: order.payment.status,
      notes: order.timeline.map((t: any) => `${t.status}:${(t.note ?? '').replace(/OR\d{4}-\d{4}-\d{4}/, '<tracking>')}`),
    };
  }
  const { sku: _sku, ...stock } = await stockOf(app, sku);
  return { outcome, stock };
}

describe.each(messagingKinds)('every message delivered twice on %s', (kind) => {
  let normal: TestApp;
  let doubled: TestApp;
  beforeAll(async () => {
    normal = await startApp(kind);
    doubled = await startApp(kind, { ORDERLY_DUPLICATE_DELIVERY: 'true' });
  });
  afterAll(async () => {
    await normal.stop();
    await doubled.stop();
  });

  it('ends in outcomes identical to single delivery, with one charge per order and every invariant holding', async () => {
    const once = await scenario(normal);
    const twice = await scenario(doubled);
    expect(twice).toEqual(once);
    expect(once.stock).toEqual({ available: 2, reserved: 0, sold: 2 });

    const report = await verifyInvariants(doubled.orderly);
    expect(report.violations).toEqual([]);
    const charges = (await doubled.orderly.modules.payments.service.providerLedger()).filter(
      (e) => e.kind === 'charge' && e.status === 'succeeded',
    );
    expect(charges).toHaveLength(3);
    expect(new Set(charges.map((c) => c.reference)).size).toBe(3);
  });
});
