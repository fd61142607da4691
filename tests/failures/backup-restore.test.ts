import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpClient, type HttpClient } from '../support/http.js';
import { ADDRESS } from '../support/orders.js';
import { eventually } from '../support/payment-sim.js';
import { freePort, runOrderly, startServer, type OrderlyProcess } from '../support/process.js';
import { postUntilAnswered, untilNoneLeft } from '../support/retry.js';
import { query } from '../support/tamper.js';

const ADMIN = { email: 'backup-admin@orderly.test', password: 'backup-admin-1' };
const temp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/** Runs an orderly command to its end; its exit code and everything it printed. */
async function command(args: string[], env: Record<string, string>) {
  const run = runOrderly(args, env);
  const code = await run.exited;
  return { code, out: `${run.lines.join('\n')}\n${run.stderr.join('')}` };
}

async function openShop(http: HttpClient) {
  const admin = (await http.post('/v1/auth/login', ADMIN)).body.token as string;
  const variants: string[] = [];
  for (let i = 0; i < 3; i += 1) {
    const product = await http.post(
      '/v1/products',
      {
        title: `Backed up lamp ${i}`,
        category: 'lamps',
        variants: [{ sku: `BACKUP-${i}`, price: { amount: 2000 + i, currency: 'USD' }, stock: 500 }],
      },
      { token: admin },
    );
    variants.push(product.body.variants[0].id);
  }
  const customers: string[] = [];
  for (let i = 0; i < 4; i += 1)
    customers.push(
      (await http.post('/v1/auth/signup', { email: `saved-${i}@orderly.test`, password: 'saved-pass-1', name: `Saved ${i}` })).body.token,
    );
  return { admin, variants, customers };
}

async function allFinal(http: HttpClient, admin: string, ids: string[]) {
  let unfinished = ids;
  await untilNoneLeft('orders reaching confirmed or cancelled', async () => {
    const states = await Promise.all(unfinished.map(async (id) => ({ id, res: await http.get(`/v1/orders/${id}`, { token: admin }) })));
    unfinished = states.filter(({ res }) => !['confirmed', 'cancelled'].includes(res.body.status)).map(({ id }) => id);
    return unfinished;
  });
}

describe('online backup and restore of the embedded default', () => {
  const dataDir = temp('orderly-backup-source-');
  const backups = temp('orderly-backups-');
  let env: Record<string, string>;
  let server: OrderlyProcess;
  let http: HttpClient;
  let shop: Awaited<ReturnType<typeof openShop>>;
  const acceptedBeforeBackup = new Set<string>();
  const accepted = new Set<string>();

  beforeAll(async () => {
    const port = await freePort();
    env = {
      ORDERLY_DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      ORDERLY_ADMIN_EMAIL: ADMIN.email,
      ORDERLY_ADMIN_PASSWORD: ADMIN.password,
    };
    server = await startServer(env);
    http = httpClient(`http://127.0.0.1:${port}`);
    shop = await openShop(http);
  }, 60_000);

  afterAll(async () => {
    server?.child.kill('SIGKILL');
    for (const dir of [dataDir, backups]) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('copies every file while orders keep coming, and a restore gives back a shop that finishes what was in flight and verifies', async () => {
    let loading = true;
    let backingUp = false;
    const buyer = async (w: number) => {
      for (let n = 0; loading; n += 1) {
        const body = {
          items: [{ variantId: shop.variants[randomInt(shop.variants.length)]!, quantity: 1 }],
          shippingAddress: ADDRESS,
          paymentToken: randomInt(8) === 0 ? 'tok_declined' : 'tok_visa',
        };
        const startedBeforeBackup = !backingUp;
        const answer = await postUntilAnswered(http, '/v1/orders', body, { token: shop.customers[w]!, key: `backup-${w}-${n}` });
        expect(answer.response.status).toBe(202);
        accepted.add(answer.response.body.id);
        if (startedBeforeBackup && !backingUp) acceptedBeforeBackup.add(answer.response.body.id);
      }
    };
    const load = Promise.all(shop.customers.map((_, w) => buyer(w)));
    await eventually('orders accepted before the backup', async () => accepted.size >= 20);

    backingUp = true;
    const to = path.join(backups, 'one');
    const backup = await command(['backup', '--to', to], env);
    loading = false;
    await load;
    expect(backup.out).toContain('copying orderly.db');
    expect(backup.out).toContain('verified');
    expect(backup.code, backup.out).toBe(0);

    const manifest = JSON.parse(fs.readFileSync(path.join(to, 'manifest.json'), 'utf8'));
    expect(manifest.files.map((f: { path: string }) => f.path)).toEqual(
      expect.arrayContaining(['orderly.db', 'search.db', 'sandbox-provider.db']),
    );
    for (const file of manifest.files) {
      expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(fs.statSync(path.join(to, file.path)).size).toBe(file.bytes);
    }
    expect(manifest.schema.orders).toContain('0001_orders');
    expect(manifest.outbox.lastSeq).toBeGreaterThan(0);
    expect(Date.parse(manifest.finishedAt)).toBeGreaterThanOrEqual(Date.parse(manifest.startedAt));

    // The source shop finishes its orders and still verifies: the backup took nothing from it.
    await allFinal(http, shop.admin, [...accepted]);

    const restoredDir = path.join(temp('orderly-restored-'), 'data');
    const restore = await command(['restore', '--from', to, '--data-dir', restoredDir], {});
    expect(restore.out).toContain('checksums verified');
    expect(restore.code, restore.out).toBe(0);
    const summary = restore.out.split('\n').filter((l) => /refunded|in flight|indexed again/.test(l) && !l.startsWith('refunded '));
    process.stdout.write(
      `[backup] ${accepted.size} orders accepted, ${acceptedBeforeBackup.size} before the backup; ${summary.join('; ')}\n`,
    );

    const port = await freePort();
    const restoredEnv = { ...env, ORDERLY_DATA_DIR: restoredDir, PORT: String(port) };
    const restored = await startServer(restoredEnv);
    try {
      const restoredHttp = httpClient(`http://127.0.0.1:${port}`);
      const admin = (await restoredHttp.post('/v1/auth/login', ADMIN)).body.token as string;
      const ids = (await query<{ id: string }>({ sqliteFile: path.join(restoredDir, 'orderly.db') }, 'select id from orders')).map(
        (o) => o.id,
      );
      // Every order accepted before the backup began is there; none is there that no client was told of.
      for (const id of acceptedBeforeBackup) expect(ids).toContain(id);
      for (const id of ids) expect(accepted.has(id)).toBe(true);
      // What was in flight at the copy is delivered now, and every order ends.
      await allFinal(restoredHttp, admin, ids);
      // The search index answers for the catalog it was restored with.
      const found = await restoredHttp.get('/v1/search?q=backed%20up%20lamp');
      expect(found.body.items.length).toBe(3);
      // Customers sign in with what they had.
      expect((await restoredHttp.post('/v1/auth/login', { email: 'saved-0@orderly.test', password: 'saved-pass-1' })).status).toBe(200);
    } finally {
      restored.child.kill('SIGTERM');
      await restored.exited;
    }
    const verify = await command(['verify'], { ORDERLY_DATA_DIR: restoredDir });
    expect(verify.out).toContain('OK: every invariant holds');
    expect(verify.code).toBe(0);
  }, 180_000);

  it('refuses a backup whose checksums fail, a schema newer than the code, and a data directory in use without --force', async () => {
    const to = path.join(backups, 'two');
    expect((await command(['backup', '--to', to], env)).code).toBe(0);
    expect((await command(['backup', '--to', to], env)).out).toContain('is not empty');

    const target = path.join(temp('orderly-restore-refusals-'), 'data');
    // A byte flipped in the middle of the database copy.
    const corrupted = path.join(backups, 'corrupted');
    fs.cpSync(to, corrupted, { recursive: true });
    const file = path.join(corrupted, 'orderly.db');
    const bytes = fs.readFileSync(file);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = bytes[middle]! ^ 0xff;
    fs.writeFileSync(file, bytes);
    const refusedCorrupt = await command(['restore', '--from', corrupted, '--data-dir', target], {});
    expect(refusedCorrupt.code).toBe(1);
    expect(refusedCorrupt.out).toContain('orderly.db: checksum does not match');
    expect(fs.existsSync(target)).toBe(false);

    // A backup made by a newer Orderly, with a migration this code does not have.
    const newer = path.join(backups, 'newer');
    fs.cpSync(to, newer, { recursive: true });
    const manifest = JSON.parse(fs.readFileSync(path.join(newer, 'manifest.json'), 'utf8'));
    manifest.schema.orders.push('0099_from_the_future');
    fs.writeFileSync(path.join(newer, 'manifest.json'), JSON.stringify(manifest));
    const refusedNewer = await command(['restore', '--from', newer, '--data-dir', target], {});
    expect(refusedNewer.code).toBe(1);
    expect(refusedNewer.out).toContain('newer than this Orderly (orders/0099_from_the_future)');

    // Not a backup at all.
    expect((await command(['restore', '--from', dataDir, '--data-dir', target], {})).out).toContain('not a finished backup');

    // A data directory with something in it: refused, then replaced with --force.
    fs.mkdirSync(target, { recursive: true });
    fs.writeFileSync(path.join(target, 'orderly.db'), 'not a database');
    const refusedBusy = await command(['restore', '--from', to, '--data-dir', target], {});
    expect(refusedBusy.code).toBe(1);
    expect(refusedBusy.out).toContain('not empty; restore into an empty directory, or add --force');
    expect(fs.readFileSync(path.join(target, 'orderly.db'), 'utf8')).toBe('not a database');
    const forced = await command(['restore', '--from', to, '--data-dir', target, '--force'], {});
    expect(forced.code, forced.out).toBe(0);
    const verify = await command(['verify'], { ORDERLY_DATA_DIR: target });
    expect(verify.code, verify.out).toBe(0);
  }, 120_000);

  it('takes scheduled backups, keeps the newest ORDERLY_BACKUP_KEEP and exports the age of the last good one', async () => {
    const dir = temp('orderly-scheduled-');
    const port = await freePort();
    const scheduled = await startServer({
      ...env,
      ORDERLY_DATA_DIR: temp('orderly-scheduled-data-'),
      PORT: String(port),
      ORDERLY_BACKUP_DIR: dir,
      ORDERLY_BACKUP_EVERY: '1s',
      ORDERLY_BACKUP_KEEP: '2',
    });
    try {
      const metrics = httpClient(`http://127.0.0.1:${port}`);
      const sample = async (name: string) => {
        const text = (await metrics.get('/metrics')).text;
        const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
        return line === undefined ? NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
      };
      await eventually('three scheduled backups', async () => (await sample('orderly_backups_total{outcome="succeeded"}')) >= 3, 60_000);
      const kept = fs.readdirSync(dir).filter((name) => fs.existsSync(path.join(dir, name, 'manifest.json')));
      expect(kept.length).toBe(2);
      expect(await sample('orderly_backup_last_success_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 60);
      expect(await sample('orderly_backup_age_seconds')).toBeLessThan(60);
      expect(await sample('orderly_backup_interval_seconds')).toBe(1);
    } finally {
      scheduled.child.kill('SIGTERM');
      await scheduled.exited;
    }
  }, 120_000);
});
