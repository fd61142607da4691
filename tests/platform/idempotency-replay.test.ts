import { describe, expect, it } from 'vitest';
import { createTestDatabase, databaseKinds } from '../support/databases.js';
import { httpClient } from '../support/http.js';
import { ADDRESS } from '../support/orders.js';
import { freePort, startServer } from '../support/process.js';
import { redisAvailable, redisEnv } from '../support/redis.js';
import { query, storageOfEnv } from '../support/tamper.js';

const ADMIN = { email: 'replay-admin@orderly.test', password: 'replay-admin-1' };

// A replayed answer may leave the server a little later than it is handed over: here an onSend hook that
// marks the writer in Redis (read-your-writes, with a read replica configured) makes every answer wait on
// a round trip. The replay must still be the whole of what the request does: its handler never runs.
describe('a repeated POST answered by replay, while the answer leaves asynchronously', () => {
  it.runIf(databaseKinds.includes('postgres') && redisAvailable)('makes nothing: one order per key, however often it is sent', async () => {
    const database = await createTestDatabase('postgres');
    const port = await freePort();
    const env = {
      ...database.env,
      PORT: String(port),
      ...redisEnv('redis'),
      // The primary standing in for its replica: what matters is the read-your-writes hook on every write.
      DATABASE_REPLICA_URL: database.env.DATABASE_URL!,
      ORDERLY_ADMIN_EMAIL: ADMIN.email,
      ORDERLY_ADMIN_PASSWORD: ADMIN.password,
    };
    const server = await startServer(env);
    try {
      const http = httpClient(`http://127.0.0.1:${port}`);
      const admin = (await http.post('/v1/auth/login', ADMIN)).body.token as string;
      const product = await http.post(
        '/v1/products',
        { title: 'Replayed lamp', category: 'replay', variants: [{ sku: 'RPLY-1', price: { amount: 700, currency: 'USD' }, stock: 100 }] },
        { token: admin },
      );
      const customer = await http.post('/v1/auth/signup', { email: 'replayer@orderly.test', password: 'replayer-pass-1', name: 'R' });
      const body = { items: [{ variantId: product.body.variants[0].id, quantity: 1 }], shippingAddress: ADDRESS, paymentToken: 'tok_visa' };
      const send = () => http.post('/v1/orders', body, { token: customer.body.token, headers: { 'idempotency-key': 'replayed-once' } });
      const first = await send();
      expect(first.status).toBe(202);
      for (let i = 0; i < 10; i += 1) {
        const again = await send();
        expect(again.status).toBe(202);
        expect(again.headers.get('idempotent-replayed')).toBe('true');
        expect(again.body.id).toBe(first.body.id);
      }
      const orders = await query<{ id: string }>(storageOfEnv(env), 'select id from orders where user_id = $1', [customer.body.user.id]);
      expect(orders.map((o) => o.id)).toEqual([first.body.id]);
    } finally {
      server.child.kill('SIGKILL');
      await database.drop();
    }
  });
});
