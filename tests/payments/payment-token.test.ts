import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, uniqueSku, type TestApp } from '../support/app.js';
import { databaseKinds } from '../support/databases.js';
import { placeOrder, waitForOrder, waitForShipment } from '../support/orders.js';
import { query, storageOf } from '../support/tamper.js';

describe.each(databaseKinds)('payment tokens on %s', (kind) => {
  let app: TestApp;
  const tokenOf = async (orderId: string) =>
    (
      await query<{ payment_token: string }>(storageOf(app.orderly.config, 'orderly.db'), 'select payment_token from orders where id = ?', [
        orderId,
      ])
    )[0]!.payment_token;
  const variant = async () =>
    (await app.product({ variants: [{ sku: uniqueSku(), price: { amount: 900, currency: 'USD' }, stock: 5 }] })).variants[0].id;

  beforeAll(async () => {
    app = await startApp(kind);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('travel encrypted, are not kept once the charge is settled, and a refund afterwards still goes through by the charge id', async () => {
    const { token } = await app.customer();
    const placed = await placeOrder(app, token, { items: [{ variantId: await variant(), quantity: 1 }], paymentToken: 'tok_mastercard' });
    expect(placed.status).toBe(202);
    await waitForShipment(app, token, placed.body.id);
    expect(await tokenOf(placed.body.id)).toBe('');
    // The charge command carried it encrypted: the outbox, kept a week, has no token to give away.
    const [charge] = await query<{ data: string }>(
      storageOf(app.orderly.config, 'orderly.db'),
      "select data from outbox where type = 'payment.charge' and key = ?",
      [placed.body.id],
    );
    expect(JSON.parse(charge!.data).token).toMatch(/^v1:[0-9a-f]{8}:/);
    expect(charge!.data).not.toContain('tok_mastercard');
    expect((await app.http.post(`/v1/orders/${placed.body.id}/cancel`, undefined, { token })).status).toBe(202);
    const cancelled = await waitForOrder(app, token, placed.body.id, ['cancelled']);
    expect(cancelled.payment.status).toBe('refunded');
  });

  it('are dropped when the charge is declined, too', async () => {
    const { token } = await app.customer();
    const placed = await placeOrder(app, token, { items: [{ variantId: await variant(), quantity: 1 }], paymentToken: 'tok_declined' });
    await waitForOrder(app, token, placed.body.id, ['cancelled']);
    expect(await tokenOf(placed.body.id)).toBe('');
  });
});
