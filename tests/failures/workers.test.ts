import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startNatsServer, type NatsServer } from '../../harness/nats-server.js';
import { createTestDatabase, databaseKinds, testNatsUrl } from '../support/databases.js';
import { httpClient } from '../support/http.js';
import { ADDRESS } from '../support/orders.js';
import { freePort, runOrderly, startServer, type OrderlyProcess } from '../support/process.js';
import { orderWebhooksDelivered, startReceiver } from '../support/receiver.js';
import { postUntilAnswered, untilDone, untilNoneLeft } from '../support/retry.js';
import { query, storageOfEnv } from '../support/tamper.js';

const ADMIN = { email: 'workers-admin@orderly.test', password: 'workers-admin-1' };
// Orders each phase of the chaos accepts, however long that takes.
const PER_PHASE = 15;

// PostgreSQL's own queue (SKIP LOCKED + NOTIFY), and NATS JetStream, each with competing worker processes.
// Each runs where its servers are given (ORDERLY_TEST_POSTGRES_URL, and ORDERLY_TEST_NATS_URL for nats), as in CI.
const kinds = ['postgres', 'nats'];
const available = (kind: string) => databaseKinds.includes('postgres') && (kind === 'postgres' || testNatsUrl !== undefined);

describe.each(kinds)('one api process and three workers on %s', (kind) => {
  it.runIf(available(kind))(
    'shares the work: kill -9 of two workers and a broker restart lose nothing, do nothing twice, and keep per-key order',
    async () => {
      const database = await createTestDatabase('postgres');
      const nats: NatsServer | null = kind === 'nats' ? await startNatsServer() : null;
      const receiver = await startReceiver();
      const env = {
        ...database.env,
        HOST: '127.0.0.1',
        ORDERLY_ADMIN_EMAIL: ADMIN.email,
        ORDERLY_ADMIN_PASSWORD: ADMIN.password,
        ORDERLY_RELAY_POLL_MS: '50',
        ORDERLY_WEBHOOK_ALLOW_PRIVATE: 'true',
        ORDERLY_WEBHOOK_TIMEOUT_MS: '1000',
        ORDERLY_WEBHOOK_RETRY_SCHEDULE: '100ms,200ms,500ms,1s,1s,1s',
        ...(nats ? { NATS_URL: nats.url, ORDERLY_NATS_STREAM: 'WORKERS', ORDERLY_NATS_ACK_WAIT_MS: '3000' } : {}),
      };
      const processes = new Map<string, { process: OrderlyProcess; port: number }>();
      const start = async (name: string, role: 'api' | 'worker') => {
        const port = processes.get(name)?.port ?? (await freePort());
        processes.set(name, { process: await startServer({ ...env, ORDERLY_ROLE: role, PORT: String(port) }), port });
      };
      const kill = async (name: string) => {
        const { process } = processes.get(name)!;
        process.child.kill('SIGKILL');
        await process.exited;
      };
      try {
        await start('api', 'api');
        for (const name of ['worker-1', 'worker-2', 'worker-3']) await start(name, 'worker');
        const http = httpClient(`http://127.0.0.1:${processes.get('api')!.port}`);
        // A worker serves only health, readiness and metrics.
        const workerHttp = httpClient(`http://127.0.0.1:${processes.get('worker-1')!.port}`);
        expect((await workerHttp.get('/v1/products')).status).toBe(404);
        expect((await workerHttp.get('/readyz')).status).toBe(200);

        const admin = (await http.post('/v1/auth/login', ADMIN)).body.token as string;
        const hook = await http.post(
          '/v1/webhooks/endpoints',
          { url: receiver.url, events: ['order.created', 'order.confirmed', 'order.cancelled'] },
          { token: admin },
        );
        expect(hook.status).toBe(201);
        const variants: string[] = [];
        for (let i = 0; i < 3; i += 1) {
          const product = await http.post(
            '/v1/products',
            {
              title: `Worker item ${i}`,
              category: 'chaos',
              variants: [{ sku: `WRK-${i}`, price: { amount: 900 + i, currency: 'USD' }, stock: 200 }],
            },
            { token: admin },
          );
          variants.push(product.body.variants[0].id);
        }
        const customers: string[] = [];
        for (let i = 0; i < 6; i += 1) {
          customers.push(
            (await http.post('/v1/auth/signup', { email: `worker-${i}@orderly.test`, password: 'worker-pass-1', name: `W ${i}` })).body
              .token,
          );
        }

        const accepted = new Map<string, string>();
        let loading = true;
        const buyer = async (b: number) => {
          for (let n = 0; loading; n += 1) {
            const body = {
              items: [{ variantId: variants[randomInt(variants.length)]!, quantity: 1 }],
              shippingAddress: ADDRESS,
              paymentToken: randomInt(8) === 0 ? 'tok_declined' : 'tok_visa',
            };
            const answer = await postUntilAnswered(http, '/v1/orders', body, {
              token: customers[b % customers.length]!,
              key: `workers-${b}-${n}`,
            });
            expect(answer.response.status, answer.response.text).toBe(202);
            accepted.set(`workers-${b}-${n}`, answer.response.body.id);
            await new Promise((r) => setTimeout(r, randomInt(40)));
          }
        };
        const load = Promise.all([0, 1, 2, 3].map(buyer));
        const phase = async (what: string) => {
          const before = accepted.size;
          await untilDone(
            what,
            () => accepted.size - before >= PER_PHASE,
            () => accepted.size,
          );
        };

        await phase('orders before the first kill');
        await kill('worker-1');
        await phase('orders with worker-1 dead');
        await kill('worker-2');
        await phase('orders with one worker left');
        if (nats) {
          await nats.kill();
          await phase('orders while NATS is down');
          await nats.start();
          await phase('orders once NATS is back');
        }
        await start('worker-1', 'worker');
        await phase('orders with worker-1 back');
        loading = false;
        await load;

        // Every accepted order finishes, on the workers left.
        let unfinished = [...accepted.values()];
        await untilNoneLeft('accepted orders reaching confirmed or cancelled', async () => {
          const states = await Promise.all(
            unfinished.map(async (id) => ({ id, res: await http.get(`/v1/orders/${id}`, { token: admin }) })),
          );
          unfinished = states.filter(({ res }) => !['confirmed', 'cancelled'].includes(res.body.status)).map(({ id }) => id);
          return unfinished;
        });
        // One order per key, and none that no client was told of.
        const storage = storageOfEnv(env);
        const stored = await query<{ id: string; status: string }>(storage, 'select id, status from orders');
        expect(stored.map((o) => o.id).sort()).toEqual([...accepted.values()].sort());

        // Every order's created and final event reached the merchant, each message under one webhook-id.
        const webhooks = await orderWebhooksDelivered(receiver, stored);
        expect(webhooks.conflicts).toEqual([]);

        // Per key, the webhooks group applied each order's messages in the order they were committed (the types the
        // endpoint subscribes to: the others were recorded as applied when published, the endpoint wanting none of them).
        const applied = await query<{ key: string; seq: number; applied_at: string }>(
          storage,
          "select o.key, o.seq, i.applied_at from messaging_inbox i join outbox o on o.id = i.message_id where i.group_name = 'webhooks' and o.type like 'order.%' order by o.key, o.seq",
        );
        for (let i = 1; i < applied.length; i += 1) {
          if (applied[i]!.key === applied[i - 1]!.key)
            expect(applied[i]!.applied_at >= applied[i - 1]!.applied_at, `order of ${applied[i]!.key}`).toBe(true);
        }

        for (const name of processes.keys()) await kill(name);
        const verify = runOrderly(['verify'], env);
        const code = await verify.exited;
        expect(verify.lines.join('\n')).toContain('OK: every invariant holds');
        expect(code).toBe(0);
        process.stdout.write(
          `[workers ${kind}] ${accepted.size} orders, ${receiver.received.length} webhook deliveries of ${webhooks.messages} messages\n`,
        );
      } finally {
        for (const { process } of processes.values()) process.child.kill('SIGKILL');
        await receiver.close();
        await nats?.stop();
        await database.drop();
      }
    },
    300_000,
  );
});
