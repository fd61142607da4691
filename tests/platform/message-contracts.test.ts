import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue } from '../support/metrics.js';
import { startApp, uniqueSku, type TestApp } from '../support/app.js';
import { messagingKinds } from '../support/databases.js';
import { eventually } from '../support/payment-sim.js';

describe.each(messagingKinds)('message contracts on %s', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind);
  });
  afterAll(() => app.stop());

  it('dead-letters a message whose payload breaks its contract at once, naming the field, and handles the next one', async () => {
    const product = await app.product({
      title: 'Contract lamp',
      variants: [{ sku: uniqueSku('CTR'), price: { amount: 2500, currency: 'USD' }, stock: 1 }],
    });
    const renamed = { ...product, title: 'Contract lantern', updatedAt: new Date().toISOString() };
    // A producer with a bug: the product's variants are not a list. Then a good change to the same product.
    await app.orderly.bus.transaction(async (_tx, publish) => {
      await publish([{ type: 'product.updated', key: product.id, data: { product: { ...renamed, variants: 'none' } } }]);
      await publish([{ type: 'product.updated', key: product.id, data: { product: renamed } }]);
    });
    const letters = await eventually('the malformed message dead-lettered', async () => {
      const items = (await app.http.get('/v1/admin/dlq?limit=100', { token: app.adminToken })).body.items.filter(
        (l: any) => l.key === product.id && l.type === 'product.updated',
      );
      return items.length >= 2 ? items : null;
    });
    for (const letter of letters) {
      expect(letter.attempts).toBe(1);
      expect(letter.error).toMatch(/product\.updated v1 payload: \/product\/variants/);
    }
    expect(letters.map((l: any) => l.group).sort()).toEqual(['catalog.read-cache', 'search']);
    // The good message behind it, with the same key, was handled: search has the new title.
    await eventually('the next message handled', async () => {
      const res = await app.http.get('/v1/search?q=lantern');
      return res.body.items.some((i: { id: string }) => i.id === product.id);
    });
  });

  it('dead-letters a message of a version its consumer does not know', async () => {
    const product = await app.product({
      title: 'Versioned vase',
      variants: [{ sku: uniqueSku('VER'), price: { amount: 900, currency: 'USD' }, stock: 1 }],
    });
    await app.orderly.bus.transaction((_tx, publish) =>
      publish([{ type: 'product.updated', version: 2, key: product.id, data: { product } }]),
    );
    const letter = await eventually('the v2 message dead-lettered', async () =>
      (await app.http.get('/v1/admin/dlq?limit=100', { token: app.adminToken })).body.items.find(
        (l: any) => l.key === product.id && l.group === 'search',
      ),
    );
    expect(letter.error).toBe('product.updated v2 is not the v1 this consumer knows');
  });

  it('lists the public events merchants can subscribe to, each with its version, meaning and JSON Schema', async () => {
    const res = await app.http.get('/v1/webhooks/event-types', { token: app.adminToken });
    expect(res.status).toBe(200);
    const types = res.body.items.map((i: any) => i.type);
    expect(types).toEqual([
      'order.created',
      'order.confirmed',
      'order.cancelled',
      'order.shipped',
      'order.delivered',
      'payment.succeeded',
      'payment.declined',
      'payment.refunded',
      'shipment.created',
      'product.created',
      'product.updated',
    ]);
    const confirmed = res.body.items.find((i: any) => i.type === 'order.confirmed');
    expect(confirmed).toMatchObject({ version: 1, description: expect.stringMatching(/paid/) });
    expect(confirmed.schema).toMatchObject({ type: 'object', required: expect.arrayContaining(['orderId', 'order', 'total', 'items']) });
    // Only what the catalog lists can be subscribed to.
    const bad = await app.http.post(
      '/v1/webhooks/endpoints',
      { url: 'https://example.com/h', events: ['inventory.reserve'] },
      { token: app.adminToken },
    );
    expect(bad.status).toBe(400);
    const customer = await app.customer();
    expect((await app.http.get('/v1/webhooks/event-types', { token: customer.token })).status).toBe(403);
    const openapi = await app.http.get('/openapi.json');
    expect(openapi.body.paths['/v1/webhooks/event-types'].get).toBeDefined();
  });
});

describe.each(messagingKinds.filter((k) => k === 'nats'))('stray messages on the broker (%s)', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind);
  });
  afterAll(() => app.stop());

  it('drops a message on the stream that is not one of its envelopes, counts it, and handles the next', async () => {
    const nats = app.orderly.config.messaging.nats!;
    const nc = await connect({ servers: nats.servers });
    try {
      const js = jetstream(nc);
      for (let p = 0; p < nats.partitions; p += 1) await js.publish(`${nats.stream.toLowerCase()}.search.${p}`, 'not an envelope');
    } finally {
      await nc.close();
    }
    const product = await app.product({
      title: 'Stray-proof stool',
      variants: [{ sku: uniqueSku('STR'), price: { amount: 300, currency: 'USD' }, stock: 1 }],
    });
    await eventually('the product searchable after the strays', async () => {
      const res = await app.http.get('/v1/search?q=stool');
      return res.body.items.some((i: { id: string }) => i.id === product.id);
    });
    expect(await metricValue(app.http, 'orderly_messages_unreadable_total', { group: 'search' })).toBe(nats.partitions);
  });
});
