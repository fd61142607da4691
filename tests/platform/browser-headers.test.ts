import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { databaseKinds } from '../support/databases.js';
import { startApp, type TestApp } from '../support/app.js';
import { placeOrder } from '../support/orders.js';

const SHOP = 'https://shop.example';
const DEV = 'http://localhost:5173';

/** What every answer carries, whatever its status. */
function expectSecurityHeaders(headers: Headers, tls: boolean): void {
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('referrer-policy')).toBe('no-referrer');
  if (tls) expect(headers.get('strict-transport-security')).toMatch(/^max-age=\d{7,}/);
  else expect(headers.get('strict-transport-security')).toBeNull();
}

function expectNoCors(headers: Headers): void {
  for (const name of ['access-control-allow-origin', 'access-control-allow-credentials', 'access-control-allow-methods'])
    expect(headers.get(name), name).toBeNull();
}

describe.each(databaseKinds)('browser-facing headers on %s', (kind) => {
  // Behind a TLS proxy on loopback, with two origins allowed; and one with neither, as by default.
  let app: TestApp;
  let plain: TestApp;
  beforeAll(async () => {
    app = await startApp(kind, { ORDERLY_CORS_ORIGINS: `${SHOP}, ${DEV}`, ORDERLY_TRUSTED_PROXIES: 'loopback' });
    plain = await startApp(kind);
  });
  afterAll(async () => {
    await app?.stop();
    await plain?.stop();
  });

  it('sends nosniff and Referrer-Policy on a success, a 404 and a 400 problem, and HSTS only over TLS', async () => {
    for (const target of [app, plain]) {
      const ok = await target.http.get('/v1/products');
      expect(ok.status).toBe(200);
      const missing = await target.http.get('/v1/no-such-thing');
      expect(missing.status).toBe(404);
      const invalid = await target.http.post('/v1/auth/signup', {});
      expect(invalid.status).toBe(400);
      for (const res of [missing, invalid]) expect(res.headers.get('content-type')).toContain('application/problem+json');
      for (const res of [ok, missing, invalid]) expectSecurityHeaders(res.headers, false);
    }
  });

  it('sends HSTS when a trusted proxy says the request came over TLS, and not when anyone else says so', async () => {
    const viaTls = { headers: { 'x-forwarded-proto': 'https' } };
    for (const path of ['/v1/products', '/v1/no-such-thing']) {
      expectSecurityHeaders((await app.http.get(path, viaTls)).headers, true);
      expectSecurityHeaders((await plain.http.get(path, viaTls)).headers, false);
    }
    expectSecurityHeaders((await app.http.post('/v1/auth/signup', {}, viaTls)).headers, true);
  });

  it('lets a listed origin call with credentials, errors included, and gives any other origin no CORS headers', async () => {
    for (const origin of [SHOP, DEV]) {
      const res = await app.http.get('/v1/products', { headers: { origin } });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      expect(res.headers.get('access-control-allow-credentials')).toBe('true');
      expect(res.headers.get('vary')).toMatch(/\bOrigin\b/i);
      expect(res.headers.get('access-control-expose-headers')).toContain('x-request-id');
    }
    const problem = await app.http.get('/v1/me', { headers: { origin: SHOP } });
    expect(problem.status).toBe(401);
    expect(problem.headers.get('access-control-allow-origin')).toBe(SHOP);

    for (const origin of ['https://evil.example', 'https://shop.example.evil.example', 'http://shop.example', 'null']) {
      const res = await app.http.get('/v1/products', { headers: { origin } });
      expect(res.status).toBe(200);
      expectNoCors(res.headers);
      expect(res.headers.get('vary')).toMatch(/\bOrigin\b/i);
    }
    // Off by default: not even a listed origin of the other app is answered.
    expectNoCors((await plain.http.get('/v1/products', { headers: { origin: SHOP } })).headers);
  });

  it('gives the live order stream (a hijacked reply) the same headers', async () => {
    const { token } = await app.customer();
    const product = await app.product();
    const placed = await placeOrder(app, token, { items: [{ variantId: product.variants[0].id, quantity: 1 }] });
    expect(placed.status).toBe(202);
    const controller = new AbortController();
    const res = await fetch(`${app.url}/v1/orders/${placed.body.id}/events`, {
      headers: { authorization: `Bearer ${token}`, origin: SHOP, 'x-forwarded-proto': 'https' },
      signal: controller.signal,
    });
    controller.abort();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expectSecurityHeaders(res.headers, true);
    expect(res.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  it('answers a preflight from a listed origin with 204 and what it may send, and not one from elsewhere', async () => {
    const preflight = (target: TestApp, origin: string) =>
      target.http.request('OPTIONS', '/v1/orders', undefined, {
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type, idempotency-key',
        },
      });
    const allowed = await preflight(app, SHOP);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    for (const header of ['authorization', 'content-type', 'idempotency-key'])
      expect(allowed.headers.get('access-control-allow-headers')).toContain(header);
    expect(Number(allowed.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    expectSecurityHeaders(allowed.headers, false);

    for (const [target, origin] of [
      [app, 'https://evil.example'],
      [plain, SHOP],
    ] as const) {
      const refused = await preflight(target, origin);
      expect(refused.status).toBe(404);
      expectNoCors(refused.headers);
    }
  });
});

describe('ORDERLY_CORS_ORIGINS', () => {
  it('takes exact origins, and refuses wildcards, paths and other schemes by name', () => {
    expect(loadConfig({ ORDERLY_CORS_ORIGINS: `${SHOP},${DEV}` }).http.corsOrigins).toEqual([SHOP, DEV]);
    expect(loadConfig({}).http.corsOrigins).toEqual([]);
    for (const bad of ['*', 'https://shop.example/', 'https://shop.example/app', 'shop.example', 'ftp://shop.example'])
      expect(() => loadConfig({ ORDERLY_CORS_ORIGINS: bad }), bad).toThrow(/ORDERLY_CORS_ORIGINS/);
  });
});
