import fs from 'node:fs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { clusterAvailable, startCluster, type Cluster, type PartName } from '../support/cluster.js';
import { httpClient, type HttpClient } from '../support/http.js';
import { ADDRESS } from '../support/orders.js';
import { untilNoneLeft } from '../support/retry.js';

const ADMIN = { email: 'cluster-admin@orderly.test', password: 'cluster-admin-1' };
// The replica replays every commit 4 s late; reads may go there while it is at most 15 s behind.
const DELAY_MS = 4000;
const MAX_LAG_MS = 15_000;

async function onReplica(cluster: Cluster, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: cluster.env.DATABASE_REPLICA_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

const priceIn = (listing: { items: { id: string; variants: { price: { amount: number } }[] }[] }, id: string) =>
  listing.items.find((p) => p.id === id)?.variants[0]?.price.amount ?? null;

async function replicaOf(http: HttpClient): Promise<{ ok: boolean; details: { up: boolean; lagMs: number | null } }> {
  const ready = await http.get('/readyz');
  return ready.body.checks.find((c: { name: string }) => c.name === 'replica');
}

/** Listening TCP sockets of a process, as "address:port" in hex from /proc/net/tcp{,6}. */
function listeningAddresses(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    const target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`, { encoding: 'utf8' });
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match) inodes.add(match[1]!);
  }
  const found: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of fs.readFileSync(table, 'utf8').trim().split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // State 0A is LISTEN; field 9 is the socket's inode.
      if (fields[3] === '0A' && inodes.has(fields[9]!)) found.push(fields[1]!);
    }
  }
  return found;
}

describe('the cluster: HAProxy, two api copies, two workers, a primary and a replica held back on purpose', () => {
  it.runIf(clusterAvailable)(
    'reads from the replica, reads your own writes on every copy, and reads from the primary while the replica lags too far or is down',
    async () => {
      const cluster = await startCluster({
        CLUSTER_REPLICA_DELAY: `${DELAY_MS}ms`,
        ORDERLY_REPLICA_MAX_LAG_MS: String(MAX_LAG_MS),
        ORDERLY_READ_YOUR_WRITES_MS: '120000',
        ORDERLY_ADMIN_EMAIL: ADMIN.email,
        ORDERLY_ADMIN_PASSWORD: ADMIN.password,
        ORDERLY_RATE_LIMITS: 'signup=4/60',
      });
      try {
        const lb = httpClient(cluster.url);
        const copies = [httpClient(cluster.direct('api-1')), httpClient(cluster.direct('api-2'))];

        // Nothing binds to anything but loopback (127.0.0.1 is 0100007F in /proc's byte order).
        for (const [name, pid] of Object.entries(cluster.processes)) {
          const addresses = listeningAddresses(pid);
          expect(addresses.length, name).toBeGreaterThan(0);
          for (const address of addresses) expect(address.startsWith('0100007F:'), `${name} listens on ${address}`).toBe(true);
        }

        const admin = (await lb.post('/v1/auth/login', ADMIN)).body.token as string;
        const created = await lb.post(
          '/v1/products',
          { title: 'Replica lamp', category: 'replica', variants: [{ sku: 'RPL-1', price: { amount: 1000, currency: 'USD' }, stock: 50 }] },
          { token: admin },
        );
        expect(created.status).toBe(201);
        const id = created.body.id as string;
        const variant = created.body.variants[0].id as string;
        const listing = '/v1/products?category=replica';
        // A shopper sees it once the replica has replayed it.
        await untilNoneLeft('the replica replaying the new product', async () =>
          (await Promise.all(copies.map((c) => c.get(listing)))).filter((r) => priceIn(r.body, id) !== 1000),
        );

        // The admin changes the price: for the next seconds the replica still has the old one, and shoppers
        // read from it; the admin, on either copy (not only the one that took the write), reads the new one.
        const patched = await lb.patch(
          `/v1/products/${id}`,
          { variants: [{ id: variant, price: { amount: 2500, currency: 'USD' } }] },
          { token: admin },
        );
        expect(patched.status).toBe(200);
        for (const copy of copies) {
          expect(priceIn((await copy.get(listing)).body, id)).toBe(1000);
          expect(priceIn((await copy.get(listing, { token: admin })).body, id)).toBe(2500);
        }
        for (const copy of copies) expect((await replicaOf(copy)).ok).toBe(true);
        await untilNoneLeft('the replica replaying the new price', async () =>
          (await Promise.all(copies.map((c) => c.get(listing)))).filter((r) => priceIn(r.body, id) !== 2500),
        );

        // A customer who just ordered sees the order on both copies.
        const customer = (await lb.post('/v1/auth/signup', { email: 'replica-buyer@orderly.test', password: 'replica-buyer-1', name: 'R' }))
          .body.token as string;
        const order = await lb.post(
          '/v1/orders',
          { items: [{ variantId: variant, quantity: 1 }], shippingAddress: ADDRESS, paymentToken: 'tok_visa' },
          { token: customer, headers: { 'idempotency-key': 'replica-order-1' } },
        );
        expect(order.status).toBe(202);
        for (const copy of copies) {
          const mine = await copy.get('/v1/orders', { token: customer });
          expect(mine.body.items.map((o: { id: string }) => o.id)).toContain(order.body.id);
        }

        // Replay paused: the lag grows past the bound, readiness and metrics say so, and shoppers read from
        // the primary meanwhile; resumed, the replica is used again.
        await onReplica(cluster, 'select pg_wal_replay_pause()');
        const paused = await lb.patch(
          `/v1/products/${id}`,
          { variants: [{ id: variant, price: { amount: 3100, currency: 'USD' } }] },
          { token: admin },
        );
        expect(paused.status).toBe(200);
        await untilNoneLeft(
          'the copies giving up on a replica too far behind',
          async () => (await Promise.all(copies.map(replicaOf))).filter((r) => r.ok),
          2 * MAX_LAG_MS + 30_000,
        );
        for (const copy of copies) {
          const replica = await replicaOf(copy);
          expect(replica.details.up).toBe(true);
          expect(replica.details.lagMs).toBeGreaterThan(MAX_LAG_MS);
          expect((await copy.get('/readyz')).status).toBe(200);
          const metrics = (await copy.get('/metrics')).text;
          expect(Number(/^orderly_replica_lag_seconds (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThan(MAX_LAG_MS / 1000);
          expect(priceIn((await copy.get(listing)).body, id)).toBe(3100);
        }
        await onReplica(cluster, 'select pg_wal_replay_resume()');
        await untilNoneLeft('the copies reading from the replica again', async () =>
          (await Promise.all(copies.map(replicaOf))).filter((r) => !r.ok),
        );

        // The replica stopped: every read still answers, from the primary, and readiness says it is down.
        await cluster.kill('postgres-replica');
        for (let i = 0; i < 20; i += 1) {
          const read = await copies[i % 2]!.get(listing);
          expect(read.status).toBe(200);
          expect(priceIn(read.body, id)).toBe(3100);
          expect((await copies[i % 2]!.get(`/v1/search?q=lamp`)).status).toBe(200);
        }
        await untilNoneLeft('the copies noticing the replica is down', async () =>
          (await Promise.all(copies.map(replicaOf))).filter((r) => r.details.up),
        );
        expect((await copies[0]!.get('/metrics')).text).toMatch(/^orderly_replica_up 0$/m);
        await cluster.restart('postgres-replica');
        await untilNoneLeft('the replica back in use', async () => (await Promise.all(copies.map(replicaOf))).filter((r) => !r.ok));

        // Behind the balancer, a client is its own address: the anonymous signup bucket (4 a minute) is
        // shared by both copies through Redis (alone, each would allow 4), and a spoofed X-Forwarded-For is
        // dropped by HAProxy.
        const signups: number[] = [];
        for (let i = 0; i < 8; i += 1) {
          const answer = await lb.post(
            '/v1/auth/signup',
            { email: `lb-${i}@orderly.test`, password: 'lb-signup-pass-1', name: 'L' },
            { headers: { 'x-forwarded-for': `198.51.100.${i}` } },
          );
          signups.push(answer.status);
        }
        expect(signups.filter((status) => status === 201).length).toBeLessThanOrEqual(4);
        expect(signups.filter((status) => status !== 201).every((status) => status === 429)).toBe(true);
        // From a trusted proxy (loopback here), X-Forwarded-For names the client: a bucket of its own, and its address in the log.
        const direct = await copies[0]!.post(
          '/v1/auth/signup',
          { email: 'forwarded@orderly.test', password: 'forwarded-pass-1', name: 'F' },
          { headers: { 'x-forwarded-for': '203.0.113.7' } },
        );
        expect(direct.status).toBe(201);
        const accessLines = (name: PartName) =>
          cluster
            .log(name)
            .split('\n')
            .filter((line) => line.includes('"msg":"request completed"') && line.includes('/v1/auth/signup'))
            .map((line) => JSON.parse(line) as { ip: string });
        // The log is written a moment later.
        await untilNoneLeft('the access log line', async () =>
          accessLines('api-1').some((l) => l.ip === '203.0.113.7') ? [] : ['not yet'],
        );
        // Both copies took some of the signups that came through the balancer, each seeing the client's own address.
        for (const name of ['api-1', 'api-2'] as const)
          expect(accessLines(name).filter((l) => l.ip === '127.0.0.1').length, name).toBeGreaterThan(0);
        const viaBalancer = [...accessLines('api-1'), ...accessLines('api-2')].map((l) => l.ip);
        expect(viaBalancer.filter((ip) => ip.startsWith('198.51.100.'))).toEqual([]);
      } finally {
        await cluster.stop();
      }
    },
    300_000,
  );
});
