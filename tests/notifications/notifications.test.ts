import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../support/app.js';
import { messagingKinds } from '../support/databases.js';
import { metricValue } from '../support/metrics.js';
import { placeOrder, waitForOrder } from '../support/orders.js';
import { eventually } from '../support/payment-sim.js';

const PHONE = '+14155550123';

async function notifications(app: TestApp, token: string): Promise<any[]> {
  return (await app.http.get('/v1/notifications?limit=100', { token })).body.items;
}

async function sandbox(app: TestApp, channel: string, to: string): Promise<any[]> {
  return (await app.http.get(`/v1/admin/sandbox/${channel}?limit=100&to=${encodeURIComponent(to)}`, { token: app.adminToken })).body.items;
}

/** A new customer once its welcome is out, so preferences set next apply to later events only. */
async function welcomed(app: TestApp): Promise<{ token: string; id: string; email: string }> {
  const customer = await app.customer();
  await eventually('the welcome notification', async () =>
    (await notifications(app, customer.token)).some((n) => n.template === 'welcome'),
  );
  return customer;
}

async function buy(app: TestApp, token: string, product: any): Promise<string> {
  const res = await placeOrder(app, token, { items: [{ variantId: product.variants[0].id, quantity: 1 }] });
  expect(res.status).toBe(202);
  await waitForOrder(app, token, res.body.id, ['confirmed']);
  return res.body.id;
}

// Every message is handed to its handlers twice, concurrently: each notification must still go out once.
describe.each(messagingKinds)('notifications on %s (every message delivered twice)', (kind) => {
  let app: TestApp;
  let product: any;

  beforeAll(async () => {
    app = await startApp(kind, {
      ORDERLY_DUPLICATE_DELIVERY: 'true',
      ORDERLY_MESSAGE_MAX_ATTEMPTS: '3',
      ORDERLY_MESSAGE_RETRY_BASE_MS: '50',
    });
    product = await app.product({
      title: 'Notified mug',
      variants: [{ sku: `NTF-${kind}-${Date.now()}`, price: { amount: 1500, currency: 'USD' }, stock: 100 }],
    });
  });

  afterAll(async () => {
    await app?.stop();
  });

  it('welcomes a new customer by email, once, into the embedded mailbox', async () => {
    const customer = await app.customer();
    const mail = await eventually('the welcome email', async () => {
      const res = await app.http.get(`/v1/admin/mailbox?to=${encodeURIComponent(customer.email)}`, { token: app.adminToken });
      return res.body.items.length > 0 ? res.body.items : null;
    });
    expect(mail).toHaveLength(1);
    expect(mail[0]).toMatchObject({ to: customer.email, subject: 'Welcome to Orderly' });
    expect(mail[0].text).toContain('Hello Test Buyer');
    const mine = await eventually('marked sent', async () => {
      const items = await notifications(app, customer.token);
      return items[0]?.status === 'sent' ? items : null;
    });
    expect(mine).toEqual([expect.objectContaining({ channel: 'email', template: 'welcome', status: 'sent', attempts: 0 })]);
    const other = await app.customer();
    expect((await notifications(app, other.token)).every((n) => n.template === 'welcome')).toBe(true);
    expect((await app.http.get('/v1/admin/mailbox', { token: customer.token })).status).toBe(403);
  });

  it('keeps preferences, refuses SMS without a phone, and notifies on every channel chosen', async () => {
    const customer = await welcomed(app);
    const defaults = await app.http.get('/v1/me/notification-preferences', { token: customer.token });
    expect(defaults.body).toEqual({ email: true, sms: false, push: false, phone: null });
    for (const body of [{ sms: true }, { phone: '555-0123' }, { email: 'yes' }, { push: null }]) {
      const res = await app.http.put('/v1/me/notification-preferences', body, { token: customer.token });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    }
    expect((await app.http.get('/v1/me/notification-preferences', { token: customer.token })).body).toEqual(defaults.body);
    const set = await app.http.put('/v1/me/notification-preferences', { sms: true, push: true, phone: PHONE }, { token: customer.token });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ email: true, sms: true, push: true, phone: PHONE });

    const orderId = await buy(app, customer.token, product);
    const sms = await eventually('the SMS', async () => (await sandbox(app, 'sms', PHONE)).find((m) => m.subject.includes(orderId)));
    expect(sms.text).toBe(`We have your order ${orderId} (15.00 USD) and are getting it ready.`);
    await eventually('the push', async () => (await sandbox(app, 'push', customer.id)).find((m) => m.subject.includes(orderId)));
    await eventually('all three sent', async () => {
      const confirmed = (await notifications(app, customer.token)).filter((n) => n.template === 'order_confirmed');
      return confirmed.length === 3 && confirmed.every((n) => n.status === 'sent');
    });

    // Email off: the cancellation goes by SMS and push only.
    await app.http.put('/v1/me/notification-preferences', { email: false }, { token: customer.token });
    expect((await app.http.post(`/v1/orders/${orderId}/cancel`, undefined, { token: customer.token })).status).toBe(202);
    await eventually('cancel and refund notified', async () => {
      const templates = (await notifications(app, customer.token)).map((n) => `${n.template}:${n.channel}`);
      return ['order_cancelled:sms', 'order_cancelled:push', 'payment_refunded:sms', 'payment_refunded:push'].every((t) =>
        templates.includes(t),
      );
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const all = await notifications(app, customer.token);
    expect(
      all
        .filter((n) => n.channel === 'email')
        .map((n) => n.template)
        .sort(),
    ).toEqual(['order_confirmed', 'welcome']);
    // Exactly one message per (event, channel) despite every delivery arriving twice.
    const keys = (await sandbox(app, 'sms', PHONE)).map((m) => m.notificationId);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toHaveLength(3);
  });

  it('retries a failing provider, dead-letters what runs out of retries, and sends it on redrive', async () => {
    const customer = await welcomed(app);
    await app.http.put('/v1/me/notification-preferences', { sms: true, phone: '+447700900123' }, { token: customer.token });
    const faults = await app.http.put('/v1/admin/sandbox/sms/faults', { failNext: 2 }, { token: app.adminToken });
    expect(faults.body).toEqual({ failNext: 2, down: false });
    // What the console shows before it changes anything: the switches as they stand.
    expect((await app.http.get('/v1/admin/sandbox/sms/faults', { token: app.adminToken })).body).toEqual({ failNext: 2, down: false });
    expect((await app.http.get('/v1/admin/sandbox/sms/faults', { token: customer.token })).status).toBe(403);
    await buy(app, customer.token, product);
    const retried = await eventually('sent after two failures', async () => {
      const n = (await notifications(app, customer.token)).find((x) => x.channel === 'sms');
      return n?.status === 'sent' ? n : null;
    });
    // Both copies of a duplicated delivery may meet a fault, so the failures took one or two attempts.
    expect(retried.attempts).toBeGreaterThanOrEqual(1);
    expect(await metricValue(app.http, 'orderly_notifications_total', { channel: 'sms', outcome: 'retried' })).toBeGreaterThanOrEqual(1);
    expect((await sandbox(app, 'sms', '+447700900123')).filter((m) => m.notificationId === retried.id)).toHaveLength(1);

    await app.http.put('/v1/admin/sandbox/sms/faults', { down: true }, { token: app.adminToken });
    const deadBefore = await metricValue(app.http, 'orderly_notifications_dead_lettered_total', { channel: 'sms' });
    const orderId = await buy(app, customer.token, product);
    const failed = await eventually('dead-lettered', async () => {
      const n = (await notifications(app, customer.token)).find((x) => x.channel === 'sms' && x.status === 'failed');
      return n ?? null;
    });
    expect(failed.attempts).toBe(3);
    expect(await metricValue(app.http, 'orderly_notifications_dead_lettered_total', { channel: 'sms' })).toBe(deadBefore + 1);
    expect(await metricValue(app.http, 'orderly_notifications_failed', { channel: 'sms' })).toBeGreaterThanOrEqual(1);
    // The notification is marked failed before the bus writes the dead letter, in a transaction of its own.
    const letter = await eventually('listed as a dead letter', async () =>
      (await app.http.get('/v1/admin/dlq?limit=100', { token: app.adminToken })).body.items.find(
        (l: any) => l.group === 'notifications.sms',
      ),
    );
    expect(letter).toMatchObject({ type: 'notification.sms', attempts: 3 });

    await app.http.put('/v1/admin/sandbox/sms/faults', { down: false }, { token: app.adminToken });
    expect((await app.http.post(`/v1/admin/dlq/${letter.id}/redrive`, undefined, { token: app.adminToken })).status).toBe(202);
    await eventually('sent after the redrive', async () =>
      (await sandbox(app, 'sms', '+447700900123')).some((m) => m.subject.includes(orderId)),
    );
    await eventually('marked sent', async () => (await notifications(app, customer.token)).every((n) => n.status === 'sent'));
  });
});

describe.each(messagingKinds)('notification rate limits on %s', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp(kind, { ORDERLY_NOTIFICATION_USER_LIMIT: '2/2', ORDERLY_NOTIFICATION_CHANNEL_LIMITS: 'push=1/1' });
  });

  afterAll(async () => {
    await app?.stop();
  });

  it('holds back, and does not drop, what goes over a per-user or a per-channel limit', async () => {
    const product = await app.product({
      variants: [{ sku: `RATE-${kind}-${Date.now()}`, price: { amount: 900, currency: 'USD' }, stock: 50 }],
    });
    const customer = await welcomed(app);
    await app.http.put('/v1/me/notification-preferences', { push: true }, { token: customer.token });
    for (let i = 0; i < 3; i += 1) await buy(app, customer.token, product);
    // The welcome email and three confirmations, at 2 per 2 s for this user, and pushes at 1/s for everyone.
    const sent = await eventually(
      'all sent',
      async () => {
        const items = await notifications(app, customer.token);
        return items.length === 7 && items.every((n) => n.status === 'sent') ? items : null;
      },
      30_000,
    );
    const spread = (channel: string) => {
      const times = sent.filter((n) => n.channel === channel).map((n) => Date.parse(n.sentAt));
      return Math.max(...times) - Math.min(...times);
    };
    expect(spread('email')).toBeGreaterThanOrEqual(1500);
    expect(spread('push')).toBeGreaterThanOrEqual(1500);
    expect(await metricValue(app.http, 'orderly_notifications_total', { channel: 'email', outcome: 'deferred' })).toBeGreaterThan(0);
    expect(await metricValue(app.http, 'orderly_notifications_total', { channel: 'push', outcome: 'deferred' })).toBeGreaterThan(0);
    expect(sent.every((n) => n.attempts === 0)).toBe(true);
  });
});

describe('notification email over SMTP', () => {
  let app: TestApp;
  let smtp: SMTPServer;
  const inbox: { to: string[]; raw: string }[] = [];

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, session, callback) {
        let raw = '';
        stream
          .setEncoding('utf8')
          .on('data', (chunk: string) => (raw += chunk))
          .on('end', () => {
            inbox.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
            callback();
          });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const { port } = smtp.server.address() as { port: number };
    app = await startApp('sqlite', { SMTP_URL: `smtp://127.0.0.1:${port}`, ORDERLY_MAIL_FROM: 'Shop <shop@orderly.test>' });
  });

  afterAll(async () => {
    await app?.stop();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  it('sends through a real SMTP server, with the notification id as Message-ID, and keeps nothing in the mailbox', async () => {
    const customer = await app.customer();
    const mail = await eventually('the email at the SMTP server', async () => inbox.find((m) => m.to.includes(customer.email)));
    expect(mail.raw).toMatch(/^Subject: Welcome to Orderly$/m);
    expect(mail.raw).toMatch(/^From: Shop <shop@orderly\.test>$/m);
    const sent = await eventually('marked sent', async () => (await notifications(app, customer.token)).find((n) => n.status === 'sent'));
    expect(mail.raw).toContain(`Message-ID: <${sent.id}@orderly>`);
    expect((await app.http.get('/v1/admin/mailbox', { token: app.adminToken })).body.items).toEqual([]);
    expect((await app.http.put('/v1/admin/sandbox/email/faults', { down: true }, { token: app.adminToken })).status).toBe(404);
  });
});
