import { describe, expect, it } from 'vitest';
import { startNatsServer } from '../../harness/nats-server.js';
import { createTestDatabase, databaseKinds, testNatsUrl } from '../support/databases.js';
import { httpClient } from '../support/http.js';
import { ADDRESS } from '../support/orders.js';
import { eventually } from '../support/payment-sim.js';
import { freePort, runOrderly, startServer } from '../support/process.js';

const ADMIN = { email: 'broker-admin@orderly.test', password: 'broker-admin-1' };
// Runs where PostgreSQL and NATS are given (ORDERLY_TEST_POSTGRES_URL, ORDERLY_TEST_NATS_URL), as in CI.
const available = databaseKinds.includes('postgres') && testNatsUrl !== undefined;
const kinds = ['nats'];

describe.each(kinds)('a broker that cannot be reached (%s)', () => {
  it.runIf(available)(
    'does not stop the API: orders wait in the outbox, readiness says why, and all is delivered once NATS is up',
    async () => {
      const database = await createTestDatabase('postgres');
      const natsPort = await freePort();
      const env = {
        ...database.env,
        HOST: '127.0.0.1',
        ORDERLY_ADMIN_EMAIL: ADMIN.email,
        ORDERLY_ADMIN_PASSWORD: ADMIN.password,
        NATS_URL: `nats://127.0.0.1:${natsPort}`,
        ORDERLY_NATS_STREAM: 'OUTAGE',
      };
      const [allPort, apiPort] = [await freePort(), await freePort()];
      const all = await startServer({ ...env, PORT: String(allPort) });
      const api = await startServer({ ...env, PORT: String(apiPort), ORDERLY_ROLE: 'api' });
      let nats: Awaited<ReturnType<typeof startNatsServer>> | null = null;
      try {
        const http = httpClient(`http://127.0.0.1:${apiPort}`);
        const worker = httpClient(`http://127.0.0.1:${allPort}`);
        // A process that works messages is not ready for work without its broker; an api process stays in rotation.
        const notReady = await worker.get('/readyz');
        expect(notReady.status).toBe(503);
        expect(notReady.body.checks).toContainEqual(expect.objectContaining({ name: 'broker', ok: false }));
        const apiReady = await http.get('/readyz');
        expect(apiReady.status).toBe(200);
        expect(apiReady.body.checks).toContainEqual(expect.objectContaining({ name: 'broker', ok: false, critical: false }));

        const admin = (await http.post('/v1/auth/login', ADMIN)).body.token as string;
        const product = await http.post(
          '/v1/products',
          { title: 'Patient mug', category: 'chaos', variants: [{ sku: 'OUTAGE-1', price: { amount: 700, currency: 'USD' }, stock: 10 }] },
          { token: admin },
        );
        expect(product.status).toBe(201);
        const order = await http.post(
          '/v1/orders',
          { items: [{ variantId: product.body.variants[0].id, quantity: 1 }], shippingAddress: ADDRESS, paymentToken: 'tok_visa' },
          { token: admin, headers: { 'idempotency-key': 'outage-1' } },
        );
        expect(order.status).toBe(202);
        expect(order.body.status).toBe('pending');

        nats = await startNatsServer(natsPort);
        await eventually('the worker ready once NATS is up', async () => (await worker.get('/readyz')).status === 200, 30_000);
        const done = await eventually(
          'the order confirmed',
          async () => {
            const o = (await http.get(`/v1/orders/${order.body.id}`, { token: admin })).body;
            return o.status === 'confirmed' ? o : null;
          },
          30_000,
        );
        expect(done.timeline.map((t: { note?: string }) => t.note)).toContain('order confirmed');
        const verify = runOrderly(['verify'], env);
        expect(await verify.exited).toBe(0);
      } finally {
        all.child.kill('SIGKILL');
        api.child.kill('SIGKILL');
        await nats?.stop();
        await database.drop();
      }
    },
    120_000,
  );
});
