import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from '../support/databases.js';
import { startApp, uniqueSku, type TestApp } from '../support/app.js';

describe.each(databaseKinds)('inventory on %s', (kind) => {
  let app: TestApp;
  let customer: { token: string };
  beforeAll(async () => {
    app = await startApp(kind);
    customer = await app.customer();
  });
  afterAll(() => app.stop());

  const inventory = () => app.orderly.modules.inventory.service;

  async function productWithStock(stock: number, variants = 1): Promise<string[]> {
    const product = await app.product({
      variants: Array.from({ length: variants }, () => ({ sku: uniqueSku('INV'), price: { amount: 500, currency: 'USD' }, stock })),
    });
    return product.variants.map((v: { sku: string }) => v.sku);
  }

  async function stockOf(sku: string) {
    const res = await app.http.get(`/v1/inventory/${sku}`, { token: app.adminToken });
    expect(res.status).toBe(200);
    return res.body as { available: number; reserved: number; sold: number };
  }

  /** Reads the whole ledger over HTTP and checks it adds up to the stock row. */
  async function expectLedgerBalances(sku: string) {
    const totals = { available: 0, reserved: 0, sold: 0, received: 0 };
    let cursor: string | null = null;
    do {
      const res: any = await app.http.get(`/v1/inventory/${sku}/movements?limit=100${cursor ? `&cursor=${cursor}` : ''}`, {
        token: app.adminToken,
      });
      expect(res.status).toBe(200);
      for (const m of res.body.items) {
        totals.available += m.delta.available;
        totals.reserved += m.delta.reserved;
        totals.sold += m.delta.sold;
        if (m.kind === 'received' || m.kind === 'adjusted') totals.received += m.delta.available;
      }
      cursor = res.body.nextCursor;
    } while (cursor);
    const stock = await stockOf(sku);
    expect({ available: totals.available, reserved: totals.reserved, sold: totals.sold }).toEqual({
      available: stock.available,
      reserved: stock.reserved,
      sold: stock.sold,
    });
    expect(totals.received).toBe(stock.available + stock.reserved + stock.sold);
  }

  it('reads stock per SKU (admin only): 401 anonymous, 403 customer, 404 unknown, 400 malformed', async () => {
    const [sku] = await productWithStock(7);
    expect(await stockOf(sku!)).toEqual({ sku, available: 7, reserved: 0, sold: 0 });
    expect((await app.http.get(`/v1/inventory/${sku}`)).status).toBe(401);
    expect((await app.http.get(`/v1/inventory/${sku}`, { token: customer.token })).status).toBe(403);
    const unknown = await app.http.get('/v1/inventory/NO-SUCH-SKU', { token: app.adminToken });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('not_found');
    expect((await app.http.get('/v1/inventory/bad%20sku', { token: app.adminToken })).status).toBe(400);
  });

  it('adjusts stock up and down, and refuses to go below zero with 409 insufficient_stock', async () => {
    const [sku] = await productWithStock(3);
    const up = await app.http.post(`/v1/inventory/${sku}/adjustments`, { delta: 10, reason: 'delivery' }, { token: app.adminToken });
    expect(up.status).toBe(200);
    expect(up.body).toEqual({ sku, available: 13, reserved: 0, sold: 0 });
    const down = await app.http.post(`/v1/inventory/${sku}/adjustments`, { delta: -13, reason: 'water damage' }, { token: app.adminToken });
    expect(down.body.available).toBe(0);
    const tooMuch = await app.http.post(`/v1/inventory/${sku}/adjustments`, { delta: -1, reason: 'shrinkage' }, { token: app.adminToken });
    expect(tooMuch.status).toBe(409);
    expect(tooMuch.body.code).toBe('insufficient_stock');
    expect((await stockOf(sku!)).available).toBe(0);
    await expectLedgerBalances(sku!);
  });

  it('refuses invalid adjustments with 400 and unknown SKUs with 404, changing nothing', async () => {
    const [sku] = await productWithStock(2);
    for (const body of [
      { delta: 0, reason: 'x' },
      { delta: 1.5, reason: 'x' },
      { delta: '3', reason: 'x' },
      { delta: 1 },
      { delta: 1, reason: '' },
    ]) {
      const res = await app.http.post(`/v1/inventory/${sku}/adjustments`, body, { token: app.adminToken });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe('validation_failed');
    }
    expect((await app.http.post('/v1/inventory/NOPE-1/adjustments', { delta: 1, reason: 'x' }, { token: app.adminToken })).status).toBe(
      404,
    );
    expect((await app.http.post(`/v1/inventory/${sku}/adjustments`, { delta: 1, reason: 'x' }, { token: customer.token })).status).toBe(
      403,
    );
    expect(await stockOf(sku!)).toMatchObject({ available: 2 });
  });

  it('keeps a movements ledger, newest first, paginated', async () => {
    const [sku] = await productWithStock(1);
    for (let i = 1; i <= 4; i += 1)
      await app.http.post(`/v1/inventory/${sku}/adjustments`, { delta: i, reason: `delivery ${i}` }, { token: app.adminToken });
    const first = await app.http.get(`/v1/inventory/${sku}/movements?limit=3`, { token: app.adminToken });
    expect(first.body.items.map((m: any) => m.reason)).toEqual(['delivery 4', 'delivery 3', 'delivery 2']);
    const second = await app.http.get(`/v1/inventory/${sku}/movements?limit=3&cursor=${first.body.nextCursor}`, { token: app.adminToken });
    expect(second.body.items.map((m: any) => m.kind)).toEqual(['adjusted', 'received']);
    expect(second.body.nextCursor).toBeNull();
  });

  it('survives 200 concurrent adjustments of -1 against 50 units over HTTP: exactly 50 succeed', async () => {
    const [sku] = await productWithStock(50);
    const results = await Promise.all(
      Array.from({ length: 200 }, () =>
        app.http.post(`/v1/inventory/${sku}/adjustments`, { delta: -1, reason: 'race' }, { token: app.adminToken }),
      ),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(50);
    expect(results.filter((r) => r.status === 409 && r.body.code === 'insufficient_stock')).toHaveLength(150);
    expect(await stockOf(sku!)).toMatchObject({ available: 0, reserved: 0, sold: 0 });
    await expectLedgerBalances(sku!);
  });

  it('lets exactly 50 of 200 concurrent one-unit reservations through, never below zero, ledger balanced', async () => {
    const [sku] = await productWithStock(50);
    let lowest = Infinity;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const s = await inventory().getStock(sku!);
        lowest = Math.min(lowest, s!.available, s!.reserved);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, (_, i) => inventory().reserve(`ord_race_${kind}_${i}`, [{ sku: sku!, quantity: 1 }])),
    );
    watching = false;
    await watcher;
    expect(outcomes.filter((o) => o.status === 'reserved')).toHaveLength(50);
    expect(outcomes.filter((o) => o.status === 'failed')).toHaveLength(150);
    expect(lowest).toBeGreaterThanOrEqual(0);
    expect(await stockOf(sku!)).toMatchObject({ available: 0, reserved: 50, sold: 0 });
    await expectLedgerBalances(sku!);
  });

  it('reserves all lines of an order or none', async () => {
    const [plenty, scarce] = await productWithStock(5, 2);
    await app.http.post(`/v1/inventory/${scarce}/adjustments`, { delta: -4, reason: 'make it scarce' }, { token: app.adminToken });
    const outcome = await inventory().reserve('ord_all_or_none', [
      { sku: plenty!, quantity: 3 },
      { sku: scarce!, quantity: 2 },
    ]);
    expect(outcome).toEqual({ status: 'failed', orderId: 'ord_all_or_none', reason: 'insufficient_stock' });
    expect(await stockOf(plenty!)).toMatchObject({ available: 5, reserved: 0 });
    expect(await stockOf(scarce!)).toMatchObject({ available: 1, reserved: 0 });
    const ok = await inventory().reserve('ord_all_ok', [
      { sku: plenty!, quantity: 2 },
      { sku: scarce!, quantity: 1 },
      { sku: plenty!, quantity: 1 },
    ]);
    expect(ok.status).toBe('reserved');
    expect(await stockOf(plenty!)).toMatchObject({ available: 2, reserved: 3 });
    expect(await stockOf(scarce!)).toMatchObject({ available: 0, reserved: 1 });
    await expectLedgerBalances(plenty!);
    await expectLedgerBalances(scarce!);
  });

  it('makes reserve, commit and release idempotent per order id, also when called concurrently', async () => {
    const [sku] = await productWithStock(10);
    const line = [{ sku: sku!, quantity: 4 }];
    const reserves = await Promise.all([1, 2, 3, 4, 5].map(() => inventory().reserve('ord_idem', line)));
    expect(new Set(reserves.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(await stockOf(sku!)).toMatchObject({ available: 6, reserved: 4, sold: 0 });

    const commits = await Promise.all([1, 2, 3].map(() => inventory().commit('ord_idem')));
    expect(commits.every((c) => c.status === 'committed')).toBe(true);
    expect(await stockOf(sku!)).toMatchObject({ available: 6, reserved: 0, sold: 4 });
    expect(await inventory().release('ord_idem')).toEqual({ status: 'committed', orderId: 'ord_idem' });
    expect(await stockOf(sku!)).toMatchObject({ available: 6, reserved: 0, sold: 4 });

    await inventory().reserve('ord_idem_release', [{ sku: sku!, quantity: 2 }]);
    const releases = await Promise.all([1, 2, 3].map(() => inventory().release('ord_idem_release')));
    expect(releases.every((r) => r.status === 'released')).toBe(true);
    expect(await stockOf(sku!)).toMatchObject({ available: 6, reserved: 0, sold: 4 });
    expect(await inventory().commit('ord_idem_release')).toMatchObject({ status: 'commit_failed', reason: 'not_reserved' });
    expect(await inventory().release('ord_never_reserved')).toEqual({ status: 'not_found', orderId: 'ord_never_reserved' });
    expect(await inventory().commit('ord_never_reserved')).toMatchObject({ status: 'commit_failed' });
    await expectLedgerBalances(sku!);
  });

  it('keeps a failed reservation failed when repeated, even after stock arrives', async () => {
    const [sku] = await productWithStock(1);
    expect((await inventory().reserve('ord_failed_once', [{ sku: sku!, quantity: 2 }])).status).toBe('failed');
    await app.http.post(`/v1/inventory/${sku}/adjustments`, { delta: 5, reason: 'restock' }, { token: app.adminToken });
    expect((await inventory().reserve('ord_failed_once', [{ sku: sku!, quantity: 2 }])).status).toBe('failed');
    expect(await stockOf(sku!)).toMatchObject({ available: 6, reserved: 0 });
  });

  it('expires holds: the sweeper returns stock, and a late commit takes it again only if it is still there', async () => {
    const [sku] = await productWithStock(3);
    await inventory().reserve('ord_expire_a', [{ sku: sku!, quantity: 2 }]);
    await inventory().reserve('ord_expire_b', [{ sku: sku!, quantity: 1 }]);
    expect(await inventory().releaseExpired(new Date())).toBe(0);
    const later = new Date(Date.now() + 16 * 60_000);
    expect(await inventory().releaseExpired(later)).toBeGreaterThanOrEqual(2);
    expect(await stockOf(sku!)).toMatchObject({ available: 3, reserved: 0 });

    // Stock is still there for a: the late commit succeeds.
    expect(await inventory().commit('ord_expire_a')).toEqual({ status: 'committed', orderId: 'ord_expire_a' });
    expect(await stockOf(sku!)).toMatchObject({ available: 1, reserved: 0, sold: 2 });
    // Someone buys the last unit before b commits: b fails cleanly.
    await inventory().reserve('ord_expire_thief', [{ sku: sku!, quantity: 1 }]);
    expect(await inventory().commit('ord_expire_b')).toEqual({
      status: 'commit_failed',
      orderId: 'ord_expire_b',
      reason: 'insufficient_stock',
    });
    expect(await stockOf(sku!)).toMatchObject({ available: 0, reserved: 1, sold: 2 });
    // A released (cancelled) order can never be committed afterwards.
    expect(await inventory().release('ord_expire_b')).toEqual({ status: 'released', orderId: 'ord_expire_b' });
    expect(await inventory().commit('ord_expire_b')).toMatchObject({ status: 'commit_failed', reason: 'not_reserved' });
    await expectLedgerBalances(sku!);
  });
});
