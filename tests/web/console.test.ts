import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, startApp, uniqueSku, type TestApp } from '../support/app.js';
import { placeOrder, waitForOrder } from '../support/orders.js';
import { eventually, startPaymentSim, type PaymentSimProcess } from '../support/payment-sim.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { CONSOLE_DIR, SCREENSHOTS, STOREFRONT_DIR, buildWeb, expectAccessible, launchBrowser, screenshot, shopper } from './browser.js';

let app: TestApp;
let sim: PaymentSimProcess;
let receiver: Receiver;
let browser: Browser;
let product: any;
let customer: { token: string; id: string; email: string };
let declinedOrderId: string;
/** The webhook receiver answers 500 until a test "fixes" it. */
let receiverBroken = true;

beforeAll(async () => {
  buildWeb();
  sim = await startPaymentSim();
  receiver = await startReceiver(() => (receiverBroken ? { status: 500 } : { status: 204 }));
  app = await startApp('sqlite', {
    PAYMENT_PROVIDER_URL: sim.url,
    ORDERLY_WEB_DIR: STOREFRONT_DIR,
    ORDERLY_CONSOLE_DIR: CONSOLE_DIR,
    ORDERLY_WEBHOOK_ALLOW_PRIVATE: 'true',
    // A failing receiver runs out of retries in a second, so the log shows every failed attempt at once.
    ORDERLY_WEBHOOK_RETRY_SCHEDULE: '100ms,100ms',
    ORDERLY_MESSAGE_MAX_ATTEMPTS: '3',
    ORDERLY_MESSAGE_RETRY_BASE_MS: '50',
  });
  product = await app.product({
    title: 'Console test mug',
    variants: [{ sku: uniqueSku('CON'), price: { amount: 1800, currency: 'USD' }, stock: 500 }],
  });
  customer = await app.customer();
  // A small day's trade for the overview: orders that went through and one whose card was declined.
  const items = [{ variantId: product.variants[0].id, quantity: 1 }];
  for (let i = 0; i < 4; i++) {
    const placed = await placeOrder(app, customer.token, { items });
    await waitForOrder(app, customer.token, placed.body.id, ['confirmed']);
  }
  const declined = await placeOrder(app, customer.token, { items, paymentToken: 'tok_declined' });
  expect(declined.status).toBe(202);
  await waitForOrder(app, customer.token, declined.body.id, ['cancelled']);
  declinedOrderId = declined.body.id;
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await sim?.stop();
  await receiver?.close();
});

/** An operator on the console, signed in through its own sign-in page. */
async function operator(viewport = { width: 1360, height: 900 }) {
  const visit = await shopper(browser, app.url, viewport);
  const { page } = visit;
  await page.goto('/admin');
  await page.waitForURL(/\/admin\/signin/);
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
  return visit;
}

async function section(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { name, level: 1 }).waitFor();
}

/** The page as an operator sees it: no serious axe violation, and a full-page picture in the artifacts. */
async function record(page: Page, name: string): Promise<void> {
  await expectAccessible(page, `console ${name}`);
  await screenshot(page, `console-${name}`);
}

describe('the operations console in a real browser', () => {
  it('signs an operator in and shows the orders on the overview, live', async () => {
    const { page, errors, context } = await operator();
    const confirmed = page.getByRole('list', { name: 'Orders by status' }).getByRole('link', { name: /confirmed/ });
    await expect.poll(() => confirmed.textContent()).toMatch(/^4\s*confirmed/);
    await expect(
      page
        .getByRole('list', { name: 'Orders by status' })
        .getByRole('link', { name: /cancelled/ })
        .textContent(),
    ).resolves.toMatch(/^1\s*cancelled/);
    await expect(page.getByRole('img', { name: /Orders per minute .* 5 placed, 4 confirmed, 1 cancelled/ }).count()).resolves.toBe(1);
    await page.getByRole('img', { name: /Latency per route/ }).waitFor();
    await page.getByRole('img', { name: /Webhook success/ }).waitFor();
    // The overview polls: a new order shows without a reload.
    const placed = await placeOrder(app, customer.token, { items: [{ variantId: product.variants[0].id, quantity: 1 }] });
    await waitForOrder(app, customer.token, placed.body.id, ['confirmed']);
    await expect.poll(() => confirmed.textContent(), { timeout: 15_000 }).toMatch(/^5\s*confirmed/);
    await record(page, 'overview');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows a cancelled order and why, step by step: the declined card and the stock released', async () => {
    const { page, errors, context } = await operator();
    await section(page, 'Orders');
    await page.getByLabel('Status').selectOption('cancelled');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/status=cancelled/);
    await expect.poll(() => page.getByRole('link', { name: /^ord_/ }).count()).toBe(1);
    await page.getByLabel('Customer email').fill(customer.email.toUpperCase());
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/email=/);
    await expect.poll(() => page.getByRole('link', { name: declinedOrderId, exact: true }).count()).toBe(1);
    // Days are UTC days, "To" included: today finds it, a range that ended yesterday does not.
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    await page.getByLabel('To (UTC day)').fill(yesterday);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('No orders match these filters.').waitFor();
    await page.getByLabel('From (UTC day)').fill(today);
    await page.getByLabel('To (UTC day)').fill(today);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByRole('link', { name: declinedOrderId, exact: true }).waitFor();
    await record(page, 'orders');

    await page.getByRole('link', { name: declinedOrderId, exact: true }).click();
    await page.getByRole('heading', { name: /^Order / }).waitFor();
    const saga = page.getByRole('list', { name: 'Saga steps, in order' });
    await saga.waitFor();
    const steps = saga.getByRole('listitem');
    await expect.poll(() => steps.count()).toBeGreaterThanOrEqual(3);
    const texts = await steps.allTextContents();
    const payment = texts.findIndex((t) => /authori[sz]e payment/i.test(t));
    expect(payment, texts.join('\n')).toBeGreaterThanOrEqual(0);
    expect(texts[payment]).toMatch(/failed/);
    expect(texts[payment]).toMatch(/declined/i);
    expect(texts.findIndex((t) => /reserve stock/i.test(t))).toBeLessThan(payment);
    const release = texts.findIndex((t) => /compensation/i.test(t) && /release stock/i.test(t));
    expect(release, texts.join('\n')).toBeGreaterThan(payment);
    expect(texts[release]).toMatch(/succeeded/);
    // Nothing left to cancel: the button says so by being unavailable.
    await expect(page.getByRole('button', { name: 'Cancel order' }).isDisabled()).resolves.toBe(true);
    await page.getByRole('heading', { name: 'Payment' }).waitFor();
    await record(page, 'order');

    // A confirmed order is cancelled from its page, after a confirmation that says what will happen.
    const confirmed = await placeOrder(app, customer.token, { items: [{ variantId: product.variants[0].id, quantity: 1 }] });
    await waitForOrder(app, customer.token, confirmed.body.id, ['confirmed']);
    await page.goto(`/admin/orders/${confirmed.body.id}`);
    await page.getByRole('button', { name: 'Cancel order' }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel this order?' });
    await dialog.getByText(/refunded/).waitFor();
    await dialog.getByRole('button', { name: 'Cancel the order' }).click();
    await waitForOrder(app, customer.token, confirmed.body.id, ['cancelled']);
    const steps2 = page.getByRole('list', { name: 'Saga steps, in order' }).getByRole('listitem');
    await expect
      .poll(
        async () => {
          await page.reload();
          await steps2.first().waitFor();
          return (await steps2.allTextContents()).some((t) => /refund payment/i.test(t) && /succeeded/.test(t));
        },
        { timeout: 20_000, interval: 500 },
      )
      .toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows a failing webhook endpoint in its attempts log, and "Replay" delivers once the receiver is fixed', async () => {
    const { page, errors, context } = await operator();
    await section(page, 'Webhooks');
    await page.getByText('Add an endpoint').click();
    await page.getByLabel('Endpoint URL').fill(receiver.url);
    await page.getByLabel('Description').fill('Fulfilment partner');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByText(/Copy it now: it is not shown again/).waitFor();
    await expect(page.getByText(/^whsec_/).count()).resolves.toBe(1);
    await page.getByRole('link', { name: receiver.url }).click();
    await page.getByRole('heading', { name: receiver.url }).waitFor();

    const placed = await placeOrder(app, customer.token, { items: [{ variantId: product.variants[0].id, quantity: 1 }] });
    await waitForOrder(app, customer.token, placed.body.id, ['confirmed']);
    await eventually('the receiver tried three times for order.created', async () => receiver.received.length >= 3);
    const rows = page
      .getByRole('table')
      .filter({ has: page.getByRole('columnheader', { name: 'Response' }) })
      .getByRole('row');
    await expect.poll(() => rows.filter({ hasText: 'failed' }).count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
    const failed = rows.filter({ hasText: 'order.created' }).filter({ hasText: '500' }).first();
    await failed.getByText('Request and response').click();
    await expect(failed.getByRole('rowheader', { name: 'webhook-signature' }).count()).resolves.toBe(1);
    await record(page, 'webhook');

    receiverBroken = false;
    const before = receiver.received.length;
    await failed.getByRole('button', { name: 'Replay', exact: true }).click();
    await page.getByText(/replayed to 1 endpoint/).waitFor();
    await eventually('the replay reached the receiver', async () => receiver.received.length > before);
    await expect
      .poll(() => rows.filter({ hasText: 'succeeded' }).filter({ hasText: 'order.created' }).count(), { timeout: 15_000 })
      .toBe(1);
    await page.getByRole('button', { name: 'Send test event' }).click();
    await page.getByText(/Test event .* queued/).waitFor();
    await expect.poll(() => rows.filter({ hasText: 'webhook.test' }).filter({ hasText: 'succeeded' }).count(), { timeout: 15_000 }).toBe(1);
    expect(receiver.received.some((r) => JSON.parse(r.body).type === 'webhook.test')).toBe(true);
    await section(page, 'Webhooks');
    await page.getByRole('heading', { name: 'Event types' }).waitFor();
    await record(page, 'webhooks');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('redrives a dead-lettered SMS once the sandbox is back, and the SMS is sent', async () => {
    const { page, errors, context } = await operator();
    const texter = await app.customer();
    await eventually('the welcome', async () =>
      (await app.http.get('/v1/notifications', { token: texter.token })).body.items.some((n: any) => n.template === 'welcome'),
    );
    const phone = '+14155550199';
    expect((await app.http.put('/v1/me/notification-preferences', { sms: true, phone }, { token: texter.token })).status).toBe(200);

    await section(page, 'Notifications');
    await page.getByRole('button', { name: 'Take SMS down' }).click();
    await page.getByText('Every send fails while down.').waitFor();
    const placed = await placeOrder(app, texter.token, { items: [{ variantId: product.variants[0].id, quantity: 1 }] });
    await waitForOrder(app, texter.token, placed.body.id, ['confirmed']);
    await record(page, 'notifications');

    await section(page, 'Dead letters');
    await page.getByLabel('Group').fill('notifications.sms');
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await page.waitForURL(/group=notifications\.sms/);
    const letter = page.getByRole('row').filter({ hasText: 'notification.sms' });
    await expect
      .poll(
        async () => {
          if ((await letter.count()) === 0) await page.reload();
          return letter.count();
        },
        { timeout: 20_000, interval: 1000 },
      )
      .toBe(1);
    await expect(letter.getByRole('cell').nth(3).textContent()).resolves.toBe('3');
    await letter.getByText(/^Message /).click();
    await record(page, 'dead-letters');

    await section(page, 'Notifications');
    await page.getByRole('button', { name: 'Bring SMS back up' }).click();
    await page.getByText('Sends go through.').first().waitFor();
    await section(page, 'Dead letters');
    await page.getByLabel('Group').fill('notifications.sms');
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await letter.getByRole('button', { name: 'Redrive', exact: true }).click();
    await page.getByText(/sent to notifications\.sms again/).waitFor();
    await page.getByText(/No dead letters match this filter/).waitFor();

    await section(page, 'Notifications');
    const sms = page.getByRole('region', { name: 'SMS sandbox', exact: true });
    await expect
      .poll(
        async () => {
          await page.getByRole('button', { name: 'Refresh sms sandbox' }).click();
          return sms.getByRole('row').filter({ hasText: placed.body.id }).count();
        },
        { timeout: 20_000, interval: 500 },
      )
      .toBe(1);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('lets an operator adjust stock with a reason, read the ledger, create a product with variants, reprice and archive it', async () => {
    const { page, errors, context } = await operator();
    await section(page, 'Catalog');
    await page.getByRole('link', { name: 'Console test mug' }).click();
    await page.getByRole('heading', { name: 'Console test mug', level: 1 }).waitFor();
    const sku = product.variants[0].sku;
    await page.getByLabel('Change (+/− units)').fill('-2');
    await page.getByLabel('Reason').fill('two broken in the stockroom');
    await page.getByRole('button', { name: 'Adjust stock' }).click();
    await page.getByRole('cell', { name: 'two broken in the stockroom' }).waitFor();
    const stock = (await app.http.get(`/v1/inventory/${sku}`, { token: app.adminToken })).body;
    const panel = page.getByRole('region', { name: new RegExp(sku) });
    await expect(panel.getByRole('definition').first().textContent()).resolves.toBe(String(stock.available));
    await record(page, 'product');

    // A new product with two variants, its price changed, then archived after a confirmation.
    await section(page, 'Catalog');
    await page.getByText('Create a product').click();
    const form = page.locator('form').filter({ has: page.getByRole('button', { name: 'Create product' }) });
    await form.getByLabel('Title', { exact: true }).fill('Console travel flask');
    await form.getByLabel('Category').fill('outdoor');
    await form.getByLabel('Description').fill('Keeps tea hot for a day.');
    await form.getByRole('button', { name: 'Add a variant' }).click();
    const skus = [uniqueSku('FLK'), uniqueSku('FLK')];
    for (const [i, variant] of [
      { sku: skus[0]!, title: '0.5 l', price: '24.00', stock: '12' },
      { sku: skus[1]!, title: '1 l', price: '31.50', stock: '4' },
    ].entries()) {
      await form.getByLabel('SKU').nth(i).fill(variant.sku);
      await form.getByLabel('Variant title').nth(i).fill(variant.title);
      await form.getByLabel('Price', { exact: true }).nth(i).fill(variant.price);
      await form.getByLabel('Initial stock').nth(i).fill(variant.stock);
    }
    await form.getByRole('button', { name: 'Create product' }).click();
    await page.getByRole('heading', { name: 'Console travel flask', level: 1 }).waitFor();
    await page.getByLabel(`Price of ${skus[1]} (USD)`).fill('29.90');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved.').waitFor();
    const created = (await app.http.get('/v1/products?limit=5')).body.items.find((p: any) => p.title === 'Console travel flask');
    expect(created.variants.map((v: any) => v.price.amount).sort()).toEqual([2400, 2990]);
    await expect(
      page
        .getByRole('region', { name: new RegExp(skus[1]!) })
        .getByRole('definition')
        .first()
        .textContent(),
    ).resolves.toBe('4');
    await page.getByRole('button', { name: 'Archive product' }).click();
    await page.getByRole('dialog', { name: 'Archive this product?' }).getByRole('button', { name: 'Archive' }).click();
    await page.getByRole('button', { name: 'Restore product' }).waitFor();
    expect((await app.http.get(`/v1/products/${created.id}`, { token: app.adminToken })).body.status).toBe('archived');

    await section(page, 'Catalog');
    await page.getByRole('link', { name: 'Console test mug' }).waitFor();
    await record(page, 'catalog');
    await section(page, 'Provider & edge');
    await page.getByRole('heading', { name: 'Circuit breakers' }).waitFor();
    await page.getByRole('heading', { name: /Rate limits/ }).waitFor();
    await record(page, 'edge');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('sends a signed-out visitor and a customer to sign in, and makes no admin call for them', async () => {
    const visitor = await shopper(browser, app.url);
    await visitor.page.goto('/admin/orders');
    await visitor.page.waitForURL(/\/admin\/signin\?next=%2Fadmin%2Forders/);
    await visitor.page.getByText('Sign in with an admin account to use the console.').waitFor();
    expect(visitor.requests.filter((u) => new URL(u).pathname.startsWith('/v1/'))).toEqual([]);
    await record(visitor.page, 'signin');
    await visitor.context.close();

    // A customer signed in on the shop (the same origin) opens the console: only GET /v1/me is asked.
    const shopper2 = await shopper(browser, app.url);
    const me = (await app.http.get('/v1/me', { token: customer.token })).body;
    const session = JSON.stringify({ token: customer.token, user: me });
    await shopper2.context.addInitScript(`localStorage.setItem('orderly.session', ${JSON.stringify(session)})`);
    await shopper2.page.goto('/admin');
    await shopper2.page.waitForURL(/\/admin\/signin/);
    await shopper2.page.getByText(`${customer.email} is not an admin account.`, { exact: false }).waitFor();
    const apiCalls = () => shopper2.requests.filter((u) => new URL(u).pathname.startsWith('/v1/')).map((u) => new URL(u).pathname);
    expect(apiCalls()).toEqual(['/v1/me']);
    await expect(shopper2.page.getByRole('navigation', { name: 'Sections' }).count()).resolves.toBe(0);

    // Signing in on the console with a customer's password is refused too, and that session is ended at once.
    await shopper2.page.getByLabel('Email').fill(customer.email);
    await shopper2.page.getByLabel('Password').fill('correct-horse-1');
    await shopper2.page.getByRole('button', { name: 'Sign in' }).click();
    await shopper2.page.getByRole('alert').filter({ hasText: 'is not an admin account' }).waitFor();
    expect(apiCalls()).toEqual(['/v1/me', '/v1/auth/login', '/v1/auth/logout']);
    expect(shopper2.errors).toEqual([]);
    await shopper2.context.close();
  });

  it('shows the whole day on the overview (the README picture), then redrives every dead letter left after a confirmation', async () => {
    const { page, errors, context } = await operator({ width: 1440, height: 900 });
    await page.getByRole('img', { name: /Webhook success, last hour: \d/ }).waitFor({ timeout: 15_000 });
    await page.getByRole('img', { name: /Cache hit ratio: \d/ }).waitFor();
    await expectAccessible(page, 'console overview after the day');
    await screenshot(page, 'console-overview-day');
    fs.copyFileSync(path.join(SCREENSHOTS, 'console-overview-day.png'), path.resolve('docs', 'console.png'));

    // The webhook deliveries that ran out of retries while the receiver failed: all redriven at once, after a confirmation.
    await section(page, 'Dead letters');
    const waiting = (await app.http.get('/v1/admin/dlq?limit=100', { token: app.adminToken })).body.items.length;
    expect(waiting).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Redrive all matching' }).click();
    const dialog = page.getByRole('dialog', { name: 'Redrive all matching dead letters?' });
    await dialog.getByText(/every dead letter to its consumer group again/).waitFor();
    await dialog.getByRole('button', { name: 'Redrive them all' }).click();
    await page.getByText(`${waiting} dead ${waiting === 1 ? 'letter' : 'letters'} sent to their groups again.`).waitFor();
    await page.getByText(/No dead letters\. Every message was handled\./).waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });
});
