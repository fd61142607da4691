import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ADMIN, startApp, type TestApp } from '../support/app.js';
import {
  concretePath,
  liveOperations,
  openShop,
  PASSWORD,
  renewSessions,
  validBodies as bodies,
  type Operation,
  type Shop,
} from '../support/api-surface.js';
import type { TestResponse } from '../support/http.js';

// Who may call what is declared once per route (`config.auth`, shown as `x-access` in /openapi.json);
// this suite reads the live document and calls every operation as anonymous, another customer, the
// owner of the shop's things and an admin, and checks each answer against the declaration.

/** Where an admin's allowed call still cannot succeed on the shop as built, and why. */
const adminAnswers: Record<string, number> = {
  'POST /v1/admin/dlq/{id}/redrive': 404, // the shop has no dead letter to redrive
  'DELETE /v1/me/sessions/{id}': 404, // a session is its user's alone: an admin cannot end a customer's either
};

/** After operations that end or change sessions, every caller signs in again. */
const touchesSessions = (operation: Operation) => operation.path.startsWith('/v1/auth/') || operation.path.startsWith('/v1/me');

// Deletions and cancellations last, so the shop's things stay as they are for every other operation.
const order = (operation: Operation) => (operation.method === 'DELETE' || operation.path.endsWith('/cancel') ? 1 : 0);

describe('the authorization matrix', () => {
  let app: TestApp;
  let shop: Shop;
  let operations: Operation[];

  beforeAll(async () => {
    app = await startApp('sqlite', { ORDERLY_WEBHOOK_ALLOW_PRIVATE: 'true' });
    shop = await openShop(app);
    operations = (await liveOperations(app)).sort((a, b) => order(a) - order(b));
    adminToken = app.adminToken;
  }, 60_000);

  afterAll(async () => {
    await shop?.receiver.close();
    await app?.stop();
  });

  let adminToken: string;

  async function renew(): Promise<void> {
    await renewSessions(app, shop);
    const res = await app.http.post('/v1/auth/login', ADMIN);
    expect(res.status).toBe(200);
    adminToken = res.body.token;
  }

  /** Calls the operation; a live event stream is read as far as its status and headers, then dropped. */
  async function call(operation: Operation, token: string | undefined, password = PASSWORD): Promise<TestResponse> {
    const headers: Record<string, string> = {};
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (operation.parameters.some((p) => p.in === 'header' && p.name === 'idempotency-key'))
      headers['idempotency-key'] = `matrix-${randomBytes(8).toString('hex')}`;
    const body = bodies[operation.name]?.(shop, password);
    if (body !== undefined) headers['content-type'] = 'application/json';
    const abort = new AbortController();
    const response = await fetch(`${app.url}${concretePath(shop, operation)}`, {
      method: operation.method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: abort.signal,
    });
    const type = response.headers.get('content-type') ?? '';
    if (type.startsWith('text/event-stream')) {
      abort.abort();
      return { status: response.status, headers: response.headers, body: null, text: '(event stream)' };
    }
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: type.includes('json') ? JSON.parse(text) : text, text };
  }

  function expectRefused(res: TestResponse, status: number, code: string, who: string, operation: Operation): void {
    const said = `${who} → ${operation.name}: ${res.status} ${res.text.slice(0, 200)}`;
    expect(res.status, said).toBe(status);
    expect(res.headers.get('content-type'), said).toMatch(/^application\/problem\+json/);
    expect(res.body.code, said).toBe(code);
  }

  function expectAllowed(res: TestResponse, who: string, operation: Operation, also: number[] = []): void {
    const said = `${who} → ${operation.name}: ${res.status} ${res.text.slice(0, 200)}`;
    expect([401, 403, ...also], said).not.toContain(res.status);
    expect(res.status, said).toBeLessThan(500);
  }

  test('every operation declares its access, and every body has a sample here', () => {
    const undeclared = operations.filter((o) => !['public', 'user', 'owner', 'admin'].includes(o.access)).map((o) => o.name);
    expect(undeclared).toEqual([]);
    const withoutSample = operations.filter((o) => o.body !== null && !bodies[o.name]).map((o) => o.name);
    expect(withoutSample).toEqual([]);
    // The matrix means something only if every kind of access is present.
    expect(new Set(operations.map((o) => o.access))).toEqual(new Set(['public', 'user', 'owner', 'admin']));
  });

  test('each caller gets what the declaration says, on every operation', async () => {
    for (const operation of operations) {
      const anonymous = await call(operation, undefined);
      if (operation.access === 'public') expectAllowed(anonymous, 'anonymous', operation);
      else expectRefused(anonymous, 401, 'unauthorized', 'anonymous', operation);

      const forged = await call(operation, `forged-${randomBytes(8).toString('hex')}`);
      if (operation.access === 'public') expectAllowed(forged, 'a forged token', operation);
      else expectRefused(forged, 401, 'unauthorized', 'a forged token', operation);

      const other = await call(operation, shop.other.token);
      if (operation.access === 'admin') expectRefused(other, 403, 'forbidden', 'another customer', operation);
      // Someone else's order is not found, never forbidden: ids cannot be probed for existence.
      else if (operation.access === 'owner') expectRefused(other, 404, 'not_found', 'another customer', operation);
      else expectAllowed(other, 'another customer', operation);

      const mine = await call(operation, shop.owner.token);
      if (operation.access === 'admin') expectRefused(mine, 403, 'forbidden', 'the owner', operation);
      else expectAllowed(mine, 'the owner', operation, [404]);

      const admins = await call(operation, adminToken, ADMIN.password);
      if (operation.access === 'admin' && adminAnswers[operation.name] === undefined) {
        expect(admins.status, `admin → ${operation.name}: ${admins.text.slice(0, 200)}`).toBeLessThan(300);
      } else if (adminAnswers[operation.name] !== undefined) {
        expect(admins.status, `admin → ${operation.name}`).toBe(adminAnswers[operation.name]);
      } else expectAllowed(admins, 'admin', operation, operation.access === 'owner' ? [404] : []);
      if (touchesSessions(operation)) await renew();
    }
  }, 120_000);
});
