import { describe, expect, it } from 'vitest';
import { createTestDatabase, databaseKinds } from '../support/databases.js';
import { httpClient, type TestResponse } from '../support/http.js';
import { ADDRESS } from '../support/orders.js';
import { eventually } from '../support/payment-sim.js';
import { freePort, startServer, type OrderlyProcess } from '../support/process.js';
import { startReceiver } from '../support/receiver.js';
import { query, storageOfEnv } from '../support/tamper.js';
import { createSecretBox, generateSecretKey } from '../../src/platform/secrets/secret-box.js';

const ADMIN = { email: 'fault-admin@orderly.test', password: 'fault-admin-1' };
// Stored webhook secrets are sealed: the test opens them with the key it gave the server.
const KEY = generateSecretKey();
const secrets = createSecretBox(KEY);

/** One POST route, the request that makes its effect, and how to count that effect afterwards. */
interface Case {
  effect: string;
  request(): { path: string; body?: unknown; token?: string };
  /** Given the answer to the retry, checks the effect exists exactly once. */
  check(answer: TestResponse): Promise<void>;
}

describe.each(databaseKinds)('a crash after an effect commits and before its answer is sent, on %s', (kind) => {
  it('leaves the effect with its answer: the retry with the same key is replayed, and the effect exists once', async () => {
    const database = await createTestDatabase(kind);
    let failing = true;
    const receiver = await startReceiver(() => (failing ? { status: 500 } : {}));
    const port = await freePort();
    const env = {
      ...database.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      ORDERLY_ADMIN_EMAIL: ADMIN.email,
      ORDERLY_ADMIN_PASSWORD: ADMIN.password,
      ORDERLY_RELAY_POLL_MS: '50',
      ORDERLY_WEBHOOK_ALLOW_PRIVATE: 'true',
      ORDERLY_WEBHOOK_RETRY_SCHEDULE: '50ms',
      ORDERLY_SECRET_KEY: KEY.key.toString('base64'),
    };
    const storage = storageOfEnv(env);
    const count = async (statement: string, params: unknown[]) => Number((await query<{ n: number }>(storage, statement, params))[0]!.n);
    const http = httpClient(`http://127.0.0.1:${port}`);
    let server: OrderlyProcess = await startServer(env);
    try {
      // The shop the effects act on, made before any fault is armed.
      const admin = (await http.post('/v1/auth/login', ADMIN)).body.token as string;
      const buyerEmail = 'fault-buyer@orderly.test';
      const buyer = (await http.post('/v1/auth/signup', { email: buyerEmail, password: 'fault-buyer-1', name: 'Buyer' })).body;
      const sku = 'FAULT-1';
      const product = (
        await http.post(
          '/v1/products',
          { title: 'Fault mug', category: 'chaos', variants: [{ sku, price: { amount: 800, currency: 'USD' }, stock: 100 }] },
          { token: admin },
        )
      ).body;
      const variantId = product.variants[0].id as string;
      const order = async () =>
        (
          await http.post(
            '/v1/orders',
            { items: [{ variantId, quantity: 1 }], shippingAddress: ADDRESS, paymentToken: 'tok_visa' },
            {
              token: buyer.token,
              headers: { 'idempotency-key': `setup-${Math.random()}` },
            },
          )
        ).body.id as string;
      const toCancel = await order();
      const toShip = await order();
      const shipmentId = await eventually(
        'a shipment',
        async () => (await http.get(`/v1/orders/${toShip}`, { token: admin })).body.shipment?.id as string | undefined,
      );
      // A webhook to a failing receiver dead-letters product.created at once (one retry after 50 ms).
      const hook = (await http.post('/v1/webhooks/endpoints', { url: receiver.url, events: ['product.created'] }, { token: admin })).body;
      await http.post(
        '/v1/products',
        { title: 'Dead letter', category: 'chaos', variants: [{ sku: 'FAULT-DEAD', price: { amount: 100, currency: 'USD' } }] },
        { token: admin },
      );
      const deadLetter = await eventually(
        'a dead-lettered delivery',
        async () => (await http.get('/v1/admin/dlq', { token: admin })).body.items[0],
      );
      failing = false;
      const delivered = (
        await http.post(
          '/v1/products',
          { title: 'Delivered', category: 'chaos', variants: [{ sku: 'FAULT-OK', price: { amount: 100, currency: 'USD' } }] },
          { token: admin },
        )
      ).body;
      const messageId = await eventually('a delivered message', async () => {
        const got = receiver.received.find(
          (r) => (JSON.parse(r.body) as { data: { product: { id: string } } }).data.product.id === delivered.id,
        );
        return got?.headers['webhook-id'] as string | undefined;
      });
      let signedIn = '';

      const cases: Case[] = [
        {
          effect: 'orders.place',
          request: () => ({
            path: '/v1/orders',
            token: buyer.token,
            body: { items: [{ variantId, quantity: 2 }], shippingAddress: ADDRESS, paymentToken: 'tok_visa' },
          }),
          check: async (answer) => {
            expect(answer.status).toBe(202);
            expect(
              await count('select count(*) as n from orders where user_id = ? and id not in (?, ?)', [buyer.user.id, toCancel, toShip]),
            ).toBe(1);
            expect(await count('select count(*) as n from orders where id = ?', [answer.body.id])).toBe(1);
          },
        },
        {
          effect: 'orders.cancel',
          request: () => ({ path: `/v1/orders/${toCancel}/cancel`, token: buyer.token }),
          check: async (answer) => {
            expect(answer.status).toBe(202);
            expect(answer.body.id).toBe(toCancel);
            expect(
              await count("select count(*) as n from order_timeline where order_id = ? and note like 'cancellation requested%'", [
                toCancel,
              ]),
            ).toBe(1);
          },
        },
        {
          effect: 'inventory.adjust',
          request: () => ({ path: `/v1/inventory/${sku}/adjustments`, token: admin, body: { delta: 5, reason: 'found a box' } }),
          check: async (answer) => {
            expect(answer.status).toBe(200);
            expect(await count("select count(*) as n from inventory_movements where sku = ? and kind = 'adjusted'", [sku])).toBe(1);
          },
        },
        {
          effect: 'catalog.create',
          request: () => ({
            path: '/v1/products',
            token: admin,
            body: {
              title: 'Crash-made lamp',
              category: 'chaos',
              variants: [{ sku: 'FAULT-LAMP', price: { amount: 4200, currency: 'USD' } }],
            },
          }),
          check: async (answer) => {
            expect(answer.status).toBe(201);
            expect(answer.headers.get('location')).toBe(`/v1/products/${answer.body.id}`);
            expect(await count('select count(*) as n from catalog_products where title = ?', ['Crash-made lamp'])).toBe(1);
          },
        },
        {
          effect: 'cart.add',
          request: () => ({ path: '/v1/cart/items', token: buyer.token, body: { variantId, quantity: 3 } }),
          check: async (answer) => {
            expect(answer.status).toBe(200);
            expect((await http.get('/v1/cart', { token: buyer.token })).body.items[0].quantity).toBe(3);
          },
        },
        {
          effect: 'identity.signup',
          request: () => ({
            path: '/v1/auth/signup',
            body: { email: 'crash-signup@orderly.test', password: 'crash-signup-1', name: 'Crash' },
          }),
          check: async (answer) => {
            expect(answer.status).toBe(201);
            expect((await http.get('/v1/me', { token: answer.body.token })).body.id).toBe(answer.body.user.id);
            expect(await count('select count(*) as n from identity_sessions where user_id = ?', [answer.body.user.id])).toBe(1);
          },
        },
        {
          effect: 'identity.login',
          request: () => ({ path: '/v1/auth/login', body: { email: buyerEmail, password: 'fault-buyer-1' } }),
          check: async (answer) => {
            expect(answer.status).toBe(200);
            signedIn = answer.body.token;
            expect((await http.get('/v1/me', { token: signedIn })).status).toBe(200);
            // The signup's session and this one: the login was not run twice.
            expect(await count('select count(*) as n from identity_sessions where user_id = ?', [buyer.user.id])).toBe(2);
          },
        },
        {
          effect: 'webhooks.create',
          request: () => ({
            path: '/v1/webhooks/endpoints',
            token: admin,
            body: { url: `${receiver.url}/crash`, events: ['order.confirmed'] },
          }),
          check: async (answer) => {
            expect(answer.status).toBe(201);
            expect(answer.body.secret).toMatch(/^whsec_/);
            expect(await count('select count(*) as n from webhook_endpoints where url = ?', [`${receiver.url}/crash`])).toBe(1);
          },
        },
        {
          effect: 'webhooks.rotate-secret',
          request: () => ({ path: `/v1/webhooks/endpoints/${hook.id}/rotate-secret`, token: admin }),
          check: async (answer) => {
            expect(answer.status).toBe(200);
            // Rotated once: the secret before it is the one the endpoint was created with.
            const [row] = await query<{ secret: string; previous_secret: string }>(
              storage,
              'select secret, previous_secret from webhook_endpoints where id = ?',
              [hook.id],
            );
            const opened = { secret: secrets.open(row!.secret), previous_secret: secrets.open(row!.previous_secret) };
            expect(opened).toEqual({ secret: answer.body.secret, previous_secret: hook.secret });
          },
        },
        {
          effect: 'webhooks.replay',
          request: () => ({ path: `/v1/webhooks/messages/${messageId}/replay`, token: admin }),
          check: async (answer) => {
            expect(answer.body).toEqual({ messageId, deliveries: 1 });
            expect(await count('select count(*) as n from webhook_deliveries where message_id = ?', [messageId])).toBe(2);
          },
        },
        {
          effect: 'messaging.redrive',
          request: () => ({ path: `/v1/admin/dlq/${deadLetter.id}/redrive`, token: admin }),
          check: async (answer) => {
            expect(answer.body).toEqual({ id: deadLetter.id, status: 'redriven' });
            await eventually(
              'the redriven delivery sent',
              async () => receiver.received.filter((r) => r.headers['webhook-id'] === deadLetter.messageId).length === 3,
            );
          },
        },
        {
          effect: 'shipping.status',
          request: () => ({ path: `/v1/shipments/${shipmentId}/status`, token: admin, body: { status: 'in_transit' } }),
          check: async (answer) => {
            expect(answer.status).toBe(200);
            expect(answer.body.history.map((h: { status: string }) => h.status)).toEqual(['created', 'in_transit']);
            expect(
              await count("select count(*) as n from shipment_events where shipment_id = ? and status = 'in_transit'", [shipmentId]),
            ).toBe(1);
          },
        },
      ];

      const send = (c: Case, key: string) => {
        const { path, body, token } = c.request();
        return http.post(path, body ?? {}, { ...(token ? { token } : {}), headers: { 'idempotency-key': key } });
      };
      // Each case arms its fault on a new process; the retry of the case before it runs on that process too.
      let previous: { c: Case; key: string } | null = null;
      for (const c of [...cases, null]) {
        server.child.kill('SIGTERM');
        await server.exited;
        server = await startServer(c === null ? env : { ...env, ORDERLY_FAULT: `exit-after-commit:${c.effect}` });
        if (previous) {
          const retry = await send(previous.c, previous.key);
          expect(retry.headers.get('idempotent-replayed'), `${previous.c.effect}: ${retry.text}`).toBe('true');
          await previous.c.check(retry);
        }
        if (c === null) break;
        const key = `fault-${c.effect}`;
        await expect(send(c, key), c.effect).rejects.toThrow();
        expect(await server.exited).toBeNull();
        previous = { c, key };
      }

      // Logout's effect is that its token stops working: the retry can no longer be authenticated, and the session was revoked once.
      server.child.kill('SIGTERM');
      await server.exited;
      server = await startServer({ ...env, ORDERLY_FAULT: 'exit-after-commit:identity.logout' });
      await expect(http.post('/v1/auth/logout', {}, { token: signedIn, headers: { 'idempotency-key': 'fault-logout' } })).rejects.toThrow();
      expect(await server.exited).toBeNull();
      server = await startServer(env);
      expect((await http.post('/v1/auth/logout', {}, { token: signedIn, headers: { 'idempotency-key': 'fault-logout' } })).status).toBe(
        401,
      );
      expect(await count('select count(*) as n from identity_sessions where user_id = ? and revoked_at is not null', [buyer.user.id])).toBe(
        1,
      );
    } finally {
      server.child.kill('SIGKILL');
      await server.exited;
      await receiver.close();
      await database.drop();
    }
  }, 180_000);
});
