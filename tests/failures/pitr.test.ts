import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { httpClient, type HttpClient } from '../support/http.js';
import { ADDRESS, idempotencyKey } from '../support/orders.js';
import { eventually } from '../support/payment-sim.js';
import { freePort, root, runOrderly, startServer } from '../support/process.js';
import { untilNoneLeft } from '../support/retry.js';

// The PostgreSQL point-in-time recovery drill of the README's "Backups and recovery", with the scripts in
// deploy/postgres/ on a server of its own that archives its WAL.
const ADMIN = { email: 'pitr-admin@orderly.test', password: 'pitr-admin-1' };
const bindir = fs
  .readdirSync('/usr/lib/postgresql')
  .map((v) => `/usr/lib/postgresql/${v}/bin`)
  .filter((dir) => fs.existsSync(`${dir}/initdb`))
  .sort()
  .pop();
if (!bindir) throw new Error('PostgreSQL server binaries are missing (apt-get install postgresql; .ci/run does)');
const asRoot = process.getuid?.() === 0;

/** Runs a command as the user PostgreSQL runs as (it refuses root); throws with its output on failure. */
function run(command: string, args: string[], env: Record<string, string> = {}, asPostgres = true): string {
  const [file, argv] = asPostgres && asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  const result = spawnSync(file, argv, { env: { ...process.env, ...env }, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-pitr-'));
if (asRoot) fs.chmodSync(work, 0o755);
const dir = (name: string) => {
  const full = path.join(work, name);
  fs.mkdirSync(full, { recursive: true });
  if (asRoot) spawnSync('chown', ['postgres:', full]);
  return full;
};

async function sql<T = Record<string, unknown>>(port: number, statement: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/orderly` });
  await client.connect();
  try {
    return (await client.query(statement)).rows as T[];
  } finally {
    await client.end();
  }
}

const started: string[] = [];
function startPostgres(data: string, port: number): void {
  const log = path.join(dir('logs'), `postgres-${port}.log`);
  const options = `-p ${port} -k ${dir('sockets')} -c listen_addresses=127.0.0.1`;
  try {
    run(`${bindir}/pg_ctl`, ['-D', data, '-w', '-l', log, '-o', options, 'start']);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : ''}`);
  }
  started.push(data);
}

async function placeAndFinish(http: HttpClient, admin: string, buyer: string, variant: string, count: number) {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const res = await http.post(
      '/v1/orders',
      { items: [{ variantId: variant, quantity: 1 }], shippingAddress: ADDRESS, paymentToken: i % 4 === 3 ? 'tok_declined' : 'tok_visa' },
      { token: buyer, headers: { 'idempotency-key': idempotencyKey() } },
    );
    expect(res.status).toBe(202);
    ids.push(res.body.id);
  }
  const statuses = new Map<string, string>();
  await untilNoneLeft('orders finishing', async () => {
    for (const id of ids) statuses.set(id, (await http.get(`/v1/orders/${id}`, { token: admin })).body.status);
    return ids.filter((id) => !['confirmed', 'cancelled'].includes(statuses.get(id)!));
  });
  return statuses;
}

describe('point-in-time recovery of PostgreSQL (deploy/postgres)', () => {
  afterAll(() => {
    for (const data of started)
      spawnSync(
        asRoot ? 'runuser' : `${bindir}/pg_ctl`,
        asRoot
          ? ['-u', 'postgres', '--', `${bindir}/pg_ctl`, '-D', data, '-m', 'immediate', 'stop']
          : ['-D', data, '-m', 'immediate', 'stop'],
      );
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('restores to a time before a table was dropped: the orders accepted before it, with their status, and none after', async () => {
    const data = path.join(dir('primary'), 'data');
    const archive = dir('wal-archive');
    const backups = dir('base-backups');
    // The archive script as a PostgreSQL user can reach it, wherever this checkout lives.
    const archiver = path.join(work, 'archive-wal.sh');
    fs.copyFileSync(path.join(root, 'deploy/postgres/archive-wal.sh'), archiver);
    fs.chmodSync(archiver, 0o755);
    run(`${bindir}/initdb`, ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    const settings = fs
      .readFileSync(path.join(root, 'deploy/postgres/archiving.conf'), 'utf8')
      .replace('/var/lib/orderly/wal-archive', archive)
      .replace('/opt/orderly/deploy/postgres/archive-wal.sh', archiver);
    fs.appendFileSync(path.join(data, 'postgresql.conf'), `\n${settings}`);
    const port = await freePort();
    startPostgres(data, port);
    const url = `postgres://postgres@127.0.0.1:${port}`;
    const admin = new pg.Client({ connectionString: `${url}/postgres` });
    await admin.connect();
    await admin.query('create database orderly');
    await admin.end();

    const appPort = await freePort();
    const env = {
      DATABASE_URL: `${url}/orderly`,
      ORDERLY_DATA_DIR: dir('app'),
      PORT: String(appPort),
      HOST: '127.0.0.1',
      ORDERLY_ADMIN_EMAIL: ADMIN.email,
      ORDERLY_ADMIN_PASSWORD: ADMIN.password,
    };
    const server = await startServer(env);
    const http = httpClient(`http://127.0.0.1:${appPort}`);
    const adminToken = (await http.post('/v1/auth/login', ADMIN)).body.token as string;
    const product = await http.post(
      '/v1/products',
      {
        title: 'Recovered kettle',
        category: 'kitchen',
        variants: [{ sku: 'PITR-1', price: { amount: 4200, currency: 'USD' }, stock: 100 }],
      },
      { token: adminToken },
    );
    const variant = product.body.variants[0].id as string;
    const buyer = (await http.post('/v1/auth/signup', { email: 'pitr-buyer@orderly.test', password: 'pitr-buyer-1', name: 'Buyer' })).body
      .token;

    const beforeBackup = await placeAndFinish(http, adminToken, buyer, variant, 6);
    const backupDir = run(
      path.join(root, 'deploy/postgres/backup.sh'),
      [],
      { DATABASE_URL: `${url}/orderly`, ORDERLY_PG_BACKUPS: backups },
      false,
    ).trim();
    expect(fs.existsSync(path.join(backupDir, 'orderly-backup-finished-at'))).toBe(true);
    await new Promise((r) => setTimeout(r, 1100));
    const afterBackup = await placeAndFinish(http, adminToken, buyer, variant, 6);
    const t = (await sql<{ t: string }>(port, `select to_char(now() at time zone 'utc', 'YYYY-MM-DD HH24:MI:SS.US+00') as t`))[0]!.t;
    await new Promise((r) => setTimeout(r, 1100));
    const afterT = await placeAndFinish(http, adminToken, buyer, variant, 4);
    // The mistake: a table dropped, then the segment holding it all closed so the archive has it.
    await sql(port, 'drop table order_lines');
    const segment = (await sql<{ segment: string }>(port, 'select pg_walfile_name(pg_switch_wal()) as segment'))[0]!.segment;
    await eventually('the last segment archived', async () => fs.existsSync(path.join(archive, segment)), 30_000);
    server.child.kill('SIGTERM');
    await server.exited;

    const restored = path.join(work, 'restored');
    run(path.join(root, 'deploy/postgres/restore.sh'), [t, restored], { ORDERLY_PG_BACKUPS: backups, ORDERLY_WAL_ARCHIVE: archive }, false);
    const restoredPort = await freePort();
    startPostgres(restored, restoredPort);
    await eventually(
      'recovery reaching its target and promoting',
      async () => {
        const [row] = await sql<{ recovering: boolean }>(restoredPort, 'select pg_is_in_recovery() as recovering').catch(() => [
          { recovering: true },
        ]);
        return row?.recovering === false;
      },
      60_000,
    );

    const rows = await sql<{ id: string; status: string }>(restoredPort, 'select id, status from orders');
    const stored = new Map(rows.map((r) => [r.id, r.status]));
    for (const [id, status] of [...beforeBackup, ...afterBackup]) expect(stored.get(id), id).toBe(status);
    for (const id of afterT.keys()) expect(stored.has(id), id).toBe(false);
    expect(stored.size).toBe(beforeBackup.size + afterBackup.size);
    const lines = (await sql<{ lines: number }>(restoredPort, 'select count(*)::int as lines from order_lines'))[0]!.lines;
    expect(lines).toBe(stored.size);

    // The provider kept the charges of the orders after T; reconcile gives that money back, then verify holds.
    const restoredEnv = { ...env, DATABASE_URL: `postgres://postgres@127.0.0.1:${restoredPort}/orderly` };
    const reconcile = runOrderly(['reconcile'], restoredEnv);
    expect(await reconcile.exited).toBe(0);
    const confirmedAfterT = [...afterT.values()].filter((s) => s === 'confirmed').length;
    expect(reconcile.lines.join('\n')).toContain(`${confirmedAfterT} charge(s) for orders placed after the backup refunded`);
    const verify = runOrderly(['verify'], restoredEnv);
    const code = await verify.exited;
    expect(verify.lines.join('\n')).toContain('OK: every invariant holds');
    expect(code).toBe(0);
  }, 180_000);
});
