import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../support/app.js';
import { databaseKinds } from '../support/databases.js';
import { placeOrder, waitForOrder, waitForShipment } from '../support/orders.js';
import { eventually } from '../support/payment-sim.js';
import { httpClient } from '../support/http.js';
import { freePort, runOrderly, startServer } from '../support/process.js';
import { query, type Storage } from '../support/tamper.js';

/** An order archived is gone from the hot tables; one not archived is there, and never in both or neither. */
async function placeOf(storage: Storage, orderId: string): Promise<'hot' | 'archived'> {
  const [hot, cold] = await Promise.all([
    query(storage, 'select id from orders where id = ?', [orderId]),
    query(storage, 'select order_id from orders_archived where order_id = ?', [orderId]),
  ]);
  expect(hot.length + cold.length, `${orderId} in exactly one place`).toBe(1);
  return hot.length === 1 ? 'hot' : 'archived';
}

async function command(app: TestApp, args: string[], env: Record<string, string> = {}) {
  const run = runOrderly(args, { ...app.env, ...env });
  const code = await run.exited;
  return { code, out: `${run.lines.join('\n')}\n${run.stderr.join('')}`, signal: run.child.signalCode };
}

const tomorrow = () => new Date(Date.now() + 86_400_000).toISOString();

describe.each(databaseKinds)('hot and cold orders on %s', (kind) => {
  let app: TestApp;
  let storage: Storage;
  let archiveDir: string;

  beforeAll(async () => {
    archiveDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-archive-'));
    app = await startApp(kind, { ORDERLY_ARCHIVE_DIR: archiveDir, ORDERLY_ARCHIVE_AFTER_DAYS: '0' });
    storage =
      app.orderly.config.database.kind === 'postgres'
        ? { postgresUrl: app.orderly.config.database.url }
        : { sqliteFile: app.orderly.config.database.file };
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
    fs.rmSync(archiveDir, { recursive: true, force: true });
  });

  /** A customer's orders in every final and unfinished state. */
  async function shopping() {
    const product = await app.product({
      variants: [{ sku: `ARCH-${Date.now()}-${Math.random()}`, price: { amount: 1500, currency: 'USD' }, stock: 50 }],
    });
    const variantId = product.variants[0].id;
    const buyer = await app.customer();
    const place = async (token = 'tok_visa') =>
      (await placeOrder(app, buyer.token, { items: [{ variantId, quantity: 1 }], paymentToken: token })).body.id as string;
    const delivered = await place();
    const shipment = (await waitForShipment(app, buyer.token, delivered)).shipment.id;
    for (const status of ['in_transit', 'delivered'])
      expect((await app.http.post(`/v1/shipments/${shipment}/status`, { status }, { token: app.adminToken })).status).toBe(200);
    await waitForOrder(app, buyer.token, delivered, ['delivered']);
    const declined = await place('tok_declined');
    await waitForOrder(app, buyer.token, declined, ['cancelled']);
    const confirmed = await place();
    await waitForOrder(app, buyer.token, confirmed, ['confirmed']);
    return { buyer, delivered, declined, confirmed };
  }

  it('moves final orders to checksummed archive files, and the API still serves them, marked archived', async () => {
    const { buyer, delivered, declined, confirmed } = await shopping();
    const before = {
      delivered: (await app.http.get(`/v1/orders/${delivered}`, { token: buyer.token })).body,
      declined: (await app.http.get(`/v1/orders/${declined}`, { token: buyer.token })).body,
    };
    const listedBefore = (await app.http.get('/v1/orders?limit=10', { token: buyer.token })).body.items.map((o: { id: string }) => o.id);

    const run = await command(app, ['archive', '--before', tomorrow()]);
    expect(run.code, run.out).toBe(0);
    expect(run.out).toMatch(/\d+ order\(s\) archived in \d+ file\(s\)/);

    expect(await placeOf(storage, delivered)).toBe('archived');
    expect(await placeOf(storage, declined)).toBe('archived');
    expect(await placeOf(storage, confirmed)).toBe('hot');
    // Its payment and shipment left the hot tables with it.
    expect(await query(storage, 'select id from payments where order_id = ?', [delivered])).toEqual([]);
    expect(await query(storage, 'select id from shipments where order_id = ?', [delivered])).toEqual([]);

    // Read back exactly as it was, marked archived; only its owner (and admins) see it.
    const read = await app.http.get(`/v1/orders/${delivered}`, { token: buyer.token });
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ ...before.delivered, archived: true });
    expect((await app.http.get(`/v1/orders/${declined}`, { token: app.adminToken })).body).toEqual({ ...before.declined, archived: true });
    const stranger = await app.customer();
    expect((await app.http.get(`/v1/orders/${delivered}`, { token: stranger.token })).status).toBe(404);
    // The owner's list still holds every order, newest first, hot and archived merged, across pages.
    const listed = (await app.http.get('/v1/orders?limit=10', { token: buyer.token })).body.items;
    expect(listed.map((o: { id: string }) => o.id)).toEqual(listedBefore);
    expect(listed.find((o: { id: string }) => o.id === delivered).archived).toBe(true);
    const first = await app.http.get('/v1/orders?limit=2', { token: buyer.token });
    const second = await app.http.get(`/v1/orders?limit=2&cursor=${first.body.nextCursor}`, { token: buyer.token });
    expect([...first.body.items, ...second.body.items].map((o: { id: string }) => o.id)).toEqual(listedBefore);
    const cancelledOnly = (await app.http.get(`/v1/orders?status=cancelled&userId=${buyer.id}`, { token: app.adminToken })).body.items;
    expect(cancelledOnly.map((o: { id: string }) => o.id)).toEqual([declined]);
    // Final means final: a delivered order cannot be cancelled; asking again to cancel a cancelled one answers it.
    const cancelDelivered = await app.http.post(`/v1/orders/${delivered}/cancel`, {}, { token: buyer.token });
    expect(cancelDelivered.status).toBe(409);
    expect(cancelDelivered.body.code).toBe('order_not_cancellable');

    // The files: gzip members of JSON lines, each record with the order, its payment and its shipment.
    const files = await query<{ name: string; sha256: string; state: string }>(
      storage,
      'select name, sha256, state from orders_archive_files',
    );
    expect(files.length).toBeGreaterThan(0);
    const records = files.flatMap((f) => {
      expect(f.state).toBe('stored');
      const content = fs.readFileSync(path.join(archiveDir, f.name));
      expect(f.sha256).toBe(createHash('sha256').update(content).digest('hex'));
      return gunzipSync(content)
        .toString('utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
    });
    const record = records.find((r) => r.order.id === delivered);
    expect(record.payment.payment.status).toBe('succeeded');
    expect(record.payment.attempts.length).toBeGreaterThan(0);
    expect(record.shipment.tracking.map((e: { status: string }) => e.status)).toEqual(expect.arrayContaining(['in_transit', 'delivered']));
    expect(JSON.stringify(record)).not.toContain('tok_visa');

    const verify = await command(app, ['verify']);
    expect(verify.out).toContain('OK: every invariant holds');
    expect(verify.code).toBe(0);
    // An operator's story of the order still reads it, from its file.
    const trace = await command(app, ['trace', delivered]);
    expect(trace.code).toBe(0);
    expect(trace.out).toMatch(/delivered, archived in orders-/);
    expect(trace.out).toContain('charge succeeded');

    if (kind === 'sqlite') {
      // A backup holds the archive files too, and a restored shop reads its archived orders from them.
      const backup = path.join(archiveDir, '..', `${path.basename(archiveDir)}-backup`);
      expect((await command(app, ['backup', '--to', backup])).code).toBe(0);
      const restoredDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-archive-restored-'));
      const restore = await command(app, ['restore', '--from', backup, '--data-dir', restoredDir], {
        ORDERLY_ARCHIVE_DIR: path.join(restoredDir, 'cold'),
      });
      expect(restore.code, restore.out).toBe(0);
      const port = await freePort();
      const restored = await startServer({
        ORDERLY_DATA_DIR: restoredDir,
        ORDERLY_ARCHIVE_DIR: path.join(restoredDir, 'cold'),
        PORT: String(port),
        HOST: '127.0.0.1',
      });
      try {
        const http = httpClient(`http://127.0.0.1:${port}`);
        const signedIn = await http.post('/v1/auth/login', { email: buyer.email, password: 'correct-horse-1' });
        expect((await http.get(`/v1/orders/${delivered}`, { token: signedIn.body.token })).body).toEqual({
          ...before.delivered,
          archived: true,
        });
      } finally {
        restored.child.kill('SIGTERM');
        await restored.exited;
        fs.rmSync(backup, { recursive: true, force: true });
        fs.rmSync(restoredDir, { recursive: true, force: true });
      }
    }
  }, 120_000);

  it('leaves each order in exactly one place when killed -9 between storing a file and moving its orders, and finishes on the next run', async () => {
    const { delivered, declined, confirmed } = await shopping();
    const killed = await command(app, ['archive', '--before', tomorrow()], { ORDERLY_FAULT: 'kill-after-archive-file' });
    expect(killed.signal).toBe('SIGKILL');
    expect(await placeOf(storage, delivered)).toBe('hot');
    expect(await placeOf(storage, declined)).toBe('hot');
    const unfinished = await query<{ name: string }>(storage, `select name from orders_archive_files where state = 'writing'`);
    expect(unfinished.length).toBe(1);
    expect(fs.existsSync(path.join(archiveDir, unfinished[0]!.name))).toBe(true);
    // Until then the orders answer from the hot tables, as they always did.
    expect((await app.http.get(`/v1/orders/${delivered}`, { token: app.adminToken })).body.archived).toBeUndefined();

    const again = await command(app, ['archive', '--before', tomorrow()]);
    expect(again.code, again.out).toBe(0);
    expect(again.out).toContain('left unfinished by an earlier run');
    expect(fs.existsSync(path.join(archiveDir, unfinished[0]!.name))).toBe(false);
    expect(await placeOf(storage, delivered)).toBe('archived');
    expect(await placeOf(storage, declined)).toBe('archived');
    expect(await placeOf(storage, confirmed)).toBe('hot');
    expect((await app.http.get(`/v1/orders/${delivered}`, { token: app.adminToken })).body.archived).toBe(true);
    await eventually('verify passing', async () => (await command(app, ['verify'])).code === 0);
  }, 120_000);

  it('refuses a date it cannot read, and a second archiver while one runs', async () => {
    const bad = await command(app, ['archive', '--before', 'last tuesday']);
    expect(bad.code).toBe(2);
    expect(bad.out).toContain('usage: orderly archive --before DATE');
    const { orders } = app.orderly.modules;
    expect(await orders.archive.takeLease('someone-else', 60_000)).toBe(true);
    try {
      const busy = await command(app, ['archive', '--before', tomorrow()]);
      expect(busy.code).toBe(1);
      expect(busy.out).toContain('another process is archiving');
    } finally {
      await orders.archive.releaseLease('someone-else');
    }
  }, 60_000);
});
