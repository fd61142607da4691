import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../support/app.js';
import { CONSOLE_DIR, STOREFRONT_DIR, buildWeb } from './browser.js';

/** A JSON body as the loosely typed value a test inspects. */
const json = (res: Response): Promise<any> => res.json();

let app: TestApp;
let assets: string[];
let consoleAssets: string[];

beforeAll(async () => {
  buildWeb();
  app = await startApp('sqlite', { ORDERLY_WEB_DIR: STOREFRONT_DIR, ORDERLY_CONSOLE_DIR: CONSOLE_DIR });
  const html = await (await fetch(`${app.url}/`)).text();
  assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
  const consoleHtml = await (await fetch(`${app.url}/admin`)).text();
  consoleAssets = [...consoleHtml.matchAll(/(?:src|href)="(\/admin\/assets\/[^"]+)"/g)].map((m) => m[1]!);
});

afterAll(async () => {
  await app?.stop();
});

describe('the storefront as a CDN wants it, beside an API left as it was', () => {
  it('serves index.html on the client routes, no-cache with an ETag that answers 304, under a strict CSP', async () => {
    for (const path of ['/', '/search?q=cup', '/products/prd_x', '/cart', '/checkout', '/signin', '/orders/ord_x', '/account']) {
      const res = await fetch(`${app.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    }
    const first = await fetch(`${app.url}/`);
    expect(first.headers.get('cache-control')).toBe('no-cache');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"/);
    expect((await fetch(`${app.url}/`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    const csp = first.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(first.headers.get('x-content-type-options')).toBe('nosniff');
    expect(first.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('serves content-hashed assets immutable for a year, compressed with Brotli or gzip', async () => {
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    for (const asset of assets) {
      expect(asset).toMatch(/-[\w-]{8}\.(js|css)$/);
      const br = await fetch(`${app.url}${asset}`, { headers: { 'accept-encoding': 'br' } });
      expect(br.status).toBe(200);
      expect(br.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(br.headers.get('content-encoding')).toBe('br');
      const gzip = await fetch(`${app.url}${asset}`, { headers: { 'accept-encoding': 'gzip' } });
      expect(gzip.headers.get('content-encoding')).toBe('gzip');
    }
    expect((await fetch(`${app.url}/assets/nothing-here.js`)).status).toBe(404);
  });

  it('keeps the first-load JavaScript under 100 KB gzipped', async () => {
    let total = 0;
    for (const asset of assets.filter((a) => a.endsWith('.js'))) {
      const res = await fetch(`${app.url}${asset}`, { headers: { 'accept-encoding': 'gzip' } });
      // fetch inflates the body; the wire size is what the browser downloads.
      const raw = await res.arrayBuffer();
      const { gzipSync } = await import('node:zlib');
      total += gzipSync(Buffer.from(raw)).length;
    }
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThan(100 * 1024);
  });

  it('answers an image for any product, a picture of its own when one was generated', async () => {
    const res = await fetch(`${app.url}/images/products/prd_unknown.svg`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(await res.text()).toContain('<svg');
    expect((await fetch(`${app.url}/images/products/..%2F..%2Fetc%2Fpasswd`)).headers.get('content-type')).toMatch(/svg/);
  });

  it('leaves the API as it was: no storefront headers on /v1, unknown /v1 paths still a problem+json 404', async () => {
    const api = await fetch(`${app.url}/v1/products`);
    expect(api.status).toBe(200);
    expect(api.headers.get('content-security-policy')).toBeNull();
    expect(api.headers.get('x-frame-options')).toBeNull();
    expect(api.headers.get('content-type')).toMatch(/^application\/json/);
    for (const path of ['/v1/nope', '/v1/orders/ord_1/nope', '/nowhere']) {
      const res = await fetch(`${app.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect((await json(res)).code).toBe('not_found');
    }
    expect((await fetch(`${app.url}/healthz`)).headers.get('content-security-policy')).toBeNull();
  });

  it('serves the console at /admin and its client routes, under the same CSP, its hashed assets under /admin/assets/', async () => {
    const routes = ['/admin', '/admin/', '/admin/signin', '/admin/orders?status=cancelled', '/admin/orders/ord_x', '/admin/catalog'];
    for (const path of [...routes, '/admin/catalog/prd_x', '/admin/dead-letters', '/admin/webhooks', '/admin/webhooks/whe_x']) {
      const res = await fetch(`${app.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await res.text()).toContain('Orderly console');
    }
    for (const path of ['/admin/notifications', '/admin/edge']) expect((await fetch(`${app.url}${path}`)).status, path).toBe(200);
    const first = await fetch(`${app.url}/admin`);
    expect(first.headers.get('cache-control')).toBe('no-cache');
    const csp = first.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(consoleAssets.some((a) => a.endsWith('.js'))).toBe(true);
    for (const asset of consoleAssets) {
      const res = await fetch(`${app.url}${asset}`, { headers: { 'accept-encoding': 'br' } });
      expect(res.status, asset).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('content-encoding')).toBe('br');
    }
    // Only the console's own pages answer its index.html; the admin API under /v1/admin is untouched.
    for (const path of ['/admin/nowhere', '/admin/assets/nothing-here.js', '/admin/images/products/x.svg']) {
      expect((await fetch(`${app.url}${path}`)).status, path).toBe(404);
    }
    const adminApi = await fetch(`${app.url}/v1/admin/dlq`);
    expect(adminApi.status).toBe(401);
    expect(adminApi.headers.get('content-security-policy')).toBeNull();
  });
});
