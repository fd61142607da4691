import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../support/app.js';
import { databaseKinds } from '../support/databases.js';
import { eventually } from '../support/payment-sim.js';

describe.each(databaseKinds)('operations edge on %s', (kind) => {
  let app: TestApp;
  let unlimited: TestApp;
  const admin = (a: TestApp) => ({ token: a.adminToken });

  beforeAll(async () => {
    app = await startApp(kind, {
      ORDERLY_RATE_LIMITS: 'checkout=7/30,search=50/10',
      ORDERLY_LOAD_SHEDDING: 'true',
      // With one request in flight, browsing (admitted below 70 % of the bound) is shed.
      ORDERLY_SHED_MAX_IN_FLIGHT: '1',
    });
    unlimited = await startApp(kind, { ORDERLY_RATE_LIMITS: 'off', ORDERLY_LOAD_SHEDDING: 'false' });
  });

  afterAll(async () => {
    await app?.stop();
    await unlimited?.stop();
  });

  it('shows the rate-limit classes as configured, shedding state and breakers; admins only', async () => {
    expect((await app.http.get('/v1/admin/edge')).status).toBe(401);
    // Signed up where nothing is shed: this app admits one request in flight.
    const customer = await unlimited.customer();
    const refused = await unlimited.http.get('/v1/admin/edge', { token: customer.token });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('forbidden');

    const res = await app.http.get('/v1/admin/edge', admin(app));
    expect(res.status).toBe(200);
    const { rateLimits, loadShedding, breakers } = res.body;
    expect(rateLimits.enabled).toBe(true);
    const byName = Object.fromEntries(rateLimits.classes.map((c: any) => [c.name, c]));
    expect(byName.checkout).toEqual({ name: 'checkout', quota: 7, windowSeconds: 30, scope: 'user' });
    expect(byName.search).toEqual({ name: 'search', quota: 50, windowSeconds: 10, scope: 'user_or_ip' });
    // Classes not named keep their defaults.
    expect(byName.login).toEqual({ name: 'login', quota: 5, windowSeconds: 60, scope: 'account' });
    expect(loadShedding).toMatchObject({ enabled: true, limit: 1, shed: 0 });
    expect(loadShedding.inFlight).toBeGreaterThanOrEqual(0);
    expect(breakers).toEqual(
      (await app.http.get('/v1/admin/breakers', admin(app))).body.items.map((b: any) => ({ name: b.name, state: b.state, since: b.since })),
    );
  });

  it('counts the requests shed, by priority', async () => {
    // A sign-in whose body is still on its way is a request in flight: the one this app admits.
    const held = http.request(`${app.url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': '200' },
    });
    held.on('error', () => undefined);
    held.write('{"email":');
    await eventually('the held request in flight', async () => {
      const { loadShedding } = (await app.http.get('/v1/admin/edge', admin(app))).body;
      return loadShedding.inFlight === 1;
    });
    const answers = [];
    for (let i = 0; i < 3; i += 1) answers.push(await app.http.get('/v1/products?limit=1'));
    held.destroy();
    expect(answers.map((a) => a.status)).toEqual([503, 503, 503]);
    expect(answers[0]!.body.code).toBe('unavailable');
    const { loadShedding } = (await app.http.get('/v1/admin/edge', admin(app))).body;
    expect(loadShedding.shed).toBe(3);
    expect(loadShedding.shedByPriority).toMatchObject({ browse: 3, checkout: 0, orders: 0, login: 0 });
  });

  it('says so when rate limits and shedding are off', async () => {
    const res = await unlimited.http.get('/v1/admin/edge', admin(unlimited));
    expect(res.status).toBe(200);
    expect(res.body.rateLimits).toEqual({ enabled: false, classes: [] });
    expect(res.body.loadShedding).toMatchObject({ enabled: false, limit: null, shed: 0, shedding: [] });
  });
});
