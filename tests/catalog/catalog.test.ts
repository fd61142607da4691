import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from '../support/databases.js';
import { startApp, uniqueSku, type TestApp } from '../support/app.js';

describe.each(databaseKinds)('catalog on %s', (kind) => {
  let app: TestApp;
  let customer: { token: string };
  beforeAll(async () => {
    app = await startApp(kind);
    customer = await app.customer();
  });
  afterAll(() => app.stop());

  const newProduct = (overrides: Record<string, unknown> = {}) => ({
    title: 'Pour-over kettle',
    description: 'Gooseneck, 1 litre',
    category: 'kitchen',
    attributes: { material: 'steel', capacityMl: 1000 },
    variants: [
      { sku: uniqueSku('KET'), title: 'Matte black', price: { amount: 4500, currency: 'USD' }, attributes: { color: 'black' }, stock: 5 },
      { sku: uniqueSku('KET'), title: 'Copper', price: { amount: 5200, currency: 'USD' }, attributes: { color: 'copper' } },
    ],
    ...overrides,
  });

  it('creates a product with variants and initial stock (admin only)', async () => {
    const body = newProduct();
    const res = await app.http.post('/v1/products', body, { token: app.adminToken });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/v1/products/${res.body.id}`);
    expect(res.body).toMatchObject({
      id: expect.stringMatching(/^prd_/),
      title: body.title,
      description: body.description,
      category: 'kitchen',
      attributes: body.attributes,
      status: 'active',
    });
    expect(res.body.variants.map((v: any) => [v.sku, v.title, v.price.amount])).toEqual(
      body.variants.map((v) => [v.sku, v.title, v.price.amount]),
    );
    expect(res.body.variants[0].id).toMatch(/^var_/);
    const stock = await app.http.get(`/v1/inventory/${body.variants[0]!.sku}`, { token: app.adminToken });
    expect(stock.body).toEqual({ sku: body.variants[0]!.sku, available: 5, reserved: 0, sold: 0 });
    const noStock = await app.http.get(`/v1/inventory/${body.variants[1]!.sku}`, { token: app.adminToken });
    expect(noStock.body.available).toBe(0);
  });

  it('refuses anonymous (401) and customer (403) writes', async () => {
    expect((await app.http.post('/v1/products', newProduct())).status).toBe(401);
    const asCustomer = await app.http.post('/v1/products', newProduct(), { token: customer.token });
    expect(asCustomer.status).toBe(403);
    expect(asCustomer.body.code).toBe('forbidden');
  });

  it('refuses invalid products with 400 validation_failed', async () => {
    const bad = [
      newProduct({ variants: [] }),
      newProduct({ title: '' }),
      newProduct({ category: undefined }),
      newProduct({ variants: [{ sku: 'has space', price: { amount: 100, currency: 'USD' } }] }),
      newProduct({ variants: [{ sku: uniqueSku(), price: { amount: -1, currency: 'USD' } }] }),
      newProduct({ variants: [{ sku: uniqueSku(), price: { amount: 100, currency: 'usd' } }] }),
      newProduct({ variants: [{ sku: uniqueSku(), price: { amount: 10.5, currency: 'USD' } }] }),
      newProduct({ variants: [{ sku: uniqueSku(), price: { amount: 100, currency: 'USD' }, stock: -3 }] }),
      newProduct({ attributes: { nested: { no: true } } }),
    ];
    for (const body of bad) {
      const res = await app.http.post('/v1/products', body, { token: app.adminToken });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.errors.length).toBeGreaterThan(0);
    }
  });

  it('refuses a taken SKU, or one repeated in the request, with 409 sku_taken and creates nothing', async () => {
    const first = await app.product();
    const sku = first.variants[0].sku;
    const before = await app.http.get('/v1/products?limit=100');
    const taken = await app.http.post('/v1/products', newProduct({ variants: [{ sku, price: { amount: 1, currency: 'USD' } }] }), {
      token: app.adminToken,
    });
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('sku_taken');
    const repeated = uniqueSku();
    const twice = await app.http.post(
      '/v1/products',
      newProduct({
        variants: [
          { sku: repeated, price: { amount: 1, currency: 'USD' } },
          { sku: repeated, price: { amount: 2, currency: 'USD' } },
        ],
      }),
      { token: app.adminToken },
    );
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('sku_taken');
    const after = await app.http.get('/v1/products?limit=100');
    expect(after.body.items.length).toBe(before.body.items.length);
    expect((await app.http.get(`/v1/inventory/${repeated}`, { token: app.adminToken })).status).toBe(404);
  });

  it('lets exactly one of concurrent creates with the same SKU win', async () => {
    const sku = uniqueSku('RACE');
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        app.http.post('/v1/products', newProduct({ variants: [{ sku, price: { amount: 100, currency: 'USD' }, stock: 3 }] }), {
          token: app.adminToken,
        }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409 && r.body.code === 'sku_taken')).toHaveLength(5);
    const stock = await app.http.get(`/v1/inventory/${sku}`, { token: app.adminToken });
    expect(stock.body.available).toBe(3);
  });

  it('serves a product publicly with a strong ETag, Cache-Control, and 304 on If-None-Match', async () => {
    const product = await app.product();
    const res = await app.http.get(`/v1/products/${product.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(product);
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^"[^"]+"$/);
    expect(res.headers.get('cache-control')).toMatch(/public.*max-age=\d+.*s-maxage=\d+/);
    const again = await app.http.get(`/v1/products/${product.id}`, { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    expect(again.headers.get('etag')).toBe(etag);
    const listed = await app.http.get(`/v1/products/${product.id}`, { headers: { 'if-none-match': `"other", W/${etag}` } });
    expect(listed.status).toBe(304);
    const stale = await app.http.get(`/v1/products/${product.id}`, { headers: { 'if-none-match': '"stale"' } });
    expect(stale.status).toBe(200);
  });

  it('answers unknown and malformed product ids with 404', async () => {
    for (const id of ['prd_0000000000000000000000000000dead', 'nope', 'var_0190f0000000000000000000000000aa']) {
      const res = await app.http.get(`/v1/products/${id}`);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('not_found');
    }
  });

  it('patches fields and variant prices, changes the ETag, and publishes events', async () => {
    const product = await app.product({ variants: [{ sku: uniqueSku(), price: { amount: 1000, currency: 'USD' } }] });
    const etag = (await app.http.get(`/v1/products/${product.id}`)).headers.get('etag')!;
    const variantId = product.variants[0].id;
    const res = await app.http.patch(
      `/v1/products/${product.id}`,
      {
        title: 'Espresso cup, large',
        attributes: { volumeMl: 90 },
        variants: [{ id: variantId, price: { amount: 1500, currency: 'USD' } }],
      },
      { token: app.adminToken },
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ title: 'Espresso cup, large', attributes: { volumeMl: 90 }, category: product.category });
    expect(res.body.variants[0].price).toEqual({ amount: 1500, currency: 'USD' });
    expect(Date.parse(res.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(product.updatedAt));
    const after = await app.http.get(`/v1/products/${product.id}`, { headers: { 'if-none-match': etag } });
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(etag);
    expect(after.headers.get('etag')).toBe(res.headers.get('etag'));

    const events = await sql<{
      type: string;
      key: string;
      data: string;
    }>`select type, key, data from outbox where key = ${product.id} order by seq`.execute(app.orderly.database.db);
    expect(events.rows.map((e) => e.type)).toEqual(['product.created', 'product.updated']);
    expect(JSON.parse(events.rows[1]!.data).product.title).toBe('Espresso cup, large');
  });

  it('makes a patch conditional with If-Match: 412 when stale, 200 when current', async () => {
    const product = await app.product();
    const etag = (await app.http.get(`/v1/products/${product.id}`)).headers.get('etag')!;
    const stale = await app.http.patch(
      `/v1/products/${product.id}`,
      { title: 'A' },
      { token: app.adminToken, headers: { 'if-match': '"stale"' } },
    );
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe('precondition_failed');
    const ok = await app.http.patch(`/v1/products/${product.id}`, { title: 'B' }, { token: app.adminToken, headers: { 'if-match': etag } });
    expect(ok.status).toBe(200);
    expect((await app.http.get(`/v1/products/${product.id}`)).body.title).toBe('B');
  });

  it('refuses bad patches: empty body 400, foreign variant 400, unknown product 404, customer 403', async () => {
    const product = await app.product();
    const other = await app.product();
    const empty = await app.http.patch(`/v1/products/${product.id}`, {}, { token: app.adminToken });
    expect(empty.status).toBe(400);
    const foreign = await app.http.patch(
      `/v1/products/${product.id}`,
      { variants: [{ id: other.variants[0].id, price: { amount: 1, currency: 'USD' } }] },
      { token: app.adminToken },
    );
    expect(foreign.status).toBe(400);
    expect(foreign.body.code).toBe('validation_failed');
    expect((await app.http.get(`/v1/products/${product.id}`)).body).toEqual(product);
    const unknown = await app.http.patch('/v1/products/prd_0000000000000000000000000000beef', { title: 'X' }, { token: app.adminToken });
    expect(unknown.status).toBe(404);
    expect((await app.http.patch(`/v1/products/${product.id}`, { title: 'X' }, { token: customer.token })).status).toBe(403);
  });

  it('archives a product: it leaves the default listing, stays readable, and emits product.archived', async () => {
    const product = await app.product({ category: 'archivable' });
    const res = await app.http.patch(`/v1/products/${product.id}`, { status: 'archived' }, { token: app.adminToken });
    expect(res.body.status).toBe('archived');
    const active = await app.http.get('/v1/products?category=archivable');
    expect(active.body.items.map((p: any) => p.id)).not.toContain(product.id);
    const archived = await app.http.get('/v1/products?category=archivable&status=archived');
    expect(archived.body.items.map((p: any) => p.id)).toContain(product.id);
    expect((await app.http.get(`/v1/products/${product.id}`)).body.status).toBe('archived');
    const events = await sql<{ type: string }>`select type from outbox where key = ${product.id} order by seq`.execute(
      app.orderly.database.db,
    );
    expect(events.rows.map((e) => e.type)).toEqual(['product.created', 'product.archived']);
  });

  it('lists newest first, filtered by category, with ETag and 304', async () => {
    const a = await app.product({ category: 'lamps' });
    const b = await app.product({ category: 'lamps' });
    await app.product({ category: 'rugs' });
    const res = await app.http.get('/v1/products?category=lamps');
    expect(res.body.items.map((p: any) => p.id)).toEqual([b.id, a.id]);
    expect(res.body.nextCursor).toBeNull();
    expect(res.headers.get('cache-control')).toMatch(/public/);
    const again = await app.http.get('/v1/products?category=lamps', { headers: { 'if-none-match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('paginates with cursors: no duplicates or gaps, even while products are being inserted', async () => {
    const created: string[] = [];
    for (let i = 0; i < 25; i += 1) created.push((await app.product({ category: 'paged' })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: any = await app.http.get(`/v1/products?category=paged&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((p: any) => p.id));
      cursor = res.body.nextCursor;
      pages += 1;
      // Concurrent inserts land before the first page, never inside the walk.
      if (pages === 2) await Promise.all([app.product({ category: 'paged' }), app.product({ category: 'paged' })]);
    } while (cursor !== null);
    expect(pages).toBe(4);
    expect(seen).toEqual([...created].reverse());
  });

  it('refuses bad list parameters with 400', async () => {
    for (const query of ['limit=0', 'limit=101', 'limit=abc', 'cursor=not-a-cursor', 'status=deleted']) {
      const res = await app.http.get(`/v1/products?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.code).toBe('validation_failed');
    }
  });
});
