import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startApp, type TestApp } from '../support/app.js';
import { send, type Answer } from '../support/hostile-requests.js';

// What the HTTP server and router refuse before any route runs is answered as problem+json with a code,
// like everything else: URI too long, headers too large, a bad request line, a body too large, an
// unsupported media type, a badly encoded URL, and numbers no query may hold.

/** Writes bytes on a fresh socket and reads until the server closes it. */
function rawExchange(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.end(bytes));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
  });
}

function parseRaw(text: string): Answer & { body: any } {
  const [head = '', body = ''] = text.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
  const contentType = /^content-type: (.*)$/im.exec(head)?.[1] ?? '';
  return { status, contentType, text: body, body: JSON.parse(body) };
}

function expectProblem(answer: Answer, status: number, code: string): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.contentType).toMatch(/^application\/problem\+json/);
  const problem = JSON.parse(answer.text);
  expect(problem).toMatchObject({ status, code });
  expect(typeof problem.title).toBe('string');
}

describe('refusals before any route runs', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp('sqlite', { ORDERLY_BODY_LIMIT_BYTES: '4096' });
  });
  afterAll(() => app?.stop());

  test('a URL past 8 KiB is 414 uri_too_long, and so is a path segment past the router limit', async () => {
    expectProblem(await send(app.url, { method: 'GET', target: `/v1/products?q=${'x'.repeat(9000)}`, headers: {} }), 414, 'uri_too_long');
    expectProblem(await send(app.url, { method: 'GET', target: `/v1/products/${'p'.repeat(200)}`, headers: {} }), 414, 'uri_too_long');
  });

  test('refusals carry the headers every answer does', async () => {
    const long = await fetch(`${app.url}/v1/products?q=${'x'.repeat(9000)}`);
    expect(long.status).toBe(414);
    expect(long.headers.get('x-request-id')).toBeTruthy();
    expect(long.headers.get('x-content-type-options')).toBe('nosniff');
    const segment = await fetch(`${app.url}/v1/products/${'p'.repeat(200)}`);
    expect(segment.status).toBe(414);
    expect(segment.headers.get('x-request-id')).toBeTruthy();
  });

  test('a body that breaks off mid-chunk is answered 400, not left hanging', async () => {
    const text = await rawExchange(
      app.url,
      'POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\ncontent-type: application/json\r\n\r\nzz\r\n',
    );
    expectProblem(parseRaw(text), 400, 'bad_request');
  });

  test('headers past 16 KiB are 431 headers_too_large', async () => {
    const answer = await send(app.url, { method: 'GET', target: '/v1/products', headers: { 'x-padding': 'h'.repeat(20_000) } });
    expectProblem(answer, 431, 'headers_too_large');
  });

  test('a request line that is not HTTP is 400 bad_request', async () => {
    expectProblem(parseRaw(await rawExchange(app.url, 'NOT HTTP AT ALL\r\n\r\n')), 400, 'bad_request');
    expectProblem(parseRaw(await rawExchange(app.url, 'GET /v1/products HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n')), 400, 'bad_request');
  });

  test('a body past the limit is 413, another media type 415, a badly encoded URL 400', async () => {
    const big = {
      method: 'POST',
      target: '/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      body: Buffer.alloc(8192, 0x20),
    };
    expectProblem(await send(app.url, big), 413, 'payload_too_large');
    const form = { method: 'POST', target: '/v1/auth/login', headers: { 'content-type': 'text/plain' }, body: Buffer.from('a=b') };
    expectProblem(await send(app.url, form), 415, 'unsupported_media_type');
    expectProblem(await send(app.url, { method: 'GET', target: '/v1/products/%E0%A4%A', headers: {} }), 400, 'bad_request');
  });

  test('numbers no query may hold are 400 validation_failed, not a query for them (found by the fuzz suite)', async () => {
    for (const limit of ['Infinity', '-Infinity', '1e309']) {
      expectProblem(await send(app.url, { method: 'GET', target: `/v1/products?limit=${limit}`, headers: {} }), 400, 'validation_failed');
    }
  });

  test('a body sent after an answer on a closing connection gets no second status line', async () => {
    const text = await rawExchange(
      app.url,
      'GET /v1/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\ncontent-type: application/json\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
    );
    expect(text.match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 401']);
  });

  test('a request being handled keeps its own answer when stray bytes follow it (found by the fuzz suite)', async () => {
    const endpoint = await app.http.post(
      '/v1/webhooks/endpoints',
      { url: 'https://example.com/hook', events: ['*'] },
      { token: app.adminToken },
    );
    expect(endpoint.status).toBe(201);
    // A body the request does not declare (no content-length) is garbage after it: before, it turned the
    // deletion's 204 into a 400 though the endpoint was gone.
    const text = await rawExchange(
      app.url,
      `DELETE /v1/webhooks/endpoints/${endpoint.body.id} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${app.adminToken}\r\nConnection: close\r\n\r\n0`,
    );
    expect(text.match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 204']);
    expect((await app.http.get(`/v1/webhooks/endpoints/${endpoint.body.id}`, { token: app.adminToken })).status).toBe(404);
  });

  test('the app still serves after all of it', async () => {
    expect((await app.http.get('/healthz')).status).toBe(200);
  });
});

describe('a body nested too deep to write back', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp('sqlite');
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
  });

  test('with an Idempotency-Key, to a route that takes no body, is 400 and changes nothing (found by the fuzz suite)', async () => {
    const buyer = await app.customer();
    const deep = Buffer.from(`${'['.repeat(8_000)}${']'.repeat(8_000)}`);
    const logout = {
      method: 'POST',
      target: '/v1/auth/logout',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${buyer.token}`, 'idempotency-key': 'deep-1' },
      body: deep,
    };
    expectProblem(await send(app.url, logout), 400, 'validation_failed');
    expect((await app.http.get('/v1/me', { token: buyer.token })).status).toBe(200);
  });
});
