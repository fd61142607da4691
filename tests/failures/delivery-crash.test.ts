import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, messagingKinds } from '../support/databases.js';
import { httpClient } from '../support/http.js';
import { freePort, startServer, type OrderlyProcess } from '../support/process.js';
import { startReceiver } from '../support/receiver.js';
import { postUntilAnswered, untilDone, untilNoneLeft } from '../support/retry.js';
import { query, storageOfEnv } from '../support/tamper.js';

const KILLS = 5;
// Products each round between kills makes at least, however long that takes, so that more than 25 are at stake.
const PRODUCTS_PER_ROUND = 5;
const ADMIN = { email: 'delivery-crash-admin@orderly.test', password: 'crash-admin-1' };

describe.each(messagingKinds)('kill -9 mid-delivery on %s', (kind) => {
  it(`loses no webhook and no notification across ${KILLS} SIGKILLs and restarts`, async () => {
    const database = await createTestDatabase(kind);
    // A receiver slow enough that a kill lands while deliveries are in flight.
    const receiver = await startReceiver(() => ({ delayMs: 20 + randomInt(60) }));
    const port = await freePort();
    const env = {
      ...database.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      ORDERLY_ADMIN_EMAIL: ADMIN.email,
      ORDERLY_ADMIN_PASSWORD: ADMIN.password,
      ORDERLY_RELAY_POLL_MS: '50',
      ORDERLY_WEBHOOK_ALLOW_PRIVATE: 'true',
      ORDERLY_WEBHOOK_TIMEOUT_MS: '1000',
      ORDERLY_WEBHOOK_RETRY_SCHEDULE: '100ms,200ms,500ms,1s,1s,1s',
      // Small chunks, so each product's fan-out to 17 endpoints spans several transactions a kill can fall between.
      ORDERLY_WEBHOOK_FANOUT_CHUNK: '4',
    };
    const http = httpClient(`http://127.0.0.1:${port}`);
    let server: OrderlyProcess = await startServer(env);
    try {
      const login = async () => (await http.post('/v1/auth/login', ADMIN)).body.token as string;
      const adminToken = await login();
      // One endpoint, and 16 more: the bus's transaction gives deliveries to the first 4, the rest are fanned out after it.
      const urls = [receiver.url, ...Array.from({ length: 16 }, (_, i) => `http://127.0.0.1:${receiver.port}/fan/${i}`)];
      for (const url of urls)
        expect((await http.post('/v1/webhooks/endpoints', { url, events: ['product.created'] }, { token: adminToken })).status).toBe(201);

      // Every create and signup is retried with its key until answered, as a careful client would across the kills.
      const products: string[] = [];
      const signups: string[] = [];
      let loading = true;
      let unreachable = 0;
      const load = async (w: number) => {
        for (let n = 0; loading; n += 1) {
          const product = await postUntilAnswered(
            http,
            '/v1/products',
            {
              title: `Crash hook ${w}-${n}`,
              category: 'chaos',
              variants: [{ sku: `HOOK-${w}-${n}`, price: { amount: 500, currency: 'USD' }, stock: 1 }],
            },
            { token: adminToken, key: `product-${w}-${n}` },
          );
          expect(product.response.status, product.response.text).toBe(201);
          products.push(product.response.body.id);
          const email = `crash-note-${w}-${n}@orderly.test`;
          const signup = await postUntilAnswered(
            http,
            '/v1/auth/signup',
            { email, password: 'crash-pass-1', name: `Crash ${n}` },
            { key: `signup-${w}-${n}` },
          );
          expect(signup.response.status, signup.response.text).toBe(201);
          signups.push(email);
          unreachable += product.unreachable + signup.unreachable;
        }
      };
      const workers = [0, 1, 2].map(load);

      for (let kill = 0; kill < KILLS; kill += 1) {
        // Long enough between kills for a fair number of products, each fanned out to 17 endpoints, to be made:
        // a random while, then on until this round has made its share, however slow the machine.
        const madeBefore = products.length;
        await new Promise((r) => setTimeout(r, 700 + randomInt(800)));
        await untilDone(
          `round ${kill} making ${PRODUCTS_PER_ROUND} products`,
          () => products.length - madeBefore >= PRODUCTS_PER_ROUND,
          () => products.length,
        );
        server.child.kill('SIGKILL');
        await server.exited;
        server = await startServer(env);
      }
      loading = false;
      await Promise.all(workers);
      expect(products.length).toBeGreaterThanOrEqual(KILLS * PRODUCTS_PER_ROUND);
      expect(unreachable).toBeGreaterThan(0);
      // One product per key and no product that no client was told of.
      const storage = storageOfEnv(env);
      const stored = await query<{ id: string }>(storage, "select id from catalog_products where title like 'Crash hook %'");
      expect(stored.map((p) => p.id).sort()).toEqual([...products].sort());
      const accounts = await query<{ email: string }>(storage, "select email from identity_users where email like 'crash-note-%'");
      expect(accounts.map((a) => a.email).sort()).toEqual([...signups].sort());

      const token = await login();
      // Leases of deliveries cut off by a kill run out after 2 × timeout + 5 s; then they are sent again.
      await untilNoneLeft('accepted products delivered to every endpoint', async () => {
        const got = new Set(
          receiver.received.map((m) => `${(JSON.parse(m.body) as { data: { product: { id: string } } }).data.product.id} ${m.path}`),
        );
        return products.flatMap((id) => urls.filter((url) => !got.has(`${id} ${new URL(url).pathname}`)).map((url) => `${id} ${url}`));
      });
      await untilNoneLeft('accepted signups welcomed once', async () => {
        const waiting: string[] = [];
        for (const email of signups) {
          const mail = await http.get(`/v1/admin/mailbox?to=${encodeURIComponent(email)}`, { token });
          expect(mail.body.items.length).toBeLessThanOrEqual(1);
          if (mail.body.items.length !== 1) waiting.push(email);
        }
        return waiting;
      });
      const ids = receiver.received.map((m) => m.headers['webhook-id']);
      process.stdout.write(
        `[delivery-crash ${kind}] ${products.length} products, ${signups.length} signups, ${ids.length} deliveries of ${new Set(ids).size} messages\n`,
      );
    } finally {
      server.child.kill('SIGKILL');
      await server.exited;
      await receiver.close();
      await database.drop();
    }
  }, 240_000);
});
