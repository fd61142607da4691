// npm run bench:checkout-floor — how fast checkout could go on this machine if nothing but SQLite and a
// bare HTTP route cost anything. It records every statement the embedded default runs for
// BENCH_ORDERS orders (POST → confirmed, shipment, email), replays them on a copy of the database taken
// before the orders, with no JavaScript around them, and measures a bare Fastify POST route flat out.
// Prints, per order: statements, commits, SQLite time as run and with one commit per 100 orders, the bare
// HTTP cost, and what that leaves of the CPU budget for bench:checkout's goal.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { ordersCompleted, sample, scrape } from './support/metrics.js';
import type { RecordedStatement } from './support/record-statements.js';
import { benchEnv, openShop, orders } from './support/shop.js';
import { freePort, load, root, startChild, startServer, tempDir } from './support/support.js';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 2000);
const GOAL = 1000;
const CORES = 2;
const dataDir = tempDir('orderly-bench-floor-');
const before = tempDir('orderly-bench-floor-before-');
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const env = benchEnv(dataDir, port);
const start = (args: string[], extra: Record<string, string> = {}) =>
  startServer(
    [...args, path.join(root, 'bin/orderly.js'), 'start'],
    { ...env, ...extra },
    `${base}/healthz`,
    path.join(dataDir, 'orderly.log'),
  );
let server: ChildProcess | null = null;
process.once('exit', () => server?.kill('SIGKILL'));
async function stop(child: ChildProcess) {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

// 1. The shop, then a copy of its files as they stand before any order.
server = await start([]);
const shop = await openShop(base);
await stop(server);
for (const file of fs.readdirSync(dataDir).filter((f) => f.endsWith('.db')))
  fs.copyFileSync(path.join(dataDir, file), path.join(before, file));

// 2. The orders, every statement recorded, each time on the shop as it stood before: with every saga step a
// message and each message applied alone (as before checkout's redesign), with the stock steps in the saga's
// own transactions but each message alone, then as Orderly runs by default (set-based batches too).
interface Recording {
  name: string;
  statements: RecordedStatement[];
  handled: number;
}
async function record(name: string, settings: Record<string, string>): Promise<Recording> {
  for (const file of fs.readdirSync(dataDir).filter((f) => /\.db(-wal|-shm)?$/.test(f))) fs.rmSync(path.join(dataDir, file));
  for (const file of fs.readdirSync(before)) fs.copyFileSync(path.join(before, file), path.join(dataDir, file));
  const log = path.join(dataDir, `statements-${name}.jsonl`);
  server = await start(['--import', pathToFileURL(path.join(root, 'dist/bench/support/record-statements.js')).href], {
    ORDERLY_RECORD_STATEMENTS: log,
    ...settings,
  });
  const order = orders(shop);
  const placed = await autocannon({
    url: base,
    connections: 16,
    amount: ORDERS,
    requests: [{ setupRequest: (request: any) => Object.assign(request, order()) }],
  });
  if (placed['2xx'] !== ORDERS) throw new Error(`${placed['2xx']} of ${ORDERS} orders accepted`);
  await ordersCompleted(base, ORDERS);
  const metrics = await scrape(base);
  const confirmed = sample(metrics, 'orderly_orders_completed_total', { outcome: 'confirmed' });
  if (confirmed !== ORDERS) throw new Error(`${confirmed} of ${ORDERS} orders confirmed`);
  const handled = sample(metrics, 'orderly_messages_handled_total');
  await stop(server);
  server = null;
  const statements = fs
    .readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as RecordedStatement);
  return { name, statements, handled };
}
const previous = await record('steps as messages', { ORDERLY_SAGA_INLINE_STOCK: 'false', ORDERLY_MESSAGE_BATCH: '1' });
const inline = await record('stock inline', { ORDERLY_MESSAGE_BATCH: '1' });
const current = await record('and batches', {});
const recorded = current.statements;

// 3. The same statements on copies of the files from before, with nothing around them.
const control = /^\s*(begin|commit|rollback|savepoint|release)\b/i;
const isRead = (sql: string) => /^\s*(select|with)\s/i.test(sql);

// Whose statement it is, by the table it names first.
const owners: [string, RegExp][] = [
  ['messaging (outbox, deliveries, inbox)', /^(outbox|messaging_)/],
  ['idempotency', /^idempotency_/],
  ['orders', /^order/],
  ['inventory', /^inventory_/],
  ['payments and the sandbox ledger', /^(payment|charges|refunds)/],
  ['shipping', /^shipment/],
  ['notifications', /^notification/],
  ['catalog', /^catalog_/],
  ['identity', /^identity_/],
  ['webhooks', /^webhook/],
];
function ownerOf(sql: string): string {
  if (control.test(sql)) return 'transactions';
  const table = /\b(?:into|from|update)\s+"?([a-z_]+)/i.exec(sql)?.[1] ?? '';
  return owners.find(([, pattern]) => pattern.test(table))?.[0] ?? `other (${table || sql.slice(0, 20)})`;
}

interface Replay {
  ms: number;
  checkpointMs: number;
  mismatches: number;
  byOwner: Map<string, { n: number; ms: number }>;
  bySql: Map<string, { n: number; ms: number }>;
}

/** Runs the recorded statements on fresh copies of the files; `perCommit` > 0 drops the run's own transactions for one every `perCommit` statements. */
function replay(recorded: RecordedStatement[], perCommit: number): Replay {
  const dir = tempDir('orderly-bench-floor-replay-');
  const connections = new Map<string, { db: Database.Database; cache: Map<string, Database.Statement> }>();
  const open = (file: string) => {
    const name = path.basename(file);
    let connection = connections.get(name);
    if (!connection) {
      fs.copyFileSync(path.join(before, name), path.join(dir, name));
      const db = new Database(path.join(dir, name));
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      // As in Orderly, checkpoints happen elsewhere; they are timed on their own below.
      db.pragma('wal_autocheckpoint = 0');
      connection = { db, cache: new Map() };
      connections.set(name, connection);
    }
    return connection;
  };
  const statements = recorded.filter(([, sql]) => perCommit === 0 || !control.test(sql));
  for (const [file] of statements) open(file);
  let mismatches = 0;
  let inBatch = 0;
  const byOwner = new Map<string, { n: number; ms: number }>();
  const bySql = new Map<string, { n: number; ms: number }>();
  const owner = new Map<string, string>();
  const started = performance.now();
  for (const [file, sql, params, failed] of statements) {
    const { db, cache } = open(file);
    if (perCommit > 0 && inBatch === 0) db.prepare('begin immediate').run();
    let statement = cache.get(sql);
    if (!statement) cache.set(sql, (statement = db.prepare(sql)));
    let threw = false;
    const at = performance.now();
    try {
      if (statement.reader) statement.all(...params);
      else statement.run(...params);
    } catch {
      threw = true;
    }
    let whose = owner.get(sql);
    if (whose === undefined) owner.set(sql, (whose = ownerOf(sql)));
    const tally = byOwner.get(whose) ?? { n: 0, ms: 0 };
    tally.n += 1;
    tally.ms += performance.now() - at;
    byOwner.set(whose, tally);
    const same = bySql.get(sql) ?? { n: 0, ms: 0 };
    same.n += 1;
    same.ms += performance.now() - at;
    bySql.set(sql, same);
    if (threw !== failed) mismatches += 1;
    if (perCommit > 0 && (inBatch += 1) >= perCommit) {
      for (const c of connections.values()) if (c.db.inTransaction) c.db.prepare('commit').run();
      inBatch = 0;
    }
  }
  for (const c of connections.values()) if (c.db.inTransaction) c.db.prepare('commit').run();
  const ms = performance.now() - started;
  const checkpointStarted = performance.now();
  for (const c of connections.values()) c.db.pragma('wal_checkpoint(TRUNCATE)');
  const checkpointMs = performance.now() - checkpointStarted;
  for (const c of connections.values()) c.db.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return { ms, checkpointMs, mismatches, byOwner, bySql };
}

function counts(statements: RecordedStatement[]) {
  const commits = statements.filter(([, sql, , failed]) => !failed && /^\s*commit\b/i.test(sql)).length;
  const reads = statements.filter(([, sql]) => isRead(sql)).length;
  const work = statements.length - statements.filter(([, sql]) => control.test(sql)).length;
  return { commits, reads, work };
}
const { commits, reads, work } = counts(recorded);
const previousRun = replay(previous.statements, 0);
const inlineRun = replay(inline.statements, 0);
const asRun = replay(recorded, 0);
const batched = replay(recorded, Math.ceil((work / ORDERS) * 100));

// 4. The HTTP side's floor: a bare Fastify POST route, flat out, with the same body.
const bare = await startChild([path.join(root, 'dist/bench/support/bare-post-server.js')], {}, (line) =>
  line.startsWith('http://') ? line.trim() : null,
);
const body = orders(shop)();
const flatOut = await load(`${bare.value}/v1/orders`, {
  method: 'POST',
  headers: body.headers,
  body: body.body,
  connections: 32,
  seconds: 5,
});
bare.child.kill('SIGTERM');

const perOrder = (ms: number) => ms / ORDERS;
const rate = (ms: number) => (1000 / ms).toFixed(0);
const httpMs = 1000 / flatOut.rps;
const floorMs = perOrder(batched.ms + batched.checkpointMs) + httpMs;
const budgetMs = (CORES * 1000) / GOAL;
console.log(`\n${ORDERS} orders (POST → confirmed, shipment, email), every SQLite statement recorded and replayed with nothing around it`);
console.log(
  `   statements per order: ${(work / ORDERS).toFixed(1)} (${(reads / ORDERS).toFixed(1)} reads, ${((work - reads) / ORDERS).toFixed(1)} writes), commits per order ${(commits / ORDERS).toFixed(2)}`,
);
console.log(
  `   SQLite alone, transactions as run:        ${perOrder(asRun.ms).toFixed(2)} ms/order (${rate(perOrder(asRun.ms))} orders/s on one core), checkpoint ${perOrder(asRun.checkpointMs).toFixed(2)} ms/order`,
);
console.log(
  `   SQLite alone, one commit per 100 orders:  ${perOrder(batched.ms).toFixed(2)} ms/order (${rate(perOrder(batched.ms))} orders/s on one core), checkpoint ${perOrder(batched.checkpointMs).toFixed(2)} ms/order`,
);
console.log(`   before and after, per order:${' '.repeat(8)}${[previous, inline, current].map((r) => r.name.padStart(20)).join('')}`);
const row = (what: string, ...values: string[]) => console.log(`     ${what.padEnd(31)}${values.map((v) => v.padStart(20)).join('')}`);
const was = counts(previous.statements);
const mid = counts(inline.statements);
const per = (n: number, digits = 1) => (n / ORDERS).toFixed(digits);
row('statements', per(was.work), per(mid.work), per(work));
row('  reads', per(was.reads), per(mid.reads), per(reads));
row('  writes', per(was.work - was.reads), per(mid.work - mid.reads), per(work - reads));
row('commits', per(was.commits, 2), per(mid.commits, 2), per(commits, 2));
row('messages handled', per(previous.handled), per(inline.handled), per(current.handled));
row('SQLite alone, as run (ms)', per(previousRun.ms, 2), per(inlineRun.ms, 2), per(asRun.ms, 2));
const runs = [previousRun, inlineRun, asRun];
const whoseAll = [...new Set(runs.flatMap((r) => [...r.byOwner.keys()]))];
for (const whose of whoseAll) row(`  ${whose}`, ...runs.map((r) => per(r.byOwner.get(whose)?.n ?? 0)));
console.log(`   of which, as run (statements per order, SQLite time per order):`);
for (const [whose, { n, ms }] of [...asRun.byOwner].sort((a, b) => b[1].ms - a[1].ms)) {
  console.log(`     ${whose.padEnd(40)} ${(n / ORDERS).toFixed(1).padStart(6)}  ${(perOrder(ms) * 1000).toFixed(0).padStart(6)} µs`);
}
console.log(`   the statements that cost most, as run (per order: how many, SQLite time):`);
for (const [sql, { n, ms }] of [...asRun.bySql].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) {
  console.log(
    `     ${(n / ORDERS).toFixed(2).padStart(5)}  ${(perOrder(ms) * 1000).toFixed(0).padStart(5)} µs  ${sql.replace(/\s+/g, ' ').slice(0, 110)}`,
  );
}
console.log(`   replayed statements whose outcome differed from the run: ${asRun.mismatches} as run, ${batched.mismatches} batched`);
console.log(`   bare Fastify POST route, 32 connections flat out: ${flatOut.rps.toFixed(0)} req/s = ${httpMs.toFixed(2)} ms per POST`);
console.log(`   floor per order (SQLite batched + checkpoint + bare POST): ${floorMs.toFixed(2)} ms`);
console.log(
  `   budget per order for ${GOAL} confirmed orders/s on ${CORES} cores: ${budgetMs.toFixed(2)} ms; the floor takes ${((100 * floorMs) / budgetMs).toFixed(0)} % of it, leaving ${(budgetMs - floorMs).toFixed(2)} ms for all of Orderly's own code per order`,
);
fs.rmSync(dataDir, { recursive: true, force: true });
fs.rmSync(before, { recursive: true, force: true });
