import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/payment-sim.js';
import { expectAccessible, launchBrowser, screenshot, shopper } from './browser.js';
import { openTestShop, type TestShop } from './shop.js';

let shop: TestShop;
let browser: Browser;

beforeAll(async () => {
  shop = await openTestShop();
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await shop?.stop();
});

const address = { Name: 'Ada Shopper', 'Address line 1': '1 Market Street', City: 'Springfield', 'Postal code': '12345' };

async function signUp(page: Page, email: string): Promise<void> {
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Name').fill('Ada Shopper');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('correct-horse-1');
  await page.getByRole('button', { name: 'Create account' }).click();
}

async function fillAddress(page: Page, card: string): Promise<void> {
  for (const [field, value] of Object.entries(address)) await page.getByLabel(field, { exact: true }).fill(value);
  await page.getByLabel('Country').selectOption('US');
  await page.getByLabel('Card').selectOption(card);
}

async function addProduct(page: Page, title: string): Promise<void> {
  await page.getByRole('link', { name: title, exact: true }).click();
  await expect.poll(() => page.getByText(/In stock|Only \d+ left/).count()).toBeGreaterThan(0);
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await page.getByText(`to your cart`).waitFor();
}

const emailOf = (label: string) => `${label}-${Date.now().toString(36)}@orderly.test`;

describe('the storefront in a real browser', () => {
  it('takes a shopper from search to a confirmed order, with its email in the mailbox', async () => {
    const { page, requests, errors, context } = await shopper(browser, shop.app.url);
    await page.goto('/');
    await page.getByRole('heading', { name: 'New products' }).waitFor();
    await page.getByRole('link', { name: 'Porcelain espresso cup' }).waitFor();
    await expectAccessible(page, 'home');
    await screenshot(page, 'home');

    await page.getByRole('searchbox', { name: 'Search' }).fill('espresso');
    await page.waitForURL(/\/search\?q=espresso/);
    await page.getByRole('link', { name: 'Espresso tamper' }).waitFor();
    await page.getByRole('checkbox', { name: /Kitchen/ }).check();
    await page.waitForURL(/category=kitchen/);
    await expect.poll(() => page.getByRole('link', { name: 'Espresso tamper' }).count()).toBe(0);
    await expect(page.getByRole('checkbox', { name: /Kitchen/ }).textContent()).resolves.toBeDefined();
    await expectAccessible(page, 'search');
    await screenshot(page, 'search');
    // The back button walks the search back: the facet goes, the query stays.
    await page.goBack();
    await page.getByRole('link', { name: 'Espresso tamper' }).waitFor();
    expect(page.url()).toMatch(/q=espresso/);
    await page.goForward();
    await page.waitForURL(/category=kitchen/);

    await page.getByRole('link', { name: 'Porcelain espresso cup' }).click();
    await page.getByRole('heading', { name: 'Porcelain espresso cup' }).waitFor();
    await page.getByRole('radio', { name: /black/ }).check();
    await expect.poll(() => page.getByText('In stock').count()).toBe(1);
    await expectAccessible(page, 'product');
    await screenshot(page, 'product');
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.getByText('to your cart').waitFor();
    await page.goBack();
    await addProduct(page, 'Steel espresso kettle');
    await page.getByRole('link', { name: /Cart, 2 items/ }).click();

    await page.getByRole('heading', { name: 'Your cart' }).waitFor();
    await expectAccessible(page, 'cart');
    await screenshot(page, 'cart');
    await page.getByRole('button', { name: 'Checkout' }).click();

    const email = emailOf('journey');
    await signUp(page, email);
    await page.getByLabel('Address line 1').waitFor();
    // The cart gathered while signed out moved to the account.
    const token = await page.evaluate<string>("JSON.parse(localStorage.getItem('orderly.session')).token");
    expect((await shop.app.http.get('/v1/cart', { token })).body.items).toHaveLength(2);
    await page.getByRole('button', { name: 'Place order' }).click();
    await page.getByText('City is required.').waitFor();
    await fillAddress(page, 'tok_visa');
    await expectAccessible(page, 'checkout');
    await screenshot(page, 'checkout');
    await page.getByRole('button', { name: 'Place order' }).click();

    await page.waitForURL(/\/orders\/ord_/);
    await expect.poll(() => page.getByRole('status').textContent(), { timeout: 20_000 }).toMatch(/Confirmed/);
    await page
      .getByRole('listitem')
      .filter({ hasText: /Confirmed/ })
      .first()
      .waitFor();
    await expectAccessible(page, 'order');
    await screenshot(page, 'order');
    const orderId = page.url().split('/orders/')[1]!;

    const mail = await eventually('the confirmation email', async () => {
      const box = await shop.app.http.get(`/v1/admin/mailbox?to=${encodeURIComponent(email)}`, { token: shop.app.adminToken });
      return box.body.items.find((m: any) => m.subject === `Order ${orderId} confirmed`);
    });
    expect(mail.to).toBe(email);

    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByRole('link', { name: orderId }).waitFor();
    await page.getByRole('checkbox', { name: 'SMS' }).waitFor();
    await expect.poll(() => page.getByText(/Order confirmed · email/).count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await expectAccessible(page, 'account');
    await screenshot(page, 'account');

    const origin = new URL(shop.app.url).origin;
    expect(requests.filter((url) => !url.startsWith(origin) && !url.startsWith('data:'))).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('says plainly when the card is declined, and when a product is sold out', async () => {
    const { page, context } = await shopper(browser, shop.app.url);
    await page.goto(`/products/${shop.products.soldOut.id}`);
    await page.getByText('Sold out', { exact: true }).waitFor();
    expect(await page.getByRole('button', { name: 'Add to cart' }).isDisabled()).toBe(true);
    await page
      .getByRole('alert')
      .filter({ hasText: /cannot be ordered/ })
      .waitFor();
    await screenshot(page, 'product-sold-out');

    await page.goto(`/products/${shop.products.lowStock.id}`);
    await page.getByText('Only 3 left').waitFor();
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.getByText('to your cart').waitFor();
    await page.goto('/checkout');
    await signUp(page, emailOf('declined'));
    await fillAddress(page, 'tok_declined');
    await page.getByRole('button', { name: 'Place order' }).click();
    await page.waitForURL(/\/orders\/ord_/);
    await expect.poll(() => page.getByRole('status').textContent(), { timeout: 20_000 }).toMatch(/Cancelled.*card was declined/);
    await expectAccessible(page, 'cancelled order');
    await screenshot(page, 'order-declined');
    await context.close();
  });

  it('makes one order of a double click on "Place order", even when the answer is lost and the page retries', async () => {
    const { page, context } = await shopper(browser, shop.app.url);
    await page.goto(`/products/${shop.products.knife.id}`);
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.getByText('to your cart').waitFor();
    await page.goto('/checkout');
    await signUp(page, emailOf('double'));
    await fillAddress(page, 'tok_visa');
    // The first answer is lost on the way back (the order was made): the page retries with the same key.
    const keys: string[] = [];
    await page.route('**/v1/orders', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      keys.push(route.request().headers()['idempotency-key']!);
      if (keys.length > 1) return route.continue();
      await route.fetch();
      return route.abort('connectionreset');
    });
    await page.getByRole('button', { name: 'Place order' }).dblclick();
    await page.waitForURL(/\/orders\/ord_/);
    const token = await page.evaluate<string>("JSON.parse(localStorage.getItem('orderly.session')).token");
    const orders = await shop.app.http.get('/v1/orders', { token });
    expect(orders.body.items).toHaveLength(1);
    expect(keys.length).toBe(2);
    expect(new Set(keys).size).toBe(1);
    expect(page.url()).toContain(orders.body.items[0].id);
    await context.close();
  });

  it('works on a phone (390×844): no sideways scrolling, and the cart and product pages are usable', async () => {
    const { page, context, errors } = await shopper(browser, shop.app.url, { width: 390, height: 844 });
    await page.goto('/');
    await page.getByRole('link', { name: 'Porcelain espresso cup' }).waitFor();
    const fits = () => page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth');
    expect(await fits()).toBe(true);
    await screenshot(page, 'mobile-home');
    await page.getByRole('searchbox', { name: 'Search' }).fill('kettle');
    await page.getByRole('link', { name: 'Steel espresso kettle' }).click();
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.getByText('to your cart').waitFor();
    expect(await fits()).toBe(true);
    await screenshot(page, 'mobile-product');
    await page.getByRole('link', { name: /Cart, 1 item/ }).click();
    await page.getByRole('button', { name: 'Checkout' }).waitFor();
    expect(await fits()).toBe(true);
    await expectAccessible(page, 'mobile cart');
    await screenshot(page, 'mobile-cart');
    expect(errors).toEqual([]);
    await context.close();
  });
});
