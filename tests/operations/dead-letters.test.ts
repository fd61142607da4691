import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, uniqueSku, type TestApp } from '../support/app.js';
import { messagingKinds } from '../support/databases.js';
import { placeOrder, waitForOrder } from '../support/orders.js';
import { eventually } from '../support/payment-sim.js';
import { startReceiver, type Receiver } from '../support/receiver.js';

const PHONE = '+14155550188';

// Dead letters of both kinds in one store: webhook deliveries (group webhooks) and the bus's (here an SMS the
// provider refused, and a message of a version no consumer knows). Filters pick among them; a bulk redrive
// sends back only what matches, and what it sends back is then handled.
describe.each(messagingKinds)('dead-letter filters and bulk redrive on %s', (kind) => {
  let app: TestApp;
  let receiver: Receiver;
  let receiverUp = false;
  const admin = () => ({ token: app.adminToken });
  const dlq = async (query = '') => {
    const res = await app.http.get(`/v1/admin/dlq?limit=100${query}`, admin());
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.items as any[];
  };
  const sms = async () =>
    (await app.http.get(`/v1/admin/sandbox/sms?limit=100&to=${encodeURIComponent(PHONE)}`, admin())).body.items as any[];

  beforeAll(async () => {
    receiver = await startReceiver(() => ({ status: receiverUp ? 200 : 500 }));
    app = await startApp(kind, {
      ORDERLY_WEBHOOK_ALLOW_PRIVATE: 'true',
      ORDERLY_WEBHOOK_RETRY_SCHEDULE: '50ms',
      ORDERLY_MESSAGE_MAX_ATTEMPTS: '2',
      ORDERLY_MESSAGE_RETRY_BASE_MS: '50',
    });
  });

  afterAll(async () => {
    await app?.stop();
    await receiver?.close();
  });

  it('lists, filters by group and type, redrives only what matches, and refuses bad filters', async () => {
    const endpoint = (await app.http.post('/v1/webhooks/endpoints', { url: receiver.url, events: ['product.created'] }, admin())).body;
    const products = [await app.product({ title: 'Dead lamp' }), await app.product({ title: 'Dead vase' })];
    // A producer with a bug: a version nobody consumes; search and the read cache dead-letter it at once.
    await app.orderly.bus.transaction((_tx, publish) =>
      publish([{ type: 'product.updated', version: 2, key: products[0].id, data: { product: products[0] } }]),
    );
    // The SMS provider is down: the order's SMS runs out of attempts.
    await app.http.put('/v1/admin/sandbox/sms/faults', { down: true }, admin());
    const customer = await app.customer();
    await app.http.put('/v1/me/notification-preferences', { sms: true, phone: PHONE }, { token: customer.token });
    const stocked = await app.product({
      title: 'SMS kettle',
      variants: [{ sku: uniqueSku('DLQ'), price: { amount: 900, currency: 'USD' }, stock: 5 }],
    });
    const order = await placeOrder(app, customer.token, { items: [{ variantId: stocked.variants[0].id, quantity: 1 }] });
    expect(order.status).toBe(202);
    await waitForOrder(app, customer.token, order.body.id, ['confirmed']);
    products.push(stocked);
    // Every SMS the customer is owed (the order's, and the welcome's when it came after the preference) failed.
    const smsNotifications = await eventually('the SMS notifications failed', async () => {
      const items = (await app.http.get('/v1/notifications?limit=100', { token: customer.token })).body.items as any[];
      const texts = items.filter((n) => n.channel === 'sms');
      return texts.some((n) => n.template === 'order_confirmed') && texts.every((n) => n.status === 'failed') ? texts : null;
    });

    const all = await eventually('every dead letter', async () => {
      const items = await dlq();
      const webhooks = items.filter((l) => l.group === 'webhooks' && l.key === endpoint.id);
      const smsLetters = items.filter((l) => l.group === 'notifications.sms');
      const versions = items.filter((l) => l.type === 'product.updated');
      return webhooks.length === 3 && smsLetters.length === smsNotifications.length && versions.length === 2 ? items : null;
    });
    const count = (letters: any[], group: string) => letters.filter((l) => l.group === group).length;
    const smsCount = count(all, 'notifications.sms');

    const byGroup = await dlq('&group=webhooks');
    expect(byGroup.length).toBe(3);
    expect(byGroup.every((l) => l.group === 'webhooks' && l.type === 'product.created')).toBe(true);
    const byType = await dlq('&type=product.updated');
    expect(byType.map((l) => l.group).sort()).toEqual(['catalog.read-cache', 'search']);
    expect(await dlq('&type=product.updated&group=search')).toHaveLength(1);
    expect(await dlq('&type=product.created&group=search')).toEqual([]);
    expect(await dlq('&group=no.such.group')).toEqual([]);
    // Filters page like the full list.
    const page = await app.http.get('/v1/admin/dlq?limit=1&type=product.updated', admin());
    expect(page.body.items).toHaveLength(1);
    const next = await app.http.get(`/v1/admin/dlq?limit=1&type=product.updated&cursor=${page.body.nextCursor}`, admin());
    expect(next.body.items).toHaveLength(1);
    expect(next.body.items[0].id).not.toBe(page.body.items[0].id);
    expect(next.body.nextCursor).toBeNull();

    // Bad filters change nothing and say why.
    for (const body of [{ group: '' }, { group: 42 }, { type: 'x'.repeat(200) }, { type: 'order confirmed' }, { kind: 'all' }, []]) {
      const res = await app.http.post('/v1/admin/dlq/redrive', body, admin());
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.code).toBe('validation_failed');
    }
    const badQuery = await app.http.get('/v1/admin/dlq?group=a%20b', admin());
    expect(badQuery.status).toBe(400);
    expect(badQuery.body.code).toBe('validation_failed');
    const customerTry = await app.http.post('/v1/admin/dlq/redrive', {}, { token: customer.token });
    expect(customerTry.status).toBe(403);
    expect((await app.http.post('/v1/admin/dlq/redrive', {})).status).toBe(401);
    expect(await dlq()).toHaveLength(all.length);

    // The SMS provider is back: redriving the SMS group sends it, and nothing else moved.
    await app.http.put('/v1/admin/sandbox/sms/faults', { down: false }, admin());
    const smsRedrive = await app.http.post('/v1/admin/dlq/redrive', { group: 'notifications.sms' }, admin());
    expect(smsRedrive.status).toBe(200);
    expect(smsRedrive.body).toEqual({ redriven: smsCount });
    await eventually('the SMS sent after the redrive', async () => (await sms()).some((m) => m.subject.includes(order.body.id)));
    const afterSms = await dlq();
    expect(count(afterSms, 'notifications.sms')).toBe(0);
    expect(count(afterSms, 'webhooks')).toBe(3);
    expect(afterSms.filter((l) => l.type === 'product.updated')).toHaveLength(2);

    // The receiver is back: a filter by type alone reaches the webhook deliveries, which are then delivered.
    receiverUp = true;
    const received = receiver.received.length;
    const webhookRedrive = await app.http.post('/v1/admin/dlq/redrive', { type: 'product.created' }, admin());
    expect(webhookRedrive.body).toEqual({ redriven: 3 });
    await eventually('the webhooks delivered', async () => receiver.received.length === received + 3);
    const delivered = receiver.received.slice(received).map((r) => JSON.parse(r.body).data.product.id);
    expect(delivered.sort()).toEqual(products.map((p) => p.id).sort());
    const left = await dlq();
    expect(left.map((l) => `${l.group}:${l.type}`).sort()).toEqual(['catalog.read-cache:product.updated', 'search:product.updated']);
    expect((await app.http.post('/v1/admin/dlq/redrive', { type: 'product.created' }, admin())).body).toEqual({ redriven: 0 });

    // One audit record per bulk redrive, with its filter and count.
    const audit = (await app.http.get('/v1/admin/audit?limit=100&action=dlq.redriven_matching', admin())).body.items;
    expect(audit.map((a: any) => a.after)).toEqual(
      expect.arrayContaining([
        { filter: { group: 'notifications.sms' }, redriven: smsCount },
        { filter: { type: 'product.created' }, redriven: 3 },
        { filter: { type: 'product.created' }, redriven: 0 },
      ]),
    );
    expect(audit).toHaveLength(3);
  });

  it('redrives everything with an empty filter', async () => {
    const before = await dlq();
    expect(before.map((l) => l.group).sort()).toEqual(['catalog.read-cache', 'search']);
    const res = await app.http.post('/v1/admin/dlq/redrive', {}, admin());
    expect(res.body).toEqual({ redriven: before.length });
    // Version 2 is still unknown to its consumers: they dead-letter it again, with a fresh id.
    const again = await eventually('dead-lettered again', async () => {
      const items = await dlq();
      return items.length === before.length ? items : null;
    });
    expect(again.map((l) => `${l.group}:${l.type}:${l.attempts}`).sort()).toEqual(before.map((l) => `${l.group}:${l.type}:1`).sort());
  });
});
