import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from '../support/databases.js';
import { ADMIN, startApp, uniqueSku, type TestApp } from '../support/app.js';
import { ADDRESS, idempotencyKey, placeOrder, waitForOrder } from '../support/orders.js';
import { createTestDatabase } from '../support/databases.js';
import { freePort, startServer, type OrderlyProcess } from '../support/process.js';
import { httpClient, type HttpClient } from '../support/http.js';

describe.each(databaseKinds)('priority load shedding on %s', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    // A low bound so a test-sized flood overloads the process: browse is admitted below 14 requests in
    // flight, login below 16, checkout below 20.
    app = await startApp(kind, { ORDERLY_LOAD_SHEDDING: 'true', ORDERLY_SHED_MAX_IN_FLIGHT: '20' });
  });
  afterAll(() => app.stop());

  it('refuses browsing and logins with 503 and Retry-After under overload, while every checkout is accepted', async () => {
    const buyer = await app.customer();
    const product = await app.product({ variants: [{ sku: uniqueSku('SHED'), price: { amount: 1500, currency: 'USD' }, stock: 100 }] });
    const variantId = product.variants[0].id;

    let flooding = true;
    const statuses = { browse: [] as number[], login: [] as number[] };
    let retryAfter: string | null = null;
    let shedProblem: any = null;
    const pressures: number[] = [];
    const flood = (async () => {
      for (let wave = 0; (flooding || wave < 5) && wave < 40; wave += 1) {
        // Logins hash passwords off the event loop, so they stay in flight; reads then arrive on top of them.
        const logins = Array.from({ length: 30 }, () =>
          app.http.post('/v1/auth/login', { email: buyer.email, password: 'correct-horse-1' }),
        );
        await new Promise((r) => setTimeout(r, 30));
        const reads = Array.from({ length: 60 }, () => app.http.get('/v1/products?limit=100'));
        const ready = app.http.get('/readyz');
        for (const res of await Promise.all(reads)) {
          statuses.browse.push(res.status);
          if (res.status === 503) {
            retryAfter ??= res.headers.get('retry-after');
            shedProblem ??= res.body;
          }
        }
        for (const res of await Promise.all(logins)) statuses.login.push(res.status);
        pressures.push((await ready).body.load.inFlight);
      }
    })();

    const checkouts: number[] = [];
    const placed: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      const res = await placeOrder(app, buyer.token, { items: [{ variantId, quantity: 1 }] });
      checkouts.push(res.status);
      if (res.status === 202) placed.push(res.body.id);
      await new Promise((r) => setTimeout(r, 100));
    }
    flooding = false;
    await flood;

    expect(checkouts).toEqual(Array(10).fill(202));
    expect(statuses.browse.filter((s) => s === 503).length).toBeGreaterThan(0);
    expect(statuses.browse.every((s) => s === 200 || s === 503)).toBe(true);
    expect(statuses.login.every((s) => s === 200 || s === 503)).toBe(true);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(shedProblem).toMatchObject({ status: 503, code: 'unavailable' });
    expect(Math.max(...pressures)).toBeGreaterThan(0);

    const metrics = await app.http.get('/metrics');
    expect(metrics.text).toMatch(/orderly_requests_shed_total\{priority="browse"\} [1-9]/);
    expect(metrics.text).not.toMatch(/orderly_requests_shed_total\{priority="checkout"\}/);

    // Once the flood is over everything is served again, and the accepted orders complete.
    expect((await app.http.get('/v1/products')).status).toBe(200);
    const ready = await app.http.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.load.shedding).toEqual([]);
    for (const id of placed) await waitForOrder(app, buyer.token, id, ['confirmed'], 30_000);
  }, 120_000);
});

describe('load shedding on event-loop delay', () => {
  let server: OrderlyProcess;
  let http: HttpClient;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const database = await createTestDatabase('sqlite');
    drop = () => database.drop();
    const port = await freePort();
    // A separate process, so the load generator's own work does not stall the loop being measured; no
    // in-flight bound to speak of and a stall limit any busy loop passes: only the delay signal can shed.
    server = await startServer({
      ...database.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      ORDERLY_ADMIN_EMAIL: ADMIN.email,
      ORDERLY_ADMIN_PASSWORD: ADMIN.password,
      ORDERLY_LOAD_SHEDDING: 'true',
      ORDERLY_SHED_MAX_IN_FLIGHT: '100000',
      ORDERLY_SHED_LAG_MS: '2',
    });
    http = httpClient(`http://127.0.0.1:${port}`);
  });
  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    await drop?.();
  });

  it('sheds browsing once requests pile up on a stalling loop, and never checkout', async () => {
    const adminToken = (await http.post('/v1/auth/login', ADMIN)).body.token;
    const product = await http.post(
      '/v1/products',
      { title: 'Lag mug', category: 'kitchen', variants: [{ sku: uniqueSku('LAG'), price: { amount: 900, currency: 'USD' }, stock: 100 }] },
      { token: adminToken },
    );
    const variantId = product.body.variants[0].id;
    const buyerEmail = `lag-${Date.now()}@orderly.test`;
    const buyer = (await http.post('/v1/auth/signup', { email: buyerEmail, password: 'correct-horse-1', name: 'Lag Buyer' })).body.token;
    const browse: number[] = [];
    const checkouts: number[] = [];
    for (let wave = 0; wave < 20 && !browse.includes(503); wave += 1) {
      const logins = Array.from({ length: 20 }, () => http.post('/v1/auth/login', { email: buyerEmail, password: 'correct-horse-1' }));
      // The logins are hashing passwords (piling up) when the reads arrive on a loop the last wave stalled.
      await new Promise((r) => setTimeout(r, 30));
      const reads = Array.from({ length: 100 }, () => http.get('/v1/products?limit=100'));
      const order = http.post(
        '/v1/orders',
        { items: [{ variantId, quantity: 1 }], shippingAddress: ADDRESS, paymentToken: 'tok_visa' },
        { token: buyer, headers: { 'idempotency-key': idempotencyKey() } },
      );
      for (const res of await Promise.all(reads)) browse.push(res.status);
      checkouts.push((await order).status);
      await Promise.all(logins);
    }
    expect(browse).toContain(503);
    expect(checkouts.every((s) => s === 202)).toBe(true);
    const metrics = await http.get('/metrics');
    expect(metrics.text).toMatch(/orderly_requests_shed_total\{priority="browse"\} [1-9]/);
  }, 120_000);
});
