import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createOrderly } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../support/databases.js';
import { httpClient } from '../support/http.js';
import { runOrderly } from '../support/process.js';
import { ADDRESS } from '../support/orders.js';
import { eventually } from '../support/payment-sim.js';

const ADMIN = { email: 'verify-admin@orderly.test', password: 'verify-admin-1' };

describe.each(databaseKinds)('orderly verify on %s', (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    // Some real history: a confirmed order and a declined one.
    const orderly = await createOrderly(
      loadConfig({
        ...database.env,
        PORT: '0',
        LOG_LEVEL: 'silent',
        ORDERLY_ADMIN_EMAIL: ADMIN.email,
        ORDERLY_ADMIN_PASSWORD: ADMIN.password,
      }),
    );
    const http = httpClient(await orderly.listen());
    const admin = (await http.post('/v1/auth/login', ADMIN)).body.token;
    const product = await http.post(
      '/v1/products',
      { title: 'Lamp', category: 'home', variants: [{ sku: 'VERIFY-1', price: { amount: 3000, currency: 'USD' }, stock: 5 }] },
      { token: admin },
    );
    const customer = (await http.post('/v1/auth/signup', { email: 'v@orderly.test', password: 'verify-pass-1', name: 'V' })).body.token;
    const ids: string[] = [];
    for (const paymentToken of ['tok_visa', 'tok_declined']) {
      const res = await http.post(
        '/v1/orders',
        { items: [{ variantId: product.body.variants[0].id, quantity: 1 }], shippingAddress: ADDRESS, paymentToken },
        { token: customer, headers: { 'idempotency-key': paymentToken } },
      );
      ids.push(res.body.id);
    }
    for (const id of ids) {
      await eventually(`order ${id} finished`, async () =>
        ['confirmed', 'cancelled'].includes((await http.get(`/v1/orders/${id}`, { token: admin })).body.status),
      );
    }
    await eventually('the shipment', async () => (await http.get(`/v1/orders/${ids[0]}`, { token: admin })).body.shipment);
    await orderly.close();
  });
  afterAll(() => database.drop());

  it('passes on a healthy database and lists no dead letters', async () => {
    const verify = runOrderly(['verify'], { ...database.env, LOG_LEVEL: 'warn' });
    expect(await verify.exited).toBe(0);
    expect(verify.lines.join('\n')).toMatch(/checked 1 SKUs, 2 orders \(0 still pending\).*\nOK: every invariant holds/);
    const dlq = runOrderly(['dlq', 'list'], { ...database.env, LOG_LEVEL: 'warn' });
    expect(await dlq.exited).toBe(0);
    expect(dlq.lines.join('\n')).toContain('0 dead letter(s)');
  });

  it('exits non-zero with a readable report when stock or money does not add up', async () => {
    const orderly = await createOrderly(loadConfig({ ...database.env, PORT: '0', LOG_LEVEL: 'silent', ORDERLY_ROLE: 'api' }));
    await sql`update inventory_stock set available = available + 3 where sku = 'VERIFY-1'`.execute(orderly.database.db);
    await sql`update orders set total_amount = total_amount + 1 where status = 'confirmed'`.execute(orderly.database.db);
    await orderly.close();
    const verify = runOrderly(['verify'], { ...database.env, LOG_LEVEL: 'warn' });
    expect(await verify.exited).toBe(1);
    const report = verify.lines.join('\n');
    expect(report).toContain('FAILED');
    expect(report).toMatch(/\[stock conservation\] VERIFY-1: stock 7\/0\/1 .* ledger sums to 4\/0\/1/);
    expect(report).toMatch(/\[consistent outcomes\] ord_\w+: confirmed but captured 3000 of 3001/);
  });
});
