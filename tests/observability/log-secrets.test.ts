import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../support/databases.js';
import { httpClient } from '../support/http.js';
import { ADDRESS } from '../support/orders.js';
import { eventually } from '../support/payment-sim.js';
import { freePort, runOrderly, startServer, type OrderlyProcess } from '../support/process.js';
import { startReceiver, type Receiver } from '../support/receiver.js';

/**
 * A whole run at trace level, every line it printed (stdout and stderr, the server's and the commands')
 * searched for each secret the run used: none may appear, whatever field or message it might be in.
 */
describe.each(databaseKinds)('logs of a full run on %s', (kind) => {
  let database: TestDatabase | null = null;
  let server: OrderlyProcess | null = null;
  let receiver: Receiver | null = null;

  afterAll(async () => {
    server?.child.kill('SIGKILL');
    await receiver?.close();
    await database?.drop();
  });

  it('never show a password, a bearer token, a webhook secret, a payment token or the secret key', async () => {
    receiver = await startReceiver();
    const port = await freePort();
    const secretKey = randomBytes(32).toString('base64');
    const adminPassword = `admin-${randomBytes(8).toString('hex')}`;
    database = await createTestDatabase(kind);
    const env = {
      ...database.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'trace',
      ORDERLY_SECRET_KEY: secretKey,
      ORDERLY_ADMIN_EMAIL: 'log-admin@orderly.test',
      ORDERLY_ADMIN_PASSWORD: adminPassword,
      ORDERLY_WEBHOOK_ALLOW_PRIVATE: 'true',
    };
    const http = httpClient(`http://127.0.0.1:${port}`);
    const printed: string[][] = [];
    server = await startServer(env);
    const key = () => ({ 'idempotency-key': randomBytes(8).toString('hex') });

    const admin = (await http.post('/v1/auth/login', { email: env.ORDERLY_ADMIN_EMAIL, password: adminPassword })).body.token as string;
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const email = `log-buyer-${randomBytes(4).toString('hex')}@orderly.test`;
    const signedUp = await http.post('/v1/auth/signup', { email, password, name: 'Log Buyer' }, { headers: key() });
    expect(signedUp.status).toBe(201);
    const loggedIn = await http.post('/v1/auth/login', { email, password });
    expect(loggedIn.status).toBe(200);
    const wrong = await http.post('/v1/auth/login', { email, password: `${password}-wrong` });
    expect(wrong.status).toBe(401);
    const customer = loggedIn.body.token as string;

    const created = await http.post('/v1/webhooks/endpoints', { url: receiver.url, events: ['*'] }, { token: admin, headers: key() });
    expect(created.status).toBe(201);
    const rotated = await http.post(`/v1/webhooks/endpoints/${created.body.id}/rotate-secret`, undefined, { token: admin, headers: key() });
    expect(rotated.status).toBe(200);

    const product = await http.post(
      '/v1/products',
      {
        title: 'Logged lamp',
        category: 'lamps',
        variants: [{ sku: `LOG-${randomBytes(4).toString('hex')}`, price: { amount: 2500, currency: 'USD' }, stock: 5 }],
      },
      { token: admin },
    );
    const paymentToken = 'tok_mastercard';
    const order = await http.post(
      '/v1/orders',
      { items: [{ variantId: product.body.variants[0].id, quantity: 1 }], shippingAddress: ADDRESS, paymentToken },
      { token: customer, headers: key() },
    );
    expect(order.status).toBe(202);
    await eventually('order.confirmed delivered to the receiver', async () =>
      receiver!.received.some((r) => JSON.parse(r.body).type === 'order.confirmed' && JSON.parse(r.body).data.orderId === order.body.id),
    );
    expect((await http.post('/v1/auth/logout', undefined, { token: customer })).status).toBeLessThan(300);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    printed.push(server.lines, server.stderr);

    // The commands an operator runs print too.
    const rotation = runOrderly(['rotate-secret-key'], {
      ...env,
      ORDERLY_SECRET_KEY: randomBytes(32).toString('base64'),
      ORDERLY_SECRET_KEY_PREVIOUS: secretKey,
    });
    expect(await rotation.exited).toBe(0);
    printed.push(rotation.lines, rotation.stderr);

    const output = printed.flat().join('\n');
    const lines = printed.flat().length;
    // A real run at the most verbose level: start-up, every request, the saga and the command all printed.
    expect(lines).toBeGreaterThan(15);
    for (const msg of ['request completed', 'saga step', 'payment succeeded', 'stopped cleanly', 're-encrypted under key'])
      expect(output).toContain(msg);
    const secrets = {
      'customer password': password,
      'admin password': adminPassword,
      'customer bearer token': customer,
      'signup bearer token': signedUp.body.token as string,
      'admin bearer token': admin,
      'first webhook secret': created.body.secret as string,
      'rotated webhook secret': rotated.body.secret as string,
      'payment token': paymentToken,
      ORDERLY_SECRET_KEY: secretKey,
      'ORDERLY_SECRET_KEY as hex': Buffer.from(secretKey, 'base64').toString('hex'),
    };
    for (const [what, value] of Object.entries(secrets)) {
      expect(value.length, what).toBeGreaterThan(7);
      const at = printed.flat().find((line) => line.includes(value) || (value.startsWith('whsec_') && line.includes(value.slice(6))));
      expect(at, `${what} printed in: ${at}`).toBeUndefined();
    }
  });
});
