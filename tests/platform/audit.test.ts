import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAudit } from '../../src/platform/audit/audit-log.js';
import { ADMIN, startApp, uniqueSku, type TestApp } from '../support/app.js';
import { databaseKinds } from '../support/databases.js';
import { placeOrder, waitForShipment } from '../support/orders.js';
import { eventually } from '../support/payment-sim.js';
import { startReceiver, type Receiver } from '../support/receiver.js';

// The admin's requests come "through" a trusted proxy (the tests' loopback), which names the client.
const CLIENT = '203.0.113.9';

interface AuditRecord {
  id: string;
  actor: string;
  action: string;
  subject: string;
  before?: any;
  after?: any;
  address: string | null;
  at: string;
}

describe.each(databaseKinds)('the audit log on %s', (kind) => {
  let app: TestApp;
  let adminId: string;
  const receivers: Receiver[] = [];
  const admin = () => ({ token: app.adminToken, headers: { 'x-forwarded-for': CLIENT } });

  beforeAll(async () => {
    app = await startApp(kind, {
      ORDERLY_TRUSTED_PROXIES: 'loopback',
      ORDERLY_WEBHOOK_ALLOW_PRIVATE: 'true',
      ORDERLY_WEBHOOK_RETRY_SCHEDULE: '100ms,100ms',
    });
    adminId = (await app.http.get('/v1/me', { token: app.adminToken })).body.id;
  });

  afterAll(async () => {
    await app?.stop();
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });

  async function audit(query: string): Promise<{ items: AuditRecord[]; nextCursor: string | null }> {
    const res = await app.http.get(`/v1/admin/audit?limit=100&${query}`, { token: app.adminToken });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  }
  const recordsOf = async (subject: string) => (await audit(`subject=${encodeURIComponent(subject)}`)).items;

  async function createProduct(): Promise<any> {
    const res = await app.http.post(
      '/v1/products',
      {
        title: 'Audited mug',
        category: 'kitchen',
        variants: [{ sku: uniqueSku('AUD'), price: { amount: 900, currency: 'USD' }, stock: 5 }],
      },
      admin(),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body;
  }

  async function endpoint(events: string[], answer: Receiver['answer'] = () => ({})) {
    const r = await startReceiver(answer);
    receivers.push(r);
    const res = await app.http.post('/v1/webhooks/endpoints', { url: r.url, events }, admin());
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return { id: res.body.id as string, secret: res.body.secret as string, received: r.received };
  }

  it('records the bootstrap admin made at start-up as the system’s role change', async () => {
    const [record, ...others] = await recordsOf(adminId);
    expect(others).toEqual([]);
    expect(record).toMatchObject({
      actor: 'system',
      action: 'user.role_changed',
      subject: adminId,
      address: null,
      before: { role: null },
      after: { role: 'admin', email: ADMIN.email },
    });
  });

  it('records the promotion of an existing account to admin at start-up, and nothing when it is an admin already', async () => {
    const customer = await app.customer();
    const ensureAdmin = () => app.orderly.modules.identity.service.ensureAdmin({ email: customer.email, password: 'another-password-1' });
    await ensureAdmin();
    await ensureAdmin();
    expect(await recordsOf(customer.id)).toEqual([
      expect.objectContaining({
        actor: 'system',
        action: 'user.role_changed',
        address: null,
        before: { role: 'customer' },
        after: { role: 'admin', email: customer.email },
      }),
    ]);
  });

  it('is for admins only: 401 anonymous, 403 customer, as problem+json', async () => {
    const anonymous = await app.http.get('/v1/admin/audit');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toContain('application/problem+json');
    const customer = await app.customer();
    const forbidden = await app.http.get('/v1/admin/audit', { token: customer.token });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe('forbidden');
  });

  it('records a product’s creation, its changes and its price changes with who, from where, before and after', async () => {
    const product = await createProduct();
    const variant = product.variants[0];
    const patch = await app.http.patch(
      `/v1/products/${product.id}`,
      { title: 'Audited cup', variants: [{ id: variant.id, price: { amount: 1100, currency: 'USD' } }] },
      admin(),
    );
    expect(patch.status, JSON.stringify(patch.body)).toBe(200);

    const [updated, created] = await recordsOf(product.id);
    expect(created).toMatchObject({
      actor: adminId,
      action: 'product.created',
      address: CLIENT,
      after: { id: product.id, title: 'Audited mug' },
    });
    expect(created!.before).toBeUndefined();
    expect(updated).toMatchObject({
      actor: adminId,
      action: 'product.updated',
      address: CLIENT,
      before: { title: 'Audited mug' },
      after: { title: 'Audited cup' },
    });
    expect(Object.keys(updated!.after)).toEqual(['title']);
    expect(await recordsOf(variant.id)).toEqual([
      expect.objectContaining({
        actor: adminId,
        action: 'variant.price_changed',
        address: CLIENT,
        before: { productId: product.id, sku: variant.sku, price: { amount: 900, currency: 'USD' } },
        after: { productId: product.id, sku: variant.sku, price: { amount: 1100, currency: 'USD' } },
      }),
    ]);
    expect(Date.parse(updated!.at)).toBeGreaterThanOrEqual(Date.parse(created!.at));
  });

  it('records nothing for an admin action that fails: a validation error, a refused precondition, a rolled-back change', async () => {
    const product = await createProduct();
    const before = await recordsOf(product.id);
    // Refused by the schema before the handler runs.
    expect((await app.http.patch(`/v1/products/${product.id}`, { title: '' }, admin())).status).toBe(400);
    // Refused in the transaction after the product was read: rolled back.
    const foreign = await app.http.patch(
      `/v1/products/${product.id}`,
      { title: 'Never', variants: [{ id: `var_${'0'.repeat(32)}`, price: { amount: 1, currency: 'USD' } }] },
      admin(),
    );
    expect(foreign.status).toBe(400);
    const stale = await app.http.patch(
      `/v1/products/${product.id}`,
      { title: 'Never' },
      { ...admin(), headers: { ...admin().headers, 'if-match': '"stale"' } },
    );
    expect(stale.status).toBe(412);
    expect(
      (await app.http.post(`/v1/inventory/${product.variants[0].sku}/adjustments`, { delta: -6, reason: 'too many' }, admin())).status,
    ).toBe(409);
    expect(await recordsOf(product.id)).toEqual(before);
    expect(await recordsOf(product.variants[0].sku)).toEqual([]);
    expect((await app.http.get(`/v1/products/${product.id}`)).body.title).toBe('Audited mug');
  });

  it('records a stock adjustment with the stock before and after, the delta and the reason', async () => {
    const product = await createProduct();
    const sku = product.variants[0].sku;
    const res = await app.http.post(`/v1/inventory/${sku}/adjustments`, { delta: -2, reason: 'damaged in the warehouse' }, admin());
    expect(res.status).toBe(200);
    expect(await recordsOf(sku)).toEqual([
      expect.objectContaining({
        actor: adminId,
        action: 'stock.adjusted',
        address: CLIENT,
        before: { available: 5, reserved: 0, sold: 0 },
        after: { available: 3, reserved: 0, sold: 0, delta: -2, reason: 'damaged in the warehouse' },
      }),
    ]);
  });

  it('records an admin’s cancellation (which sets off the refund and restock), not a customer’s own', async () => {
    const product = await createProduct();
    const customer = await app.customer();
    const order = async () => {
      const placed = await placeOrder(app, customer.token, { items: [{ variantId: product.variants[0].id, quantity: 1 }] });
      expect(placed.status).toBe(202);
      return placed.body.id as string;
    };
    const byCustomer = await order();
    expect((await app.http.post(`/v1/orders/${byCustomer}/cancel`, undefined, { token: customer.token })).status).toBe(202);
    expect(await recordsOf(byCustomer)).toEqual([]);

    const byAdmin = await order();
    expect((await app.http.post(`/v1/orders/${byAdmin}/cancel`, undefined, admin())).status).toBe(202);
    // Asking again changes nothing, and records nothing.
    expect((await app.http.post(`/v1/orders/${byAdmin}/cancel`, undefined, admin())).status).toBe(202);
    const records = await recordsOf(byAdmin);
    expect(records).toEqual([
      expect.objectContaining({
        actor: adminId,
        action: 'order.cancelled',
        address: CLIENT,
        after: expect.objectContaining({ cancellationReason: 'admin_request' }),
      }),
    ]);
    expect(records[0]!.before).toMatchObject({ cancellationReason: null });
  });

  it('records a shipment moved on by an admin', async () => {
    const product = await createProduct();
    const customer = await app.customer();
    const placed = await placeOrder(app, customer.token, { items: [{ variantId: product.variants[0].id, quantity: 1 }] });
    const { shipment } = await waitForShipment(app, customer.token, placed.body.id);
    expect((await app.http.post(`/v1/shipments/${shipment.id}/status`, { status: 'in_transit' }, admin())).status).toBe(200);
    expect(await recordsOf(shipment.id)).toEqual([
      expect.objectContaining({
        actor: adminId,
        action: 'shipment.status_changed',
        address: CLIENT,
        before: { status: 'created', orderId: placed.body.id },
        after: { status: 'in_transit', orderId: placed.body.id },
      }),
    ]);
  });

  it('records webhook endpoint changes and secret rotations without ever holding a secret', async () => {
    const { id, secret } = await endpoint(['order.confirmed']);
    expect((await app.http.patch(`/v1/webhooks/endpoints/${id}`, { description: 'ERP', disabled: true }, admin())).status).toBe(200);
    const rotated = await app.http.post(`/v1/webhooks/endpoints/${id}/rotate-secret`, undefined, admin());
    expect(rotated.status).toBe(200);
    expect((await app.http.delete(`/v1/webhooks/endpoints/${id}`, admin())).status).toBe(204);

    const records = await recordsOf(id);
    expect(records.map((r) => r.action)).toEqual([
      'webhook_endpoint.deleted',
      'webhook_endpoint.secret_rotated',
      'webhook_endpoint.updated',
      'webhook_endpoint.created',
    ]);
    for (const record of records) expect(record).toMatchObject({ actor: adminId, address: CLIENT, subject: id });
    const [deleted, rotation, update, created] = records;
    expect(created!.after).toMatchObject({ id, events: ['order.confirmed'], disabled: false });
    expect(update!.before).toMatchObject({ description: '', disabled: false });
    expect(update!.after).toMatchObject({ description: 'ERP', disabled: true });
    expect(rotation!.after.oldKeyValidUntil).toEqual(expect.any(String));
    expect(deleted!.before).toMatchObject({ id, description: 'ERP' });
    expect(deleted!.after).toBeUndefined();

    const everything = JSON.stringify((await audit('')).items);
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(rotated.body.secret);
    expect(everything).not.toContain('whsec_');
  });

  it('records a replayed webhook message and a redriven dead letter', async () => {
    let healthy = false;
    const watching = await endpoint(['product.created'], () => ({ status: healthy ? 200 : 500 }));
    await createProduct();
    const letter = await eventually('the dead letter', async () => {
      const items = (await app.http.get('/v1/admin/dlq?limit=100', { token: app.adminToken })).body.items;
      return items.find((l: { key: string }) => l.key === watching.id);
    });
    healthy = true;
    expect((await app.http.post(`/v1/admin/dlq/${letter.id}/redrive`, undefined, admin())).status).toBe(202);
    expect(await recordsOf(letter.id)).toEqual([
      expect.objectContaining({
        actor: adminId,
        action: 'dlq.redriven',
        address: CLIENT,
        before: { status: 'dead' },
        after: { status: 'redriven' },
      }),
    ]);
    // Redriving what is no longer dead is a 404, and no record.
    expect((await app.http.post(`/v1/admin/dlq/${letter.id}/redrive`, undefined, admin())).status).toBe(404);
    expect(await recordsOf(letter.id)).toHaveLength(1);

    const messageId = String(watching.received[0]!.headers['webhook-id']);
    expect((await app.http.post(`/v1/webhooks/messages/${messageId}/replay`, undefined, admin())).status).toBe(202);
    expect(await recordsOf(messageId)).toEqual([
      expect.objectContaining({ actor: adminId, action: 'webhook_message.replayed', address: CLIENT, after: { endpoints: [watching.id] } }),
    ]);
  });

  it('records a change to a sandbox provider’s faults', async () => {
    const res = await app.http.put('/v1/admin/sandbox/push/faults', { failNext: 1 }, admin());
    expect(res.status).toBe(200);
    const [record] = (await audit('action=sandbox.faults_changed')).items;
    expect(record).toMatchObject({ actor: adminId, subject: 'push', address: CLIENT, after: { failNext: 1 } });
    expect(record!.before.failNext).not.toBe(1);
    await app.http.put('/v1/admin/sandbox/push/faults', record!.before, { token: app.adminToken });
  });

  it('keeps a record only when the transaction it was written in commits, and never a secret-looking key', async () => {
    const subject = `rolled-back-${kind}`;
    const actor = { id: adminId, address: CLIENT };
    const failing = app.orderly.database.transaction(async (tx) => {
      await recordAudit(tx, { actor, action: 'product.updated', subject, after: { title: 'never' } });
      throw new Error('the change failed after its record was written');
    });
    await expect(failing).rejects.toThrow('the change failed');
    expect(await recordsOf(subject)).toEqual([]);

    await app.orderly.database.transaction((tx) =>
      recordAudit(tx, {
        actor,
        action: 'product.updated',
        subject,
        after: { title: 'kept', secret: 'whsec_x', nested: [{ passwordHash: 'h' }] },
      }),
    );
    expect((await recordsOf(subject)).map((r) => r.after)).toEqual([{ title: 'kept', nested: [{}] }]);
  });

  it('filters by actor, action and subject, newest first, a page at a time', async () => {
    const product = await createProduct();
    const sku = product.variants[0].sku;
    for (const delta of [1, 2, 3]) {
      expect(
        (await app.http.post(`/v1/inventory/${sku}/adjustments`, { delta, reason: `restock ${delta}` }, { token: app.adminToken })).status,
      ).toBe(200);
    }
    const seen: AuditRecord[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await app.http.get(
        `/v1/admin/audit?subject=${sku}&action=stock.adjusted&actor=${adminId}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        {
          token: app.adminToken,
        },
      );
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen.map((r) => r.after.delta)).toEqual([3, 2, 1]);
    // Without a proxy header, the address is the connection's.
    expect(seen.every((r) => r.address === '127.0.0.1' && r.actor === adminId)).toBe(true);

    expect((await audit('action=stock.adjusted')).items.every((r) => r.action === 'stock.adjusted')).toBe(true);
    const bySystem = (await audit('actor=system')).items;
    expect(bySystem.every((r) => r.action === 'user.role_changed')).toBe(true);
    expect(bySystem.map((r) => r.subject)).toContain(adminId);
    expect((await audit(`actor=usr_${'0'.repeat(32)}`)).items).toEqual([]);
    expect((await app.http.get('/v1/admin/audit?limit=0', { token: app.adminToken })).status).toBe(400);
    expect((await app.http.get('/v1/admin/audit?limit=101', { token: app.adminToken })).status).toBe(400);
    expect((await app.http.get('/v1/admin/audit?cursor=bm9wZQ', { token: app.adminToken })).status).toBe(400);
  });

  it('cannot be changed through the API: PUT, PATCH and DELETE answer problem+json and the record stays as it was', async () => {
    const [record] = (await audit('')).items;
    for (const method of ['PUT', 'PATCH', 'DELETE', 'POST']) {
      for (const path of ['/v1/admin/audit', `/v1/admin/audit/${record!.id}`]) {
        const res = await app.http.request(method, path, method === 'DELETE' ? undefined : { actor: 'someone-else' }, {
          token: app.adminToken,
        });
        expect([404, 405], `${method} ${path}`).toContain(res.status);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
      }
    }
    expect((await audit(`subject=${encodeURIComponent(record!.subject)}`)).items).toContainEqual(record);
  });

  it('is documented in the OpenAPI document as a read-only, admin-only list', async () => {
    const res = await app.http.get('/openapi.json');
    const path = res.body.paths['/v1/admin/audit'];
    expect(Object.keys(path)).toEqual(['get']);
    expect(path.get.security).toEqual([{ bearer: [] }]);
    expect(path.get.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['action', 'actor', 'cursor', 'limit', 'subject']);
  });
});
