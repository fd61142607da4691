import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from '../support/databases.js';
import { startApp, uniqueSku, type TestApp } from '../support/app.js';
import { ADDRESS, idempotencyKey, waitForOrder } from '../support/orders.js';

describe.each(databaseKinds)('Idempotency-Key on %s', (kind) => {
  let app: TestApp;
  let variantId: string;
  beforeAll(async () => {
    app = await startApp(kind);
    variantId = (await app.product({ variants: [{ sku: uniqueSku('IDM'), price: { amount: 990, currency: 'USD' }, stock: 1000 }] }))
      .variants[0].id;
  });
  afterAll(() => app.stop());

  const body = () => ({ items: [{ variantId, quantity: 1 }], shippingAddress: ADDRESS, paymentToken: 'tok_visa' });
  const ordersOf = async (token: string): Promise<{ id: string }[]> => (await app.http.get('/v1/orders?limit=100', { token })).body.items;

  it('is required on POST /v1/orders: 400 idempotency_key_required without it, and nothing is created', async () => {
    const { token } = await app.customer();
    const res = await app.http.post('/v1/orders', body(), { token });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('idempotency_key_required');
    for (const key of ['', 'k'.repeat(256)]) {
      const bad = await app.http.post('/v1/orders', body(), { token, headers: { 'idempotency-key': key } });
      expect(bad.status).toBe(400);
    }
    expect(await ordersOf(token)).toEqual([]);
  });

  it('replays the first response byte for byte with Idempotent-Replayed: true, creating one order', async () => {
    const { token } = await app.customer();
    const key = idempotencyKey();
    const first = await app.http.post('/v1/orders', body(), { token, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(202);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    await waitForOrder(app, token, first.body.id, ['confirmed']);
    const again = await app.http.post('/v1/orders', body(), { token, headers: { 'idempotency-key': key } });
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.text).toBe(first.text);
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(again.headers.get('content-type')).toBe(first.headers.get('content-type'));
    expect((await ordersOf(token)).length).toBe(1);
  });

  it('answers 422 idempotency_key_reused for the same key with a different body', async () => {
    const { token } = await app.customer();
    const key = idempotencyKey();
    await app.http.post('/v1/orders', body(), { token, headers: { 'idempotency-key': key } });
    const other = await app.http.post(
      '/v1/orders',
      { ...body(), items: [{ variantId, quantity: 2 }] },
      { token, headers: { 'idempotency-key': key } },
    );
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('idempotency_key_reused');
    expect((await ordersOf(token)).length).toBe(1);
  });

  it('answers 409 idempotency_key_in_use while the first request with the key still runs', async () => {
    // Signup hashes a password on the thread pool (~100 ms): the first request is surely still running
    // when the others arrive, on either database.
    const key = idempotencyKey();
    const signup = { email: `inflight-${key}@orderly.test`, password: 'long-enough-1', name: 'In Flight' };
    const results = await Promise.all(
      Array.from({ length: 6 }, () => app.http.post('/v1/auth/signup', signup, { headers: { 'idempotency-key': key } })),
    );
    const created = results.filter((r) => r.status === 201);
    const inUse = results.filter((r) => r.status === 409 && r.body.code === 'idempotency_key_in_use');
    expect(created).toHaveLength(1);
    expect(inUse).toHaveLength(5);
    for (const r of inUse) expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const replay = await app.http.post('/v1/auth/signup', signup, { headers: { 'idempotency-key': key } });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.text).toBe(created[0]!.text);
  });

  it('creates one order from a burst of identical requests with one key', async () => {
    const { token } = await app.customer();
    const key = idempotencyKey();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => app.http.post('/v1/orders', body(), { token, headers: { 'idempotency-key': key } })),
    );
    const fresh = results.filter((r) => r.status === 202 && r.headers.get('idempotent-replayed') === null);
    const replayed = results.filter((r) => r.status === 202 && r.headers.get('idempotent-replayed') === 'true');
    const inUse = results.filter((r) => r.status === 409 && r.body.code === 'idempotency_key_in_use');
    expect(fresh).toHaveLength(1);
    expect(fresh.length + replayed.length + inUse.length).toBe(8);
    for (const r of replayed) expect(r.text).toBe(fresh[0]!.text);
    expect((await ordersOf(token)).map((o) => o.id)).toEqual([fresh[0]!.body.id]);
  });

  it('scopes keys to the caller: two users with one key get two orders', async () => {
    const a = await app.customer();
    const b = await app.customer();
    const key = idempotencyKey();
    const ra = await app.http.post('/v1/orders', body(), { token: a.token, headers: { 'idempotency-key': key } });
    const rb = await app.http.post('/v1/orders', body(), { token: b.token, headers: { 'idempotency-key': key } });
    expect(ra.status).toBe(202);
    expect(rb.status).toBe(202);
    expect(rb.headers.get('idempotent-replayed')).toBeNull();
    expect(ra.body.id).not.toBe(rb.body.id);
  });

  it('stores nothing for a request that failed validation: the key stays free', async () => {
    const { token } = await app.customer();
    const key = idempotencyKey();
    const invalid = await app.http.post('/v1/orders', { ...body(), paymentToken: 'nope' }, { token, headers: { 'idempotency-key': key } });
    expect(invalid.status).toBe(400);
    const valid = await app.http.post('/v1/orders', body(), { token, headers: { 'idempotency-key': key } });
    expect(valid.status).toBe(202);
    expect(valid.headers.get('idempotent-replayed')).toBeNull();
  });

  it('replays a client error too, and is honoured on other POSTs', async () => {
    const { token } = await app.customer();
    const key = idempotencyKey();
    const missing = { ...body(), items: [{ variantId: 'var_0000000000000000000000000000dead', quantity: 1 }] };
    const first = await app.http.post('/v1/orders', missing, { token, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(404);
    const second = await app.http.post('/v1/orders', missing, { token, headers: { 'idempotency-key': key } });
    expect(second.status).toBe(404);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.text).toBe(first.text);

    const cartKey = idempotencyKey();
    const add = await app.http.post('/v1/cart/items', { variantId, quantity: 2 }, { token, headers: { 'idempotency-key': cartKey } });
    const repeat = await app.http.post('/v1/cart/items', { variantId, quantity: 2 }, { token, headers: { 'idempotency-key': cartKey } });
    expect(repeat.headers.get('idempotent-replayed')).toBe('true');
    expect(repeat.text).toBe(add.text);
    expect((await app.http.get('/v1/cart', { token })).body.items[0].quantity).toBe(2);
  });

  it('keeps keys for 24 hours and sweeps them after', async () => {
    const { token } = await app.customer();
    const key = idempotencyKey();
    await app.http.post('/v1/orders', body(), { token, headers: { 'idempotency-key': key } });
    const rows = await sql<{
      created_at: string;
      expires_at: string;
    }>`select created_at, expires_at from idempotency_keys where key = ${key}`.execute(app.orderly.database.db);
    const row = rows.rows[0]!;
    expect(Date.parse(row.expires_at) - Date.parse(row.created_at)).toBe(24 * 3_600_000);
  });

  it('frees a key whose process died holding it once its lease lapses, not after a fixed minute', async () => {
    // What a process killed mid-request leaves: the key in flight, owned by a process that no longer renews it.
    const key = idempotencyKey();
    const signup = { email: `orphan-${key}@orderly.test`, password: 'long-enough-1', name: 'Orphan' };
    const print = createHash('sha256')
      .update(`POST\n/v1/auth/signup\n${JSON.stringify(signup)}`)
      .digest('hex');
    const now = Date.now();
    const lease = new Date(now + 1500).toISOString();
    await sql`insert into idempotency_keys (scope, key, method, path, fingerprint, state, created_at, expires_at, locked_until, owner)
      values (${'ip:127.0.0.1'}, ${key}, 'POST', '/v1/auth/signup', ${print}, 'in_flight', ${new Date(now).toISOString()}, ${new Date(now + 86_400_000).toISOString()}, ${lease}, 'a-dead-process')`.execute(
      app.orderly.database.db,
    );
    const blocked = await app.http.post('/v1/auth/signup', signup, { headers: { 'idempotency-key': key } });
    expect(blocked.status).toBe(409);
    const wait = Number(blocked.headers.get('retry-after'));
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(3);
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(lease) - Date.now()) + 50));
    const taken = await app.http.post('/v1/auth/signup', signup, { headers: { 'idempotency-key': key } });
    expect(taken.status).toBe(201);
    expect(taken.headers.get('idempotent-replayed')).toBeNull();
    const replay = await app.http.post('/v1/auth/signup', signup, { headers: { 'idempotency-key': key } });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.text).toBe(taken.text);
  });
});
