import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it } from 'vitest';
import { SECRET_KEY_FILE } from '../../src/platform/secrets/secret-keys.js';
import { httpClient } from '../support/http.js';
import { eventually } from '../support/payment-sim.js';
import { freePort, runOrderly, startServer, type OrderlyProcess } from '../support/process.js';
import { startReceiver, type Receiver } from '../support/receiver.js';

const ADMIN = { email: 'key-backup-admin@orderly.test', password: 'key-backup-pass-1' };
const temp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

async function command(args: string[], env: Record<string, string>) {
  const run = runOrderly(args, env);
  const code = await run.exited;
  return { code, out: `${run.lines.join('\n')}\n${run.stderr.join('')}` };
}

describe('the embedded key file in a backup', () => {
  const dirs = [temp('orderly-key-source-'), temp('orderly-key-backup-'), temp('orderly-key-restored-')];
  const [source, backup, restored] = dirs as [string, string, string];
  let server: OrderlyProcess | null = null;
  let receiver: Receiver | null = null;

  afterAll(async () => {
    server?.child.kill('SIGKILL');
    await receiver?.close();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is copied by backup with a manifest entry and put back by restore (0600), so restored secrets still sign', async () => {
    receiver = await startReceiver();
    const port = await freePort();
    const env = {
      PORT: String(port),
      HOST: '127.0.0.1',
      ORDERLY_ADMIN_EMAIL: ADMIN.email,
      ORDERLY_ADMIN_PASSWORD: ADMIN.password,
      ORDERLY_WEBHOOK_ALLOW_PRIVATE: 'true',
    };
    const http = httpClient(`http://127.0.0.1:${port}`);
    server = await startServer({ ...env, ORDERLY_DATA_DIR: source });
    // No ORDERLY_SECRET_KEY: a key file was made, and production was warned.
    const warning = await server.waitForLog(
      'stored secrets are encrypted under a key file in the data directory; production must set ORDERLY_SECRET_KEY',
    );
    expect(warning).toMatchObject({ level: 40, generated: true });
    expect(fs.statSync(path.join(source, SECRET_KEY_FILE)).mode & 0o777).toBe(0o600);
    let admin = (await http.post('/v1/auth/login', ADMIN)).body.token;
    const endpoint = await http.post('/v1/webhooks/endpoints', { url: receiver.url, events: ['product.created'] }, { token: admin });
    expect(endpoint.status).toBe(201);

    const backedUp = await command(['backup', '--to', backup], { ...env, ORDERLY_DATA_DIR: source });
    expect(backedUp.code, backedUp.out).toBe(0);
    const manifest = JSON.parse(fs.readFileSync(path.join(backup, 'manifest.json'), 'utf8'));
    expect(manifest.secretKeyFile).toBe(SECRET_KEY_FILE);
    expect(manifest.files.map((f: { path: string }) => f.path)).toContain(SECRET_KEY_FILE);
    expect(fs.statSync(path.join(backup, SECRET_KEY_FILE)).mode & 0o777).toBe(0o600);
    server.child.kill('SIGTERM');
    await server.exited;

    const restoring = await command(['restore', '--from', backup, '--data-dir', restored], env);
    expect(restoring.code, restoring.out).toBe(0);
    expect(fs.readFileSync(path.join(restored, SECRET_KEY_FILE)).equals(fs.readFileSync(path.join(source, SECRET_KEY_FILE)))).toBe(true);
    expect(fs.statSync(path.join(restored, SECRET_KEY_FILE)).mode & 0o777).toBe(0o600);

    server = await startServer({ ...env, ORDERLY_DATA_DIR: restored });
    admin = (await http.post('/v1/auth/login', ADMIN)).body.token;
    const sku = `RESTORED-${randomBytes(4).toString('hex')}`;
    const product = await http.post(
      '/v1/products',
      { title: 'Restored', category: 'keys', variants: [{ sku, price: { amount: 100, currency: 'USD' }, stock: 1 }] },
      { token: admin },
    );
    const message = await eventually('the restored shop’s webhook', async () =>
      receiver!.received.find((r) => JSON.parse(r.body).data.product?.id === product.body.id),
    );
    expect(() => new Webhook(endpoint.body.secret).verify(message.body, message.headers as Record<string, string>)).not.toThrow();
  });
});
