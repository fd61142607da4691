import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, messagingKinds } from '../support/databases.js';
import { httpClient } from '../support/http.js';
import { freePort, runOrderly, startServer, type OrderlyProcess } from '../support/process.js';
import { ADDRESS } from '../support/orders.js';
import { postUntilAnswered, untilDone, untilNoneLeft } from '../support/retry.js';
import { query, storageOfEnv } from '../support/tamper.js';

const KILLS = 6;
// Orders each round between kills accepts at least, however long that takes, so that more than 60 are at stake.
const ORDERS_PER_ROUND = 10;
const ADMIN = { email: 'crash-admin@orderly.test', password: 'crash-admin-1' };

describe.each(messagingKinds)('kill -9 under order load on %s', (kind) => {
  it(`loses no accepted order across ${KILLS} SIGKILLs and restarts, and verify passes`, async () => {
    const database = await createTestDatabase(kind);
    const port = await freePort();
    const env = {
      ...database.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      ORDERLY_ADMIN_EMAIL: ADMIN.email,
      ORDERLY_ADMIN_PASSWORD: ADMIN.password,
      ORDERLY_RELAY_POLL_MS: '50',
    };
    const http = httpClient(`http://127.0.0.1:${port}`);
    let server: OrderlyProcess = await startServer(env);
    try {
      const admin = (await http.post('/v1/auth/login', ADMIN)).body.token as string;
      const variants: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        const product = await http.post(
          '/v1/products',
          {
            title: `Crash item ${i}`,
            category: 'chaos',
            variants: [{ sku: `CRASH-${i}`, price: { amount: 1000 + i, currency: 'USD' }, stock: 150 }],
          },
          { token: admin },
        );
        variants.push(product.body.variants[0].id);
      }
      const customers: string[] = [];
      for (let i = 0; i < 8; i += 1) {
        customers.push(
          (await http.post('/v1/auth/signup', { email: `crash-${i}@orderly.test`, password: 'crash-pass-1', name: `Crash ${i}` })).body
            .token,
        );
      }

      // Every order attempt is retried with its key until answered, as a careful client would across the kills.
      const accepted = new Map<string, string>();
      const retried: number[] = [];
      let unreachable = 0;
      let loading = true;
      const worker = async (w: number) => {
        for (let n = 0; loading; n += 1) {
          const token = customers[randomInt(customers.length)]!;
          const body = {
            items: [{ variantId: variants[randomInt(variants.length)]!, quantity: 1 + randomInt(2) }],
            shippingAddress: ADDRESS,
            paymentToken: randomInt(10) === 0 ? 'tok_declined' : 'tok_visa',
          };
          const key = `crash-${w}-${n}`;
          const answer = await postUntilAnswered(http, '/v1/orders', body, { token, key });
          expect(answer.response.status, answer.response.text).toBe(202);
          accepted.set(key, answer.response.body.id);
          unreachable += answer.unreachable;
          if (answer.retriedMs > 0) retried.push(answer.retriedMs);
        }
      };
      const load = Promise.all(Array.from({ length: 6 }, (_, w) => worker(w)));

      for (let kill = 0; kill < KILLS; kill += 1) {
        // A random while, then on until this round has accepted its share of orders, however slow the machine.
        const acceptedBefore = accepted.size;
        await new Promise((r) => setTimeout(r, 300 + randomInt(900)));
        await untilDone(
          `round ${kill} accepting ${ORDERS_PER_ROUND} orders`,
          () => accepted.size - acceptedBefore >= ORDERS_PER_ROUND,
          () => accepted.size,
        );
        server.child.kill('SIGKILL');
        expect(await server.exited).toBeNull();
        server = await startServer(env);
      }
      await new Promise((r) => setTimeout(r, 500));
      loading = false;
      await load;
      expect(accepted.size).toBeGreaterThan(KILLS * ORDERS_PER_ROUND);
      expect(unreachable).toBeGreaterThan(0);
      // One order per key, and no order that no client was told of: the orders in the database are exactly the accepted ones.
      expect(new Set(accepted.values()).size).toBe(accepted.size);
      const stored = await query<{ id: string }>(storageOfEnv(env), 'select id from orders');
      expect(stored.map((o) => o.id).sort()).toEqual([...accepted.values()].sort());
      retried.sort((a, b) => a - b);
      process.stdout.write(
        `[crash ${kind}] ${accepted.size} orders, ${retried.length} answered after retries: p50 ${retried[Math.floor(retried.length / 2)] ?? 0} ms, max ${retried.at(-1) ?? 0} ms\n`,
      );

      let unfinished = [...accepted.values()];
      await untilNoneLeft('accepted orders reaching confirmed or cancelled', async () => {
        const states = await Promise.all(unfinished.map(async (id) => ({ id, res: await http.get(`/v1/orders/${id}`, { token: admin }) })));
        for (const { res } of states) expect(res.status).toBe(200);
        unfinished = states.filter(({ res }) => !['confirmed', 'cancelled'].includes(res.body.status)).map(({ id }) => id);
        return unfinished;
      });

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
