import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { clusterAvailable, startCluster, type PartName } from '../support/cluster.js';
import { clientOver, httpClient, type HttpClient } from '../support/http.js';
import { ADDRESS } from '../support/orders.js';
import { runOrderly } from '../support/process.js';
import { orderWebhooksDelivered, startReceiver } from '../support/receiver.js';
import { postUntilAnswered, untilDone, untilNoneLeft } from '../support/retry.js';
import { query } from '../support/tamper.js';

const ADMIN = { email: 'chaos-admin@orderly.test', password: 'chaos-admin-1' };
// Orders each phase accepts, however long that takes.
const PER_PHASE = 12;

interface PhaseCount {
  orders: number;
  reads: number;
  /** Requests through HAProxy that got no answer, or a 5xx other than a 503 asking to come back. */
  failed: number;
  /** 503s (a copy draining or overloaded, asking for a retry); the client retried them. */
  retryLater: number;
  examples: string[];
}

/**
 * Every request through HAProxy counted against the phase the cluster is in when it is sent: what the
 * balancer could route to a live copy must not fail, whichever part is down.
 */
function countingClient(http: HttpClient, phase: () => PhaseCount): HttpClient {
  const request: HttpClient['request'] = async (method, path, body, options) => {
    const counts = phase();
    try {
      const response = await http.request(method, path, body, options);
      if (response.status === 503) counts.retryLater += 1;
      else if (response.status >= 500) {
        counts.failed += 1;
        counts.examples.push(`${method} ${path} → ${response.status} ${response.text.slice(0, 200)}`);
      }
      return response;
    } catch (error) {
      counts.failed += 1;
      counts.examples.push(`${method} ${path} → ${(error as Error).message}`);
      throw error;
    }
  };
  return clientOver(request);
}

describe('the cluster under order and browse load, with one part after another killed', () => {
  it.runIf(clusterAvailable)(
    'loses no order, makes none twice, delivers every webhook, and fails no request a live copy could take',
    async () => {
      const receiver = await startReceiver();
      const cluster = await startCluster({
        ORDERLY_ADMIN_EMAIL: ADMIN.email,
        ORDERLY_ADMIN_PASSWORD: ADMIN.password,
        ORDERLY_RATE_LIMITS: 'off',
        ORDERLY_RELAY_POLL_MS: '50',
        ORDERLY_WEBHOOK_ALLOW_PRIVATE: 'true',
        ORDERLY_WEBHOOK_TIMEOUT_MS: '1000',
        ORDERLY_WEBHOOK_RETRY_SCHEDULE: '100ms,200ms,500ms,1s,1s,1s',
        ORDERLY_NATS_ACK_WAIT_MS: '3000',
      });
      try {
        const phases = new Map<string, PhaseCount>();
        let current = 'steady';
        const phase = () => {
          let counts = phases.get(current);
          if (!counts) phases.set(current, (counts = { orders: 0, reads: 0, failed: 0, retryLater: 0, examples: [] }));
          return counts;
        };
        const lb = countingClient(httpClient(cluster.url), phase);

        const admin = (await lb.post('/v1/auth/login', ADMIN)).body.token as string;
        const hook = await lb.post(
          '/v1/webhooks/endpoints',
          { url: receiver.url, events: ['order.created', 'order.confirmed', 'order.cancelled'] },
          { token: admin },
        );
        expect(hook.status).toBe(201);
        const products: { id: string; variant: string }[] = [];
        for (let i = 0; i < 3; i += 1) {
          const product = await lb.post(
            '/v1/products',
            {
              title: `Chaos lamp ${i}`,
              category: 'chaos',
              variants: [{ sku: `CHAOS-${i}`, price: { amount: 1200 + i, currency: 'USD' }, stock: 1000 }],
            },
            { token: admin },
          );
          products.push({ id: product.body.id, variant: product.body.variants[0].id });
        }
        const customers: string[] = [];
        for (let i = 0; i < 4; i += 1) {
          const signup = await lb.post('/v1/auth/signup', { email: `chaos-${i}@orderly.test`, password: 'chaos-pass-1', name: `C ${i}` });
          customers.push(signup.body.token);
        }

        const accepted = new Map<string, { orderId: string; body: unknown; token: string }>();
        let loading = true;
        const buyer = async (b: number) => {
          for (let n = 0; loading; n += 1) {
            const key = `chaos-${b}-${n}`;
            const token = customers[b % customers.length]!;
            const body = {
              items: [{ variantId: products[randomInt(products.length)]!.variant, quantity: 1 }],
              shippingAddress: ADDRESS,
              paymentToken: randomInt(8) === 0 ? 'tok_declined' : 'tok_visa',
            };
            const answer = await postUntilAnswered(lb, '/v1/orders', body, { token, key, giveUpMs: 120_000 });
            expect(answer.response.status, answer.response.text).toBe(202);
            accepted.set(key, { orderId: answer.response.body.id, body, token });
            phase().orders += 1;
            await new Promise((r) => setTimeout(r, randomInt(30)));
          }
        };
        const browser = async () => {
          for (let n = 0; loading; n += 1) {
            const product = products[n % products.length]!;
            const read =
              n % 3 === 0
                ? await lb.get(`/v1/products/${product.id}`)
                : n % 3 === 1
                  ? await lb.get('/v1/products?category=chaos')
                  : await lb.get('/v1/search?q=lamp');
            expect(read.status, read.text).toBe(200);
            phase().reads += 1;
            await new Promise((r) => setTimeout(r, randomInt(20)));
          }
        };
        const load = Promise.all([...[0, 1, 2, 3].map(buyer), browser(), browser()]);
        // A load loop that fails is reported where it is awaited below (and in its phase's count), not as an unhandled rejection.
        load.catch(() => undefined);
        const ordersIn = async (name: string) => {
          current = name;
          await untilDone(
            name,
            () => phase().orders >= PER_PHASE,
            () => phase().orders,
          );
        };
        const outage = async (part: PartName, name: string) => {
          current = name;
          await cluster.kill(part);
          await ordersIn(name);
          await cluster.restart(part);
        };

        await ordersIn('steady');
        await outage('api-1', 'api-1 killed');
        await outage('worker-1', 'worker-1 killed');
        await outage('nats', 'NATS killed and restarted');
        await outage('redis', 'Redis killed');
        await outage('postgres-replica', 'replica stopped');
        await ordersIn('everything back');
        loading = false;
        await load;

        const report = [...phases].map(
          ([name, c]) => `  ${name}: ${c.orders} orders, ${c.reads} reads, ${c.failed} failed, ${c.retryLater} answered 503`,
        );
        process.stdout.write(`[cluster chaos] ${accepted.size} orders accepted\n${report.join('\n')}\n`);
        // Every accepted order finishes.
        const states = new Map<string, string>();
        await untilNoneLeft('accepted orders reaching confirmed or cancelled', async () => {
          const left = [...accepted.values()].filter(({ orderId }) => !['confirmed', 'cancelled'].includes(states.get(orderId) ?? ''));
          for (const { orderId } of left) states.set(orderId, (await lb.get(`/v1/orders/${orderId}`, { token: admin })).body.status);
          return left.filter(({ orderId }) => !['confirmed', 'cancelled'].includes(states.get(orderId) ?? ''));
        });
        // One order per key, and none that no client was told of.
        const storage = { postgresUrl: cluster.env.DATABASE_URL! };
        const stored = await query<{ id: string; status: string }>(storage, 'select id, status from orders');
        const told = new Set([...accepted.values()].map((a) => a.orderId));
        const untold = stored.filter((o) => !told.has(o.id));
        if (untold.length > 0) {
          const details = await query(storage, `select o.id, o.user_id, o.created_at, o.status from orders o where o.id = any($1)`, [
            untold.map((o) => o.id),
          ]);
          // The keys of those orders' customers around then, and what the api copies logged above info.
          const keys = await query(
            storage,
            `select k.key, k.state, k.owner, k.created_at, k.locked_until, substring(k.body from '"id":"(ord_[0-9a-f]+)"') as answered
             from idempotency_keys k join orders o on k.scope = 'user:' || o.user_id
             where o.id = any($1) and abs(extract(epoch from (k.created_at::timestamptz - o.created_at::timestamptz))) < 5 order by k.created_at`,
            [untold.map((o) => o.id)],
          );
          const takeovers = ['api-1', 'api-2'].flatMap((name) =>
            cluster
              .log(name as PartName)
              .split('\n')
              .filter((l) => /"level":[4-6]\d/.test(l))
              .slice(0, 20),
          );
          process.stdout.write(`[cluster chaos] orders no client was told of: ${JSON.stringify({ details, keys, takeovers }, null, 1)}\n`);
        }
        expect(stored.map((o) => o.id).sort()).toEqual([...accepted.values()].map((a) => a.orderId).sort());
        // A client asking again under a key it used gets the same order.
        for (const [key, { orderId, body, token }] of accepted) {
          const again = await lb.post('/v1/orders', body, { token, headers: { 'idempotency-key': key } });
          expect(again.status).toBe(202);
          expect(again.body.id).toBe(orderId);
        }
        // And asking again made nothing.
        expect((await query(storage, 'select id from orders')).length).toBe(accepted.size);

        // Every order's created and final event reached the merchant, each message under one webhook-id.
        const webhooks = await orderWebhooksDelivered(receiver, stored);
        expect(webhooks.conflicts).toEqual([]);

        process.stdout.write(`[cluster chaos] ${receiver.received.length} webhook deliveries of ${webhooks.messages} messages\n`);
        const verify = runOrderly(['verify'], cluster.env);
        const code = await verify.exited;
        expect(verify.lines.join('\n')).toContain('OK: every invariant holds');
        expect(code).toBe(0);

        for (const [name, c] of phases) expect(c.failed, `${name}: ${c.examples.slice(0, 3).join('; ')}`).toBe(0);
        // No copy died of another part's outage: each one killed on purpose was restarted, and the rest still run.
        for (const part of ['api-1', 'api-2', 'worker-1', 'worker-2'] as const) {
          expect(cluster.running(part), `${part} is not running:\n${cluster.log(part).slice(-3000)}`).toBe(true);
        }
      } finally {
        await cluster.stop();
        await receiver.close();
      }
    },
    600_000,
  );
});
