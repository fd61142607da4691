import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startNatsServer } from '../../harness/nats-server.js';
import { createTestDatabase, databaseKinds, testNatsUrl } from '../support/databases.js';
import { httpClient } from '../support/http.js';
import { ADDRESS } from '../support/orders.js';
import { freePort, runOrderly, startServer } from '../support/process.js';
import { postUntilAnswered, untilNoneLeft } from '../support/retry.js';

const ADMIN = { email: 'crashes-admin@orderly.test', password: 'crashes-admin-1' };
// Broker kill -9s, each followed by a restart, while orders keep coming.
const CRASHES = 12;
// Runs where PostgreSQL and NATS are given (ORDERLY_TEST_POSTGRES_URL, ORDERLY_TEST_NATS_URL), as in CI.
const available = databaseKinds.includes('postgres') && testNatsUrl !== undefined;
const kinds = ['nats'];

describe.each(kinds)('a broker killed again and again under orders (%s)', () => {
  // A kill -9 of nats-server can leave a consumer counting a message it no longer has as handed out, which
  // stops its partition for good; the watchdog makes such a consumer afresh. Whether a given run hits that
  // is chance: what must hold every time is that every accepted order finishes.
  it.runIf(available)(
    'loses no order: every accepted order finishes, and every invariant holds',
    async () => {
      const database = await createTestDatabase('postgres');
      const nats = await startNatsServer();
      const env = {
        ...database.env,
        HOST: '127.0.0.1',
        ORDERLY_ADMIN_EMAIL: ADMIN.email,
        ORDERLY_ADMIN_PASSWORD: ADMIN.password,
        NATS_URL: nats.url,
        ORDERLY_NATS_STREAM: 'CRASHES',
        ORDERLY_NATS_ACK_WAIT_MS: '2000',
        ORDERLY_NATS_PARTITIONS: '4',
      };
      const [apiPort, workerPort] = [await freePort(), await freePort()];
      const api = await startServer({ ...env, PORT: String(apiPort), ORDERLY_ROLE: 'api' });
      const worker = await startServer({ ...env, PORT: String(workerPort), ORDERLY_ROLE: 'worker' });
      try {
        const http = httpClient(`http://127.0.0.1:${apiPort}`);
        const admin = (await http.post('/v1/auth/login', ADMIN)).body.token as string;
        const product = await http.post(
          '/v1/products',
          {
            title: 'Sturdy kettle',
            category: 'chaos',
            variants: [{ sku: 'CRASH-1', price: { amount: 1500, currency: 'USD' }, stock: 5000 }],
          },
          { token: admin },
        );
        expect(product.status).toBe(201);
        const variantId = product.body.variants[0].id as string;

        const accepted: string[] = [];
        let loading = true;
        const buyer = async (b: number) => {
          for (let n = 0; loading; n += 1) {
            const answer = await postUntilAnswered(
              http,
              '/v1/orders',
              { items: [{ variantId, quantity: 1 }], shippingAddress: ADDRESS, paymentToken: 'tok_visa' },
              { token: admin, key: `crashes-${b}-${n}` },
            );
            expect(answer.response.status, answer.response.text).toBe(202);
            accepted.push(answer.response.body.id);
            await new Promise((r) => setTimeout(r, randomInt(100)));
          }
        };
        const load = Promise.all([0, 1, 2].map(buyer));
        for (let crash = 0; crash < CRASHES; crash += 1) {
          await new Promise((r) => setTimeout(r, 300 + randomInt(700)));
          await nats.kill();
          await new Promise((r) => setTimeout(r, 100 + randomInt(300)));
          await nats.start();
        }
        await new Promise((r) => setTimeout(r, 1_000));
        loading = false;
        await load;
        expect(accepted.length).toBeGreaterThan(0);

        let unfinished = [...accepted];
        await untilNoneLeft('accepted orders reaching confirmed or cancelled', async () => {
          const states = await Promise.all(
            unfinished.map(async (id) => ({ id, res: await http.get(`/v1/orders/${id}`, { token: admin }) })),
          );
          unfinished = states.filter(({ res }) => !['confirmed', 'cancelled'].includes(res.body.status)).map(({ id }) => id);
          return unfinished;
        });

        const metrics = await fetch(`http://127.0.0.1:${workerPort}/metrics`).then((r) => r.text());
        const recreated = [...metrics.matchAll(/^orderly_nats_consumers_recreated_total\{[^}]*\} (\d+)/gm)].reduce(
          (n, m) => n + Number(m[1]),
          0,
        );
        api.child.kill('SIGKILL');
        worker.child.kill('SIGKILL');
        const verify = runOrderly(['verify'], env);
        const code = await verify.exited;
        expect(verify.lines.join('\n')).toContain('OK: every invariant holds');
        expect(code).toBe(0);
        process.stdout.write(
          `[broker crashes] ${accepted.length} orders across ${CRASHES} broker kill -9s; consumers made afresh: ${recreated}\n`,
        );
      } finally {
        api.child.kill('SIGKILL');
        worker.child.kill('SIGKILL');
        await nats.stop();
        await database.drop();
      }
    },
    240_000,
  );
});
