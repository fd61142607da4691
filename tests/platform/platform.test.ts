import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from '../support/databases.js';
import { startApp, type TestApp } from '../support/app.js';
import { createLogger } from '../../src/platform/observability/logger.js';

function expectProblem(res: { status: number; headers: Headers; body: any }, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String), requestId: expect.any(String) });
  expect(res.body.requestId).toBe(res.headers.get('x-request-id'));
}

describe.each(databaseKinds)('platform edge on %s', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind, { ORDERLY_BODY_LIMIT_BYTES: '4096' });
  });
  afterAll(() => app.stop());

  it('answers /healthz and /readyz with the database check', async () => {
    expect((await app.http.get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await app.http.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual([{ name: 'database', ok: true }]);
  });

  it('echoes a well-formed x-request-id and generates one otherwise', async () => {
    const echoed = await app.http.get('/healthz', { headers: { 'x-request-id': 'trace-abc.123' } });
    expect(echoed.headers.get('x-request-id')).toBe('trace-abc.123');
    const replaced = await app.http.get('/healthz', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers an unknown route with a 404 problem', async () => {
    expectProblem(await app.http.get('/v1/nothing-here'), 404, 'not_found');
  });

  it('answers malformed JSON with a 400 problem', async () => {
    expectProblem(await app.http.post('/v1/auth/login', undefined, { raw: '{"email": "a@b.c", ' }), 400, 'malformed_json');
  });

  it('answers a body over the limit with a 413 problem', async () => {
    const res = await app.http.post('/v1/auth/signup', { email: 'big@orderly.test', password: 'x'.repeat(8000), name: 'Big' });
    expectProblem(res, 413, 'payload_too_large');
  });

  it('answers a non-JSON body with a 415 problem', async () => {
    const res = await app.http.post('/v1/auth/login', undefined, {
      raw: 'email=a',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expectProblem(res, 415, 'unsupported_media_type');
  });

  it('lists every invalid field in a validation problem', async () => {
    const res = await app.http.post('/v1/auth/signup', { email: 'not-an-email', password: 'short' });
    expectProblem(res, 400, 'validation_failed');
    const fields = res.body.errors.map((e: { field: string }) => e.field).sort();
    expect(fields).toEqual(['email', 'name', 'password']);
  });

  it('serves Prometheus metrics with a latency histogram by route and status', async () => {
    await app.http.get('/v1/products');
    const res = await app.http.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/http_request_duration_seconds_bucket\{[^}]*route="\/v1\/products"[^}]*status_code="200"/);
    expect(res.text).toContain('process_cpu_user_seconds_total');
  });

  it('publishes an OpenAPI 3.1 document that lists every route and every error code', async () => {
    const res = await app.http.get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const paths = Object.keys(res.body.paths);
    for (const path of [
      '/v1/auth/signup',
      '/v1/auth/login',
      '/v1/auth/logout',
      '/v1/me',
      '/v1/products',
      '/v1/products/{id}',
      '/v1/inventory/{sku}',
      '/v1/inventory/{sku}/adjustments',
      '/v1/cart',
      '/v1/cart/items',
      '/v1/cart/items/{variantId}',
      '/healthz',
      '/readyz',
      '/v1/orders',
      '/v1/orders/{id}',
      '/v1/orders/{id}/cancel',
      '/v1/orders/{id}/events',
      '/v1/shipments/{id}/status',
      '/v1/admin/dlq',
      '/v1/admin/dlq/{id}/redrive',
    ]) {
      expect(paths).toContain(path);
    }
    const codes = Object.keys(res.body['x-error-codes']);
    for (const code of [
      'validation_failed',
      'unauthorized',
      'invalid_credentials',
      'forbidden',
      'not_found',
      'email_taken',
      'sku_taken',
      'insufficient_stock',
      'malformed_json',
      'idempotency_key_required',
      'idempotency_key_in_use',
      'idempotency_key_reused',
      'order_not_cancellable',
    ]) {
      expect(codes).toContain(code);
      expect(res.body.info.description).toContain(`\`${code}\``);
    }
    expect(res.body.components.schemas.Problem.properties.code).toBeDefined();
    const signup = res.body.paths['/v1/auth/signup'].post;
    expect(signup.requestBody.content['application/json'].schema.required).toEqual(expect.arrayContaining(['email', 'password', 'name']));
  });

  it('serves a readable docs page', async () => {
    const res = await app.http.get('/docs/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.text).toContain('swagger');
  });
});

/** An app whose log lines are kept, as written, in `lines`. */
/** A GET sent as raw bytes, so the request line reaches the server exactly as written; resolves with the status. */
function rawGet(baseUrl: string, target: string, requestId: string): Promise<number> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => {
      // Written, not ended: a half-closed socket may be dropped before a slower database answers.
      socket.write(`GET ${target} HTTP/1.1\r\nhost: ${hostname}\r\nx-request-id: ${requestId}\r\nconnection: close\r\n\r\n`);
    });
    let response = '';
    socket.on('data', (chunk) => {
      response += chunk.toString('latin1');
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0)));
  });
}

async function startAppLogging(kind: (typeof databaseKinds)[number], level: 'info' | 'error') {
  const lines: string[] = [];
  const logger = createLogger(level, {
    write: (line: string) => {
      lines.push(line);
    },
  });
  return { app: await startApp(kind, {}, { logger }), lines };
}

describe.each(databaseKinds)('the access log on %s', (kind) => {
  it('writes one pino line per completed request, with the request id, the route and, when signed in, the user', async () => {
    const { app, lines } = await startAppLogging(kind, 'info');
    try {
      const customer = await app.customer();
      const anonymous = await app.http.get('/v1/products?limit=1');
      const signedIn = await app.http.get('/v1/cart', { token: customer.token });
      const completed = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request completed');
      const first = completed.filter((l) => l.requestId === anonymous.headers.get('x-request-id'));
      expect(first).toHaveLength(1);
      expect(first[0]).toMatchObject({
        level: 30,
        service: 'orderly',
        pid: process.pid,
        method: 'GET',
        url: '/v1/products?limit=1',
        route: '/v1/products',
        statusCode: 200,
      });
      expect(first[0].time).toBeGreaterThan(Date.now() - 60_000);
      expect(first[0].durationMs).toBeGreaterThanOrEqual(0);
      expect(first[0].userId).toBeUndefined();
      const second = completed.find((l) => l.requestId === signedIn.headers.get('x-request-id'));
      expect(second).toMatchObject({ route: '/v1/cart', statusCode: 200, userId: customer.id });
      // fetch percent-encodes a quote and turns a backslash into a slash; a raw request line keeps both.
      const odd = '/v1/products?q="quoted"&path=a\\b';
      const status = await rawGet(app.url, odd, 'odd-url-1');
      const oddLine = lines.map((l) => JSON.parse(l)).find((l) => l.requestId === 'odd-url-1');
      expect(oddLine).toMatchObject({ url: odd, statusCode: status });
    } finally {
      await app.stop();
    }
  });
});

describe.each(databaseKinds)('an unexpected failure on %s', (kind) => {
  it('is a 500 problem that logs the stack but never leaks it, and /readyz reports the failing check', async () => {
    const { app, lines } = await startAppLogging(kind, 'error');
    try {
      await app.orderly.database.close();
      const res = await app.http.get('/v1/products');
      expectProblem(res, 500, 'internal_error');
      expect(res.text).not.toMatch(/destroyed|stack|at \w+ \(/i);
      const logged = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'request failed');
      expect(logged?.err?.stack).toMatch(/\n\s+at /);
      expect(logged?.requestId).toBe(res.body.requestId);
      const ready = await app.http.get('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.checks[0]).toMatchObject({ name: 'database', ok: false });
    } finally {
      await app.orderly.http.app.close();
    }
  });
});
