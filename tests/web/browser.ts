import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';

/** Debian's Chromium, never a downloaded one (.ci/run installs the package). */
export const CHROMIUM = process.env.ORDERLY_TEST_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.resolve('artifacts', 'screenshots');
export const STOREFRONT_DIR = path.resolve('dist', 'web', 'storefront');
export const CONSOLE_DIR = path.resolve('dist', 'web', 'console');

/** The storefront and the console as `npm start` would serve them: each built when missing or older than its sources. */
export function buildWeb(): void {
  const result = spawnSync(process.execPath, ['scripts/build-web.js'], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('the web apps did not build');
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/**
 * A fresh shopper (own storage) on the shop. Every request the page makes is recorded, so a test can prove
 * nothing left the shop's origin, and every script error fails the test that caused it.
 */
export async function shopper(browser: Browser, baseURL: string, viewport = { width: 1280, height: 900 }) {
  const context: BrowserContext = await browser.newContext({ baseURL, viewport });
  const page: Page = await context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(String(e)));
  return { context, page, requests, errors };
}

/** No serious or critical axe-core violation on what the page shows now. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    `accessibility of ${what}`,
  ).toEqual([]);
}

/** A full-page screenshot under artifacts/screenshots, once its images have loaded. */
export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  // Product pictures load lazily: scroll them into view once so a full-page picture shows them.
  await page.evaluate('window.scrollTo(0, document.body.scrollHeight)');
  await page.evaluate('window.scrollTo(0, 0)');
  await page.waitForFunction('[...document.images].every((img) => img.complete)', undefined, { timeout: 10_000 });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
