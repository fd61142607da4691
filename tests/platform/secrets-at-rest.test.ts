import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSecretKey } from '../../src/platform/secrets/secret-box.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../support/databases.js';
import { httpClient, type HttpClient } from '../support/http.js';
import { eventually } from '../support/payment-sim.js';
import { freePort, runOrderly, startServer, type OrderlyProcess } from '../support/process.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { query, storageOfEnv, tamper } from '../support/tamper.js';

const ADMIN = { email: 'keys-admin@orderly.test', password: 'keys-admin-pass-1' };
const newKey = () => randomBytes(32).toString('base64');
const idOf = (key: string) => parseSecretKey(key).id;

interface StoredEndpoint {
  secret: string;
  previous_secret: string | null;
}

describe.each(databaseKinds)('secrets at rest on %s', (kind) => {
  let database: TestDatabase;
  let receiver: Receiver;
  let base: Record<string, string>;
  let server: OrderlyProcess | null = null;
  let http: HttpClient;
  let admin: string;
  const keyA = newKey();
  const keyB = newKey();

  async function start(keys: Record<string, string>): Promise<OrderlyProcess> {
    server = await startServer({ ...base, ...keys });
    admin = (await http.post('/v1/auth/login', ADMIN)).body.token;
    return server;
  }
  async function stop(): Promise<void> {
    server?.child.kill('SIGTERM');
    await server?.exited;
    server = null;
  }
  async function command(args: string[], keys: Record<string, string>) {
    const run = runOrderly(args, { ...base, ...keys });
    const code = await run.exited;
    return { code, out: `${run.lines.join('\n')}\n${run.stderr.join('')}` };
  }
  const stored = async (id: string) =>
    (await query<StoredEndpoint>(storageOfEnv(base), 'select secret, previous_secret from webhook_endpoints where id = ?', [id]))[0]!;
  /** A new product's webhook, once it has arrived, checked against every secret given. */
  async function deliveredSignedWith(secrets: string[]): Promise<void> {
    const title = `Signed ${randomBytes(4).toString('hex')}`;
    const product = await http.post(
      '/v1/products',
      {
        title,
        category: 'keys',
        variants: [{ sku: `KEY-${randomBytes(4).toString('hex')}`, price: { amount: 100, currency: 'USD' }, stock: 1 }],
      },
      { token: admin },
    );
    expect(product.status).toBe(201);
    const message = await eventually(`product.created for ${title}`, async () =>
      receiver.received.find((r) => JSON.parse(r.body).data.product?.id === product.body.id),
    );
    for (const secret of secrets)
      expect(() => new Webhook(secret).verify(message.body, message.headers as Record<string, string>)).not.toThrow();
  }

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    receiver = await startReceiver();
    const port = await freePort();
    base = {
      ...database.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      ORDERLY_ADMIN_EMAIL: ADMIN.email,
      ORDERLY_ADMIN_PASSWORD: ADMIN.password,
      ORDERLY_WEBHOOK_ALLOW_PRIVATE: 'true',
    };
    http = httpClient(`http://127.0.0.1:${port}`);
  }, 60_000);

  afterAll(async () => {
    await stop();
    await receiver?.close();
    await database?.drop();
  });

  it('stores webhook secrets encrypted, re-encrypts them under a new key, and they still sign after the old key is gone', async () => {
    await start({ ORDERLY_SECRET_KEY: keyA });
    const createKey = { 'idempotency-key': `create-${randomBytes(6).toString('hex')}` };
    const createEndpoint = () =>
      http.post('/v1/webhooks/endpoints', { url: receiver.url, events: ['product.created'] }, { token: admin, headers: createKey });
    const created = await createEndpoint();
    expect(created.status).toBe(201);
    // The answer kept for a replay holds the secret too: it is stored encrypted, and replayed as it was.
    const answer = async () =>
      (
        await query<{ body: string }>(storageOfEnv(base), 'select body from idempotency_keys where key = ?', [createKey['idempotency-key']])
      )[0]!.body;
    expect((await answer()).startsWith(`v1:${idOf(keyA)}:`)).toBe(true);
    const [claim] = await query<{ fingerprint: string }>(storageOfEnv(base), 'select fingerprint from idempotency_keys where key = ?', [
      createKey['idempotency-key'],
    ]);
    expect(claim!.fingerprint.startsWith(`h1:${idOf(keyA)}:`)).toBe(true);
    expect(await answer()).not.toContain(created.body.secret.slice('whsec_'.length));
    const replayed = await createEndpoint();
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.body.secret).toBe(created.body.secret);
    const { id, secret: first } = created.body as { id: string; secret: string };
    const rotated = await http.post(`/v1/webhooks/endpoints/${id}/rotate-secret`, undefined, { token: admin });
    const second = rotated.body.secret as string;

    // Neither the secret nor the one it replaced (kept for the 24 h overlap) is in the database as text.
    const row = await stored(id);
    for (const value of [row.secret, row.previous_secret!]) expect(value.startsWith(`v1:${idOf(keyA)}:`)).toBe(true);
    expect(JSON.stringify(row)).not.toContain(first.slice('whsec_'.length));
    expect(JSON.stringify(row)).not.toContain(second.slice('whsec_'.length));
    await deliveredSignedWith([second, first]);
    await stop();

    // The new key current, the old one previous: every secret moves to the new key, once.
    const keys = { ORDERLY_SECRET_KEY: keyB, ORDERLY_SECRET_KEY_PREVIOUS: keyA };
    const rotation = await command(['rotate-secret-key'], keys);
    expect(rotation.code, rotation.out).toBe(0);
    expect(rotation.out).toContain(`webhook endpoints: 1 looked at, 1 re-encrypted under key ${idOf(keyB)}`);
    const again = await command(['rotate-secret-key'], keys);
    expect(again.out).toContain('1 looked at, 0 re-encrypted');
    expect(again.out).toContain('idempotency answers: 0 re-encrypted');
    expect((await answer()).startsWith(`v1:${idOf(keyB)}:`)).toBe(true);
    const moved = await stored(id);
    for (const value of [moved.secret, moved.previous_secret!]) expect(value.startsWith(`v1:${idOf(keyB)}:`)).toBe(true);

    // The old key removed altogether: the receiver still checks with the secrets it was given.
    await start({ ORDERLY_SECRET_KEY: keyB });
    await deliveredSignedWith([second, first]);
    expect((await createEndpoint()).body.secret).toBe(first);
  });

  it('encrypts a secret stored in plain text (a database from before) at start-up, and signs with it', async () => {
    await stop();
    const legacy = `whsec_${randomBytes(24).toString('base64')}`;
    const created = await query<{ id: string }>(storageOfEnv(base), 'select id from webhook_endpoints');
    await tamper(
      storageOfEnv(base),
      `update webhook_endpoints set secret = '${legacy}', previous_secret = null, previous_secret_until = null`,
    );
    const restarted = await start({ ORDERLY_SECRET_KEY: keyB });
    await restarted.waitForLog('plain-text webhook secrets encrypted');
    const row = await stored(created[0]!.id);
    expect(row.secret.startsWith(`v1:${idOf(keyB)}:`)).toBe(true);
    expect(row.secret).not.toContain(legacy.slice('whsec_'.length));
    await deliveredSignedWith([legacy]);
  });

  it('refuses to start with a key that is not 32 bytes, without printing it', async () => {
    await stop();
    const bad = randomBytes(20).toString('base64');
    const run = await command(['start'], { ORDERLY_SECRET_KEY: bad });
    expect(run.code).toBe(2);
    expect(run.out).toContain('ORDERLY_SECRET_KEY: must be 32 bytes');
    expect(run.out).not.toContain(bad);
  });
});
