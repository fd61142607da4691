import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, uniqueSku, type TestApp } from '../support/app.js';
import { databaseKinds } from '../support/databases.js';
import { eventually } from '../support/payment-sim.js';

interface Spec {
  title: string;
  category: string;
  price: number;
  color: string;
  description?: string;
}

async function create(app: TestApp, spec: Spec) {
  return app.product({
    title: spec.title,
    category: spec.category,
    description: spec.description ?? '',
    attributes: { color: spec.color },
    variants: [{ sku: uniqueSku(), price: { amount: spec.price, currency: 'USD' }, stock: 5 }],
  });
}

const search = (app: TestApp, query: string) => app.http.get(`/v1/search?${query}`);
const titles = (res: { body: { items: { title: string }[] } }) => res.body.items.map((i) => i.title);

/** Waits until the (eventually consistent) index returns `count` products for the query. */
function indexed(app: TestApp, query: string, count: number) {
  return eventually(`${count} results for ${query}`, async () => {
    const res = await search(app, `${query}&limit=100`);
    return res.status === 200 && res.body.items.length === count ? res : null;
  });
}

describe.each(databaseKinds)('product search on %s', (kind) => {
  let app: TestApp;
  // A catalog with known categories, prices and colours, tagged so every query sees only these products.
  const tag = `zq${Date.now().toString(36)}`;
  const catalog: Spec[] = [];
  const colors = ['red', 'blue', 'green'];
  const categories = ['mugs', 'plates', 'bowls'];
  for (let i = 0; i < 30; i++) {
    catalog.push({
      title: `${tag} Stoneware ${categories[i % 3]} ${i}`,
      category: categories[i % 3]!,
      price: 1000 + i * 100,
      color: colors[i % 3 === 0 ? 0 : i % 2 ? 1 : 2]!,
    });
  }

  beforeAll(async () => {
    app = await startApp(kind);
    await create(app, { title: 'Espresso Cup', category: 'kitchen', price: 1200, color: 'white', description: 'a small cup' });
    await create(app, {
      title: 'Espresso Cup Saucer Set',
      category: 'kitchen',
      price: 2400,
      color: 'white',
      description: 'espresso cup and saucer, espresso cup lovers',
    });
    await create(app, {
      title: 'Cappuccino Mug',
      category: 'kitchen',
      price: 1500,
      color: 'blue',
      description: 'for espresso drinks with a cup of milk',
    });
    await create(app, { title: 'Running Shoes', category: 'shoes', price: 8900, color: 'red' });
    for (const spec of catalog) await create(app, spec);
    await indexed(app, `q=${tag}`, catalog.length);
    await indexed(app, 'q=espresso', 3);
  }, 120_000);

  afterAll(async () => {
    await app?.stop();
  });

  it('ranks an exact title match first, then by relevance (title above description)', async () => {
    const res = await search(app, 'q=espresso%20cup');
    expect(res.status).toBe(200);
    expect(titles(res)[0]).toBe('Espresso Cup');
    expect(titles(res).slice(0, 2)).toEqual(['Espresso Cup', 'Espresso Cup Saucer Set']);
    expect(titles(res)).toContain('Cappuccino Mug');
    const lower = await search(app, 'q=ESPRESSO%20cup%20');
    expect(titles(lower)[0]).toBe('Espresso Cup');
  });

  it('matches the last word as a prefix, for queries typed as you go', async () => {
    expect(titles(await search(app, 'q=espr'))).toEqual(
      expect.arrayContaining(['Espresso Cup', 'Espresso Cup Saucer Set', 'Cappuccino Mug']),
    );
    expect(titles(await search(app, 'q=espresso%20sau'))).toEqual(['Espresso Cup Saucer Set']);
    expect(titles(await search(app, 'q=runn'))).toEqual([]); // a prefix of the stem "run" only once the word is complete
    expect(titles(await search(app, 'q=running%20sho'))).toEqual(['Running Shoes']);
    expect(titles(await search(app, 'q=shoe'))).toEqual(['Running Shoes']);
  });

  it('applies category, price and attribute filters, and its facet counts agree with the data', async () => {
    const check = async (query: string, keep: (s: Spec) => boolean, facetKeep: (s: Spec) => boolean) => {
      const res = await search(app, `q=${tag}&limit=100&${query}`);
      expect(res.status, res.text).toBe(200);
      expect(new Set(titles(res))).toEqual(new Set(catalog.filter(keep).map((s) => s.title)));
      // Category counts ignore the category filter itself, so a shopper sees where else to look.
      const expected: Record<string, number> = {};
      for (const s of catalog.filter(facetKeep)) expected[s.category] = (expected[s.category] ?? 0) + 1;
      expect(res.body.facets.category).toEqual(expected);
      const colours: Record<string, number> = {};
      for (const s of catalog.filter(keep)) colours[s.color] = (colours[s.color] ?? 0) + 1;
      expect(res.body.facets.attributes.color ?? {}).toEqual(colours);
      expect(res.body.exhaustive).toBe(true);
    };
    await check(
      'category=mugs',
      (s) => s.category === 'mugs',
      () => true,
    );
    await check(
      'minPrice=1500&maxPrice=2500',
      (s) => s.price >= 1500 && s.price <= 2500,
      (s) => s.price >= 1500 && s.price <= 2500,
    );
    await check(
      'attr=color:red',
      (s) => s.color === 'red',
      (s) => s.color === 'red',
    );
    await check(
      'category=plates&attr=color:blue&maxPrice=3000',
      (s) => s.category === 'plates' && s.color === 'blue' && s.price <= 3000,
      (s) => s.color === 'blue' && s.price <= 3000,
    );
    // Browsing by filters alone (no words) counts the same way.
    const browse = await search(app, 'category=shoes');
    expect(titles(browse)).toEqual(['Running Shoes']);
    expect(browse.body.facets.category).toEqual({ kitchen: 3, shoes: 1, mugs: 10, plates: 10, bowls: 10 });
    // An attribute every mug has (walked and probed, page by page) and one few plates have (listed first).
    const byId = (a: string, b: string) => (a < b ? 1 : -1);
    const pages = async (query: string, limit: number) => {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const res = await search(app, `${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status, res.text).toBe(200);
        ids.push(...res.body.items.map((i: { id: string }) => i.id));
        cursor = res.body.nextCursor;
      } while (cursor !== null && ids.length < 100);
      return ids;
    };
    const mugs = await pages('category=mugs&attr=color:red', 2);
    expect(mugs).toHaveLength(10);
    expect([...mugs].sort(byId)).toEqual(mugs);
    const bluePlates = await search(app, 'category=plates&attr=color:blue&maxPrice=3000&limit=100');
    const expected = catalog.filter((s) => s.category === 'plates' && s.color === 'blue' && s.price <= 3000).map((s) => s.title);
    expect(new Set(titles(bluePlates))).toEqual(new Set(expected));
    expect(bluePlates.body.facets.attributes.color).toEqual({ blue: expected.length });
    expect(bluePlates.body.facets.category).toEqual({
      plates: expected.length,
      bowls: catalog.filter((s) => s.category === 'bowls' && s.color === 'blue' && s.price <= 3000).length,
      kitchen: 1,
    });
  });

  it('pages through results with cursors, without duplicates or gaps, ranked and browsed', async () => {
    for (const query of [`q=${tag}`, 'category=plates']) {
      const all = await search(app, `${query}&limit=100`);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await search(app, `${query}&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status).toBe(200);
        seen.push(...res.body.items.map((i: { id: string }) => i.id));
        cursor = res.body.nextCursor;
        pages += 1;
      } while (cursor !== null && pages < 20);
      expect(seen).toEqual(all.body.items.map((i: { id: string }) => i.id));
      expect(new Set(seen).size).toBe(seen.length);
    }
  });

  it('serves search results with a strong ETag, 304 when unchanged, and public Cache-Control', async () => {
    const res = await search(app, 'q=espresso');
    expect(res.headers.get('cache-control')).toMatch(/public.*max-age=\d+.*s-maxage=\d+/);
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^"[^"]+"$/);
    const again = await app.http.get('/v1/search?q=espresso', { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
  });

  it('refuses bad queries with problem+json and changes nothing', async () => {
    for (const query of [
      'minPrice=500&maxPrice=100',
      'cursor=not-a-cursor',
      'attr=colour',
      'limit=0',
      'minPrice=-1',
      `q=${'x'.repeat(201)}`,
    ]) {
      const res = await search(app, query);
      expect(res.status, query).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.code).toBe('validation_failed');
    }
    // Query syntax of FTS5 or tsquery in the text is just words.
    for (const q of ['"unbalanced', 'a AND OR NOT (', 'cup:* & !', 'NEAR(a b)']) {
      expect((await search(app, `q=${encodeURIComponent(q)}`)).status, q).toBe(200);
    }
    // A relevance cursor does not continue a browse.
    const ranked = await search(app, `q=${tag}&limit=2`);
    expect((await search(app, `category=mugs&cursor=${ranked.body.nextCursor}`)).status).toBe(400);
  });

  it('is eventually consistent with the catalog: new, renamed and archived products', async () => {
    const word = `fresh${Date.now().toString(36)}`;
    const product = await create(app, { title: `${word} Teapot`, category: 'kitchen', price: 3000, color: 'green' });
    await indexed(app, `q=${word}`, 1);
    const renamed = `renamed${Date.now().toString(36)}`;
    expect((await app.http.patch(`/v1/products/${product.id}`, { title: `${renamed} Teapot` }, { token: app.adminToken })).status).toBe(
      200,
    );
    await indexed(app, `q=${renamed}`, 1);
    await indexed(app, `q=${word}`, 0);
    expect((await app.http.patch(`/v1/products/${product.id}`, { status: 'archived' }, { token: app.adminToken })).status).toBe(200);
    await indexed(app, `q=${renamed}`, 0);
    expect((await search(app, 'category=kitchen&limit=100')).body.items.map((i: { id: string }) => i.id)).not.toContain(product.id);
    // Unarchived, it is back.
    expect((await app.http.patch(`/v1/products/${product.id}`, { status: 'active' }, { token: app.adminToken })).status).toBe(200);
    await indexed(app, `q=${renamed}`, 1);
  });
});

describe.each(databaseKinds)('search over more matches than its window on %s', (kind) => {
  it('ranks and counts the newest matches only, and says so; a kept window gives way to a newer match', async () => {
    // Searched on the event loop's own connection, which is also the index's writer (no reader threads).
    const app = await startApp(kind, { ORDERLY_SEARCH_WINDOW: '100', ORDERLY_SEARCH_THREADS: '0' });
    try {
      const created: string[] = [];
      for (let i = 0; i < 105; i += 1)
        created.push((await create(app, { title: `Windowed lamp ${i}`, category: i % 2 ? 'odd' : 'even', price: 1000, color: 'red' })).id);
      await eventually(
        'all indexed',
        async () =>
          (await search(app, 'category=odd&limit=100')).body.items.length === 52 &&
          (await search(app, 'category=even&limit=100')).body.items.length === 53,
      );
      const res = await search(app, 'q=windowed&limit=100');
      expect(res.body.exhaustive).toBe(false);
      expect(res.body.items).toHaveLength(100);
      expect(new Set(res.body.items.map((i: { id: string }) => i.id))).toEqual(new Set(created.slice(5)));
      expect(Object.values(res.body.facets.category as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(100);
      const page1 = await search(app, 'q=windowed&limit=60');
      const page2 = await search(app, `q=windowed&limit=60&cursor=${page1.body.nextCursor}`);
      expect(page2.body.items).toHaveLength(40);
      expect(page2.body.nextCursor).toBeNull();
      const narrow = await search(app, 'q=windowed&category=odd&limit=100');
      expect(narrow.body.items).toHaveLength(52);
      // The category facet leaves the category filter out, and that side holds more than the window.
      expect(narrow.body.exhaustive).toBe(false);
      expect((await search(app, 'q=windowed%20lamp%2017')).body.exhaustive).toBe(true);
      // The same search again, after a newer match: the window it kept is not served.
      const newer = await create(app, { title: 'Windowed lamp 105', category: 'odd', price: 1000, color: 'red' });
      await eventually('the newer lamp found', async () =>
        (await search(app, 'q=windowed&limit=100')).body.items.some((i: { id: string }) => i.id === newer.id),
      );
      const after = await search(app, 'q=windowed&category=odd&limit=100');
      expect(after.body.items).toHaveLength(53);
    } finally {
      await app.stop();
    }
  }, 60_000);
});
