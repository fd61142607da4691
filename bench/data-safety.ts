// npm run bench:data-safety — backups and cold storage over a large shop (BENCH_PRODUCTS, default 1,000,000
// products; BENCH_ORDERS, default 100,000 orders), on the embedded default. Prepared once into
// BENCH_DATA_DIR and reused: the catalog copied from bench:read's seeded directory when there is one (else
// seeded), 200 orders placed through the API and delivered or declined, then copied in SQL up to
// BENCH_ORDERS (bench/support/clone-orders.ts). Then, in one run:
//  1. `orderly backup` of the stopped shop: time and size, and `orderly restore` time;
//  2. checkout POST p99 (BENCH_CHECKOUT_RATE, 50/s) and product read p99 (BENCH_READ_RATE, 200/s) while an
//     `orderly backup` runs beside the live shop, against the same load without one, alternated (goal: within 1.5x);
//  3. `orderly archive` of every final order, then GET /v1/orders/{id} of archived orders at 1 and 8
//     connections against hot ones, alternated over BENCH_ROUNDS (goal: archived p99 < 20 ms).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { cloneOrders } from './support/clone-orders.js';
import { ordersCompleted } from './support/metrics.js';
import { paced, quantile, type PacedResult } from './support/paced.js';
import { benchAdmin, json, openShop, orders } from './support/shop.js';
import { freePort, load, root, row, startServer, type Load } from './support/support.js';

const PRODUCTS = Number(process.env.BENCH_PRODUCTS ?? 1_000_000);
const ORDERS = Number(process.env.BENCH_ORDERS ?? 100_000);
const CHECKOUT_RATE = Number(process.env.BENCH_CHECKOUT_RATE ?? 50);
const READ_RATE = Number(process.env.BENCH_READ_RATE ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const dataDir = process.env.BENCH_DATA_DIR ?? path.join(os.tmpdir(), `orderly-bench-safety-${PRODUCTS}-${ORDERS}`);
const readDir = path.join(os.tmpdir(), `orderly-bench-read-${PRODUCTS}`);
const marker = path.join(dataDir, 'prepared');
const bin = path.join(root, 'bin/orderly.js');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-bench-safety-run-'));
const env = {
  ORDERLY_DATA_DIR: dataDir,
  ORDERLY_ADMIN_EMAIL: benchAdmin.email,
  ORDERLY_ADMIN_PASSWORD: benchAdmin.password,
  ORDERLY_RATE_LIMITS: 'off',
  // The bench archives by hand, when it means to.
  ORDERLY_ARCHIVE_AFTER_DAYS: '0',
  LOG_LEVEL: 'warn',
};
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function orderly(args: string[], extra: Record<string, string> = {}): { code: number | null; ms: number; out: string } {
  const started = Date.now();
  const result = spawnSync(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH ?? '', ...env, ...extra }, encoding: 'utf8' });
  const ended = result.error ? `\n(${result.error.message})` : result.signal ? `\n(killed by ${result.signal})` : '';
  return { code: result.status, ms: Date.now() - started, out: `${result.stdout}${result.stderr}${ended}` };
}

async function serve() {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = await startServer(
    [bin, 'start'],
    { ...env, PORT: String(port), HOST: '127.0.0.1' },
    `${base}/healthz`,
    path.join(scratch, 'orderly.log'),
  );
  const admin = (await json(`${base}/v1/auth/login`, { method: 'POST', body: JSON.stringify(benchAdmin) })).token as string;
  const stop = async () => {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  };
  return { base, admin, stop };
}

async function prepare(): Promise<void> {
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true });
  if (fs.existsSync(path.join(readDir, 'seeded'))) {
    console.log(`copying the catalog of ${readDir}`);
    for (const file of ['orderly.db', 'search.db']) fs.copyFileSync(path.join(readDir, file), path.join(dataDir, file));
  } else {
    console.log(`seeding ${PRODUCTS.toLocaleString('en-US')} products`);
    if (orderly(['seed', '--products', String(PRODUCTS)]).code !== 0) throw new Error('seeding failed');
  }
  const shop = await serve();
  const placing = await openShop(shop.base, `${Date.now().toString(36)}-`);
  const order = orders(placing);
  const declinedSome = () => {
    const next = order();
    return { ...next, body: next.body!.replace('tok_visa', Math.random() < 0.2 ? 'tok_declined' : 'tok_visa') };
  };
  const placed = await paced(shop.base, { rate: 50, seconds: 4, request: declinedSome });
  await ordersCompleted(shop.base, placed.ok);
  const confirmed: { shipment: { id: string } }[] = [];
  for (let cursor: string | null = ''; cursor !== null; ) {
    const page = await json(`${shop.base}/v1/orders?status=confirmed&limit=100${cursor ? `&cursor=${cursor}` : ''}`, {
      headers: { authorization: `Bearer ${shop.admin}` },
    });
    confirmed.push(...page.items);
    cursor = page.nextCursor;
  }
  for (const o of confirmed) {
    for (const status of ['in_transit', 'delivered'])
      await json(`${shop.base}/v1/shipments/${o.shipment.id}/status`, {
        method: 'POST',
        headers: { authorization: `Bearer ${shop.admin}` },
        body: JSON.stringify({ status }),
      });
  }
  await shop.stop();
  const made = cloneOrders(path.join(dataDir, 'orderly.db'), ORDERS);
  fs.writeFileSync(marker, `${PRODUCTS} products, ${ORDERS} orders (${made} copied in SQL)\n`);
}

if (!fs.existsSync(marker)) await prepare();
console.log(fs.readFileSync(marker, 'utf8').trim());
const sizes = ['orderly.db', 'search.db'].map((f) => `${f} ${(fs.statSync(path.join(dataDir, f)).size / 1e6).toFixed(0)} MB`);
console.log(`files: ${sizes.join(', ')}\n`);

// --- 1. backup and restore time and size ---------------------------------------------------------
const backupDir = path.join(scratch, 'backup');
const backup = orderly(['backup', '--to', backupDir]);
if (backup.code !== 0) throw new Error(`backup failed:\n${backup.out}`);
const manifest = JSON.parse(fs.readFileSync(path.join(backupDir, 'manifest.json'), 'utf8')) as { files: { path: string; bytes: number }[] };
const bytes = manifest.files.reduce((sum, f) => sum + f.bytes, 0);
console.log(
  `backup: ${seconds(backup.ms)}, ${(bytes / 1e6).toFixed(0)} MB in ${manifest.files.length} file(s) (${manifest.files
    .filter((f) => f.path.endsWith('.db'))
    .map((f) => `${f.path} ${(f.bytes / 1e6).toFixed(0)} MB`)
    .join(', ')})`,
);
const restored = orderly(['restore', '--from', backupDir, '--data-dir', path.join(scratch, 'restored')]);
if (restored.code !== 0) throw new Error(`restore failed:\n${restored.out}`);
console.log(`restore (checksums, copy, search catch-up): ${seconds(restored.ms)}\n`);
fs.rmSync(path.join(scratch, 'restored'), { recursive: true, force: true });
const phaseMs = Math.max(10_000, backup.ms);

// --- 2. the shop's p99 while a backup runs beside it ---------------------------------------------
const shop = await serve();
const productIds = (() => {
  const db = new SqliteDatabase(path.join(dataDir, 'orderly.db'), { readonly: true });
  const ids = db.prepare(`select id from catalog_products where rowid % 997 = 0 limit 2000`).pluck().all() as string[];
  db.close();
  return ids;
})();
const order = orders(await openShop(shop.base, `${Date.now().toString(36)}-`));
let reads = 0;
const read = () => ({ method: 'GET', path: `/v1/products/${productIds[reads++ % productIds.length]}` });
async function phase(withBackup: boolean): Promise<{ checkout: PacedResult; reads: PacedResult; backupMs: number | null }> {
  const runningBackup = withBackup ? backupBeside(path.join(scratch, `live-${Date.now()}`)) : null;
  const [checkout, productReads] = await Promise.all([
    paced(shop.base, { rate: CHECKOUT_RATE, seconds: phaseMs / 1000, request: order }),
    paced(shop.base, { rate: READ_RATE, seconds: phaseMs / 1000, request: read }),
  ]);
  const backupMs = runningBackup ? await runningBackup : null;
  return { checkout, reads: productReads, backupMs };
}
function backupBeside(to: string): Promise<number> {
  const started = Date.now();
  const child = spawn(process.execPath, [bin, 'backup', '--to', to], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore' });
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => {
      fs.rmSync(to, { recursive: true, force: true });
      if (code === 0) resolve(Date.now() - started);
      else reject(new Error(`backup beside the live shop exited ${code}`));
    }),
  );
}
await paced(shop.base, { rate: CHECKOUT_RATE, seconds: 3, request: order });
const p99 = (r: PacedResult) => quantile(r.latencies, 0.99);
const rounds: { quiet: Awaited<ReturnType<typeof phase>>; busy: Awaited<ReturnType<typeof phase>> }[] = [];
for (let round = 1; round <= ROUNDS; round += 1) {
  const quiet = await phase(false);
  const busy = await phase(true);
  rounds.push({ quiet, busy });
  console.log(
    `round ${round}: checkout p99 ${p99(quiet.checkout).toFixed(1)} → ${p99(busy.checkout).toFixed(1)} ms, ` +
      `product read p99 ${p99(quiet.reads).toFixed(1)} → ${p99(busy.reads).toFixed(1)} ms (without → with a backup, which took ${seconds(busy.backupMs!)})`,
  );
}
const mean = (pick: (r: (typeof rounds)[number]) => number) => rounds.reduce((sum, r) => sum + pick(r), 0) / rounds.length;
console.log(
  `while a backup runs / without: checkout p99 ×${(mean((r) => p99(r.busy.checkout)) / mean((r) => p99(r.quiet.checkout))).toFixed(2)}, ` +
    `product read p99 ×${(mean((r) => p99(r.busy.reads)) / mean((r) => p99(r.quiet.reads))).toFixed(2)} (goal within 1.5x)\n`,
);
await shop.stop();

// --- 3. archive, then read archived orders -----------------------------------------------------------
const archived = orderly(['archive', '--before', new Date(Date.now() + 86_400_000).toISOString()]);
if (archived.code !== 0) throw new Error(`archive failed:\n${archived.out}`);
console.log(`archive: ${archived.out.trim().split('\n').pop()} in ${seconds(archived.ms)}`);
const reader = await serve();
const ids = (() => {
  const db = new SqliteDatabase(path.join(dataDir, 'orderly.db'), { readonly: true });
  const cold = db.prepare('select order_id from orders_archived where rowid % 37 = 0 limit 3000').pluck().all() as string[];
  const hot = db.prepare('select id from orders limit 3000').pluck().all() as string[];
  db.close();
  return { cold, hot };
})();
const headers = { authorization: `Bearer ${reader.admin}` };
const byId = (list: string[]) => {
  let n = 0;
  return () => `/v1/orders/${list[n++ % list.length]}`;
};
// Alternated, each side first in turn: a shop just started after an archive (a checkpoint of its deletes
// still running, caches cold) must not weigh on whichever is measured first.
const results = new Map<string, Load[]>();
for (let round = 1; round <= ROUNDS; round += 1) {
  const sides = [
    ['archived', ids.cold],
    ['hot', ids.hot],
  ] as const;
  for (const [label, list] of round % 2 === 1 ? sides : [...sides].reverse()) {
    for (const connections of [1, 8]) {
      const result = await load(reader.base, { connections, seconds: 5, headers, paths: byId(list) });
      const key = `${label} (${connections} conn)`;
      if (!results.has(key)) results.set(key, []);
      results.get(key)!.push(result);
      console.log(row(`round ${round}: GET ${label} order (${connections} conn)`, result));
    }
  }
}
const p99s = (key: string) => results.get(key)!.map((r) => r.p99);
const meanOf = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
for (const connections of [1, 8]) {
  const [cold, hot] = [p99s(`archived (${connections} conn)`), p99s(`hot (${connections} conn)`)];
  console.log(
    `archived order p99 at ${connections} conn: ${cold.join(', ')} ms (mean ${meanOf(cold).toFixed(1)}, goal < 20 ms); ` +
      `hot ${hot.join(', ')} ms; archived/hot ×${(meanOf(cold) / meanOf(hot)).toFixed(2)}`,
  );
}
await reader.stop();
fs.rmSync(scratch, { recursive: true, force: true });
// The shop keeps its orders archived; the next run archives nothing and reads the same files.
