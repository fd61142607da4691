import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messagingKinds } from '../support/databases.js';
import { startApp, uniqueSku, type TestApp } from '../support/app.js';
import { placeOrder, stockOf, waitForOrder, waitForShipment } from '../support/orders.js';
import { verifyInvariants } from '../../src/verify.js';
import { eventually } from '../support/payment-sim.js';

describe.each(messagingKinds)('saga failures on %s', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind, {
      ORDERLY_RESERVATION_TTL_SECONDS: '1',
      // The holds expire under test; the orders must not, however slowly the machine runs the saga.
      ORDERLY_SAGA_DEADLINE_SECONDS: '120',
      ORDERLY_SWEEP_INTERVAL_MS: '100',
      ORDERLY_MESSAGE_MAX_ATTEMPTS: '3',
      ORDERLY_MESSAGE_RETRY_BASE_MS: '10',
      ORDERLY_RELAY_POLL_MS: '20',
    });
  });
  afterAll(async () => {
    expect((await verifyInvariants(app.orderly)).violations).toEqual([]);
    await app.stop();
  });

  it('refunds, releases and cancels out_of_stock when the hold expired and the stock was sold meanwhile', async () => {
    const slowBuyer = await app.customer();
    const quickBuyer = await app.customer();
    const product = await app.product({ variants: [{ sku: uniqueSku('EXP'), price: { amount: 4000, currency: 'USD' }, stock: 1 }] });
    const { id: variantId, sku } = product.variants[0];
    // The slow card takes 1.5 s; the 1 s hold expires and the sweeper returns the unit meanwhile.
    const slow = await placeOrder(app, slowBuyer.token, { items: [{ variantId, quantity: 1 }], paymentToken: 'tok_visa_slow' });
    const until = (what: string, done: (s: { available: number; reserved: number }) => boolean) =>
      eventually(what, async () => done(await stockOf(app, sku)));
    await until('the unit held', (s) => s.reserved === 1);
    await until('the expired hold returned', (s) => s.available === 1);
    const quick = await placeOrder(app, quickBuyer.token, { items: [{ variantId, quantity: 1 }] });
    expect((await waitForOrder(app, quickBuyer.token, quick.body.id, ['confirmed', 'cancelled'])).status).toBe('confirmed');
    const order = await waitForOrder(app, slowBuyer.token, slow.body.id, ['cancelled', 'confirmed']);
    expect(order.status).toBe('cancelled');
    expect(order.cancellationReason).toBe('out_of_stock');
    expect(order.payment.status).toBe('refunded');
    expect(await stockOf(app, sku)).toMatchObject({ available: 0, reserved: 0, sold: 1 });
  });

  it('commits after expiry when the stock is still there', async () => {
    const { token } = await app.customer();
    const product = await app.product({ variants: [{ sku: uniqueSku('EXP'), price: { amount: 4000, currency: 'USD' }, stock: 1 }] });
    const placed = await placeOrder(app, token, {
      items: [{ variantId: product.variants[0].id, quantity: 1 }],
      paymentToken: 'tok_visa_slow',
    });
    const order = await waitForOrder(app, token, placed.body.id, ['cancelled', 'confirmed']);
    expect(order.status).toBe('confirmed');
    expect(await stockOf(app, product.variants[0].sku)).toMatchObject({ available: 0, reserved: 0, sold: 1 });
  });

  it('dead-letters a message whose consumer keeps failing, lists it, and redrives it once the fault is fixed', async () => {
    const { token } = await app.customer();
    const product = await app.product({ variants: [{ sku: uniqueSku('DLQ'), price: { amount: 100, currency: 'USD' }, stock: 5 }] });
    const db = app.orderly.database.db;
    // Break the shipping module's storage: every attempt to create the shipment fails.
    await sql`alter table shipments rename to shipments_broken`.execute(db);
    let orderId: string;
    try {
      const placed = await placeOrder(app, token, { items: [{ variantId: product.variants[0].id, quantity: 1 }] });
      orderId = placed.body.id;
      await waitForOrder(app, token, orderId, ['confirmed']);
      const letters: any[] = await eventually('the dead letter', async () => {
        const mine = (await app.http.get('/v1/admin/dlq', { token: app.adminToken })).body.items.filter((l: any) => l.key === orderId);
        return mine.length > 0 ? mine : null;
      });
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({
        type: 'order.confirmed',
        group: 'shipping',
        attempts: 3,
        error: expect.stringMatching(/shipments/),
      });
      expect((await app.http.get('/v1/admin/dlq', { token })).status).toBe(403);
      expect((await app.http.post('/v1/admin/dlq/999999999/redrive', undefined, { token: app.adminToken })).status).toBe(404);
      const report = await verifyInvariants(app.orderly);
      expect(report.violations).toEqual([]);
      expect(report.checked.deadLetters).toBe(1);
      await sql`alter table shipments_broken rename to shipments`.execute(db);
      const redrive = await app.http.post(`/v1/admin/dlq/${letters[0].id}/redrive`, undefined, { token: app.adminToken });
      expect(redrive.status).toBe(202);
    } finally {
      await sql`alter table if exists shipments_broken rename to shipments`.execute(db).catch(() => undefined);
    }
    const shipped = await waitForShipment(app, token, orderId!);
    expect(shipped.shipment.status).toBe('created');
    expect((await app.http.get('/v1/admin/dlq', { token: app.adminToken })).body.items.filter((l: any) => l.key === orderId!)).toEqual([]);
  });
});
