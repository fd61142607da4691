import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, databaseKinds } from './support/databases.js';
import { httpClient } from './support/http.js';
import { freePort, runOrderly, startServer, type OrderlyProcess } from './support/process.js';
import { ADDRESS } from './support/orders.js';

const KILLS = 6;
// Orders each round between kills accepts at least, so that more than 50 are at stake across the kills.
const ORDERS_PER_ROUND = 10;
const ADMIN = { email: 'crash-admin@orderly.test', password: 'crash-admin-1' };

describe.each(databaseKinds)('kill -9 under order load on %s', (kind) => {
  it(`loses no accepted order across ${KILLS} SIGKILLs and restarts, and verify passes`, async () => {
    const database = await createTestDatabase(kind);
    const port = await freePort();
    const env = {
      ...database.env, PORT: String(port), HOST: '127.0.0.1',
      ORDERLY_ADMIN_EMAIL: ADMIN.email, ORDERLY_ADMIN_PASSWORD: ADMIN.password, ORDERLY_RELAY_POLL_MS: '50',
    };
    const http = httpClient(`http://127.0.0.1:${port}`);
    let server: OrderlyProcess = await startServer(env);
    try {
      const admin = (await http.post('/v1/auth/login', ADMIN)).body.token as string;
      const variants: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        const product = await http.post('/v1/products', {
          title: `Crash item ${i}`, category: 'chaos', variants: [{ sku: `CRASH-${i}`, price: { amount: 1000 + i, currency: 'USD' }, stock: 150 }],
        }, { token: admin });
        variants.push(product.body.variants[0].id);
      }
      const customers: string[] = [];
      for (let i = 0; i < 8; i += 1) {
        customers.push((await http.post('/v1/auth/signup', { email: `crash-${i}@orderly.test`, password: 'crash-pass-1', name: `Crash ${i}` })).body.token);
      }

      const accepted: string[] = [];
      let refused = 0;
      let loading = true;
      const worker = async (w: number) => {
        for (let n = 0; loading; n += 1) {
          const token = customers[randomInt(customers.length)]!;
          const body = {
            items: [{ variantId: variants[randomInt(variants.length)]!, quantity: 1 + randomInt(2) }],
            shippingAddress: ADDRESS, paymentToken: randomInt(10) === 0 ? 'tok_declined' : 'tok_visa',
          };
          try {
            const res = await http.post('/v1/orders', body, { token, headers: { 'idempotency-key': `crash-${w}-${n}` } });
            if (res.status === 202) accepted.push(res.body.id);
          } catch {
            refused += 1; // the server is down: nothing was promised
            await new Promise((r) => setTimeout(r, 50));
          }
        }
      };
      const load = Promise.all(Array.from({ length: 6 }, (_, w) => worker(w)));

      for (let kill = 0; kill < KILLS; kill += 1) {
        // A random while, and on a slow machine on until this round has accepted its share (for at most 10 s more).
        const acceptedBefore = accepted.length;
        await new Promise((r) => setTimeout(r, 300 + randomInt(900)));
        const giveUpAt = Date.now() + 10_000;
        while (accepted.length - acceptedBefore < ORDERS_PER_ROUND && Date.now() < giveUpAt) await new Promise((r) => setTimeout(r, 50));
        server.child.kill('SIGKILL');
        expect(await server.exited).toBeNull();
        server = await startServer(env);
      }
      await new Promise((r) => setTimeout(r, 500));
      loading = false;
      await load;
      expect(accepted.length).toBeGreaterThan(50);
      expect(refused).toBeGreaterThan(0);

      const deadline = Date.now() + 60_000;
      let unfinished = accepted;
      while (unfinished.length > 0 && Date.now() < deadline) {
        const states = await Promise.all(unfinished.map(async (id) => ({ id, res: await http.get(`/v1/orders/${id}`, { token: admin }) })));
        for (const { res } of states) expect(res.status).toBe(200);
        unfinished = states.filter(({ res }) => !['confirmed', 'cancelled'].includes(res.body.status)).map(({ id }) => id);
        if (unfinished.length > 0) await new Promise((r) => setTimeout(r, 250));
      }
      expect(unfinished).toEqual([]);

      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      const verify = runOrderly(['verify'], env);
      const code = await verify.exited;
      expect(verify.lines.join('\n')).toContain('OK: every invariant holds');
      expect(code).toBe(0);
    } finally {
      server.child.kill('SIGKILL');
      await database.drop();
    }
  }, 180_000);
});
