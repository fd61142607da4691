import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyInvariants } from '../../src/verify.js';
import { startApp, uniqueSku, type TestApp } from '../support/app.js';
import { databaseKinds } from '../support/databases.js';
import { placeOrder, waitForOrder } from '../support/orders.js';
import { eventually, startPaymentSim, type PaymentSimProcess } from '../support/payment-sim.js';

const chargeKey = (orderId: string) => `order:${orderId}:charge`;

async function breaker(app: TestApp) {
  const res = await app.http.get('/v1/admin/breakers', { token: app.adminToken });
  expect(res.status).toBe(200);
  return res.body.items.find((b: { name: string }) => b.name === 'payments');
}

async function stockedProduct(app: TestApp, stock: number) {
  const product = await app.product({ variants: [{ sku: uniqueSku(), price: { amount: 2500, currency: 'USD' }, stock }] });
  return product.variants[0].id as string;
}

async function expectVerified(app: TestApp) {
  const report = await verifyInvariants(app.orderly);
  expect(report.violations).toEqual([]);
  return report;
}

/** One successful charge per order at the provider, whatever was retried, lost or redelivered. */
async function expectOneChargePerOrder(sim: PaymentSimProcess, orderIds: string[]) {
  const charges = (await sim.ledger()).filter((e) => e.kind === 'charge' && e.status === 'succeeded');
  for (const id of orderIds) expect(charges.filter((c) => c.reference === id)).toHaveLength(1);
}

describe.each(databaseKinds)('payments through a real provider over HTTP on %s', (kind) => {
  let sim: PaymentSimProcess;
  let app: TestApp;

  beforeAll(async () => {
    sim = await startPaymentSim();
    app = await startApp(kind, {
      PAYMENT_PROVIDER_URL: sim.url,
      ORDERLY_PAYMENT_BREAKER_HALF_OPEN_MS: '1000',
      ORDERLY_PAYMENT_PARK_MAX_MS: '500',
      ORDERLY_PAYMENT_BULKHEAD: '2',
      ORDERLY_PAYMENT_BULKHEAD_QUEUE: '2',
    });
  });
  afterAll(async () => {
    await app?.stop();
    await sim?.stop();
  });

  it('provider down: the breaker opens, checkout still answers 202 at once, reads are unaffected, and every order confirms after recovery', async () => {
    const variantId = await stockedProduct(app, 50);
    const buyer = await app.customer();
    await sim.faults({ down: true });

    const placed: string[] = [];
    for (let i = 0; i < 12; i += 1) {
      const started = Date.now();
      const res = await placeOrder(app, buyer.token, { items: [{ variantId, quantity: 1 }] });
      expect(res.status).toBe(202);
      // The POST never waits on the provider: far less than one provider timeout.
      expect(Date.now() - started).toBeLessThan(2000);
      placed.push(res.body.id);
    }

    const open = await eventually('the payments breaker to open', async () => {
      const b = await breaker(app);
      return b.state === 'open' ? b : null;
    });
    expect(open.lastFailure).toMatch(/fetch failed|other side closed|socket/i);
    const metrics = await app.http.get('/metrics');
    expect(metrics.text).toMatch(/orderly_breaker_state\{breaker="payments"\} 1/);
    expect(metrics.text).toMatch(/orderly_breaker_transitions_total\{breaker="payments",state="open"\} [1-9]/);

    const product = await app.http.get(`/v1/products?limit=5`);
    expect(product.status).toBe(200);
    for (const id of placed) {
      const order = await app.http.get(`/v1/orders/${id}`, { token: buyer.token });
      expect(order.body.status).toBe('pending');
    }

    await sim.faults({});
    for (const id of placed) await waitForOrder(app, buyer.token, id, ['confirmed'], 30_000);
    expect((await breaker(app)).state).toBe('closed');
    await expectOneChargePerOrder(sim, placed);
    const report = await expectVerified(app);
    expect(report.checked.providerEntries).toBeGreaterThanOrEqual(placed.length);
  }, 60_000);

  it('provider hanging: every call is cut at 2 s and no more calls than the bulkhead reach it at once', async () => {
    const variantId = await stockedProduct(app, 20);
    const buyer = await app.customer();
    await sim.resetStats();
    await sim.faults({ hang: true });

    const placed: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      const res = await placeOrder(app, buyer.token, { items: [{ variantId, quantity: 1 }] });
      expect(res.status).toBe(202);
      placed.push(res.body.id);
    }
    const stats = await eventually(
      'three calls abandoned by Orderly',
      async () => {
        const s = await sim.stats();
        return s.abandoned.count >= 3 ? s : null;
      },
      20_000,
    );
    expect(stats.abandoned.minMs).toBeGreaterThanOrEqual(1900);
    expect(stats.abandoned.maxMs).toBeLessThan(3500);
    expect(stats.peakInFlight).toBeLessThanOrEqual(2);

    await sim.faults({});
    for (const id of placed) await waitForOrder(app, buyer.token, id, ['confirmed'], 40_000);
    expect((await sim.stats()).peakInFlight).toBeLessThanOrEqual(2);
    await expectOneChargePerOrder(sim, placed);
    await expectVerified(app);
  }, 90_000);

  it('lost responses: the charge is looked up by its key instead of being made twice', async () => {
    await eventually('the breaker to close', async () => (await breaker(app)).state === 'closed', 10_000);
    const variantId = await stockedProduct(app, 20);
    const buyer = await app.customer();
    await sim.resetStats();
    await sim.faults({ loseResponses: true });

    const placed: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const res = await placeOrder(app, buyer.token, { items: [{ variantId, quantity: 1 }] });
      expect(res.status).toBe(202);
      placed.push(res.body.id);
    }
    for (const id of placed) await waitForOrder(app, buyer.token, id, ['confirmed'], 30_000);
    await sim.faults({});

    const stats = await sim.stats();
    expect(stats.lookups).toBeGreaterThanOrEqual(placed.length);
    for (const id of placed) expect((await sim.stats(chargeKey(id))).forKey.charges).toBe(1);
    await expectOneChargePerOrder(sim, placed);
    await expectVerified(app);
  }, 60_000);

  it('declines are never retried; provider errors are', async () => {
    await eventually('the breaker to close', async () => (await breaker(app)).state === 'closed', 10_000);
    const variantId = await stockedProduct(app, 20);
    const buyer = await app.customer();

    const declined = await placeOrder(app, buyer.token, { items: [{ variantId, quantity: 1 }], paymentToken: 'tok_declined' });
    const cancelled = await waitForOrder(app, buyer.token, declined.body.id, ['cancelled']);
    expect(cancelled.cancellationReason).toBe('payment_declined');
    expect((await sim.stats(chargeKey(declined.body.id))).forKey).toEqual({ charges: 1, lookups: 0 });

    await sim.faults({ failureRate: 1 });
    const flaky = await placeOrder(app, buyer.token, { items: [{ variantId, quantity: 1 }] });
    // Retries after an error ask for the charge by its key before making it again.
    await eventually('the charge to be retried', async () => {
      const calls = (await sim.stats(chargeKey(flaky.body.id))).forKey;
      return calls.charges === 1 && calls.lookups >= 2;
    });
    await sim.faults({});
    await waitForOrder(app, buyer.token, flaky.body.id, ['confirmed'], 30_000);
    await expectOneChargePerOrder(sim, [flaky.body.id]);
    await expectVerified(app);
  }, 60_000);

  it('a refund owed during an outage is parked and paid once the provider is back', async () => {
    await eventually('the breaker to close', async () => (await breaker(app)).state === 'closed', 10_000);
    const variantId = await stockedProduct(app, 5);
    const buyer = await app.customer();
    const res = await placeOrder(app, buyer.token, { items: [{ variantId, quantity: 1 }] });
    await waitForOrder(app, buyer.token, res.body.id, ['confirmed']);

    await sim.faults({ down: true });
    const cancel = await app.http.post(`/v1/orders/${res.body.id}/cancel`, {}, { token: buyer.token });
    expect(cancel.status).toBe(202);
    await new Promise((r) => setTimeout(r, 1500));
    const waiting = await app.http.get(`/v1/orders/${res.body.id}`, { token: buyer.token });
    expect(waiting.body.status).not.toBe('cancelled');

    await sim.faults({});
    const done = await waitForOrder(app, buyer.token, res.body.id, ['cancelled'], 30_000);
    expect(done.payment.status).toBe('refunded');
    const refunds = (await sim.ledger()).filter((e) => e.kind === 'refund' && e.reference === res.body.id);
    expect(refunds).toHaveLength(1);
    await expectVerified(app);
  }, 60_000);
});
