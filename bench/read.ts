// npm run bench:read — the read path over a large catalog (BENCH_PRODUCTS, default 1,000,000), on the
// embedded default. Seeds once into BENCH_DATA_DIR (reused by later runs), then measures in one run:
// search p50/p99 for several query shapes, repeated and distinct (goal p99 < 50 ms at 8 connections),
// checkout POST p99 while 8 connections search against without them (goal within 1.5x), product reads by id (cached) against a
// bare Fastify route sending the same bytes (goal >= 0.7 of it), and listing page 1 against page 10,000
// (goal: the same cost).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { distinctSearches } from './support/distinct-searches.js';
import { paced, quantile, type PacedResult } from './support/paced.js';
import { benchAdmin, openShop, orders } from './support/shop.js';
import { freePort, load, root, row, startChild, startServer, type Load } from './support/support.js';

const PRODUCTS = Number(process.env.BENCH_PRODUCTS ?? 1_000_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 1);
const LOADED_CONNECTIONS = 8;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const CHECKOUT_ROUNDS = Number(process.env.BENCH_CHECKOUT_ROUNDS ?? 3);
// BENCH_ONLY=search|checkout|by-id|listing runs one part (all by default).
const only = process.env.BENCH_ONLY;
const runs = (part: string) => only === undefined || only === part;
const dataDir = process.env.BENCH_DATA_DIR ?? path.join(os.tmpdir(), `orderly-bench-read-${PRODUCTS}`);
const marker = path.join(dataDir, 'seeded');
const bin = path.join(root, 'bin/orderly.js');

if (!fs.existsSync(marker)) {
  fs.rmSync(dataDir, { recursive: true, force: true });
  console.log(`seeding ${PRODUCTS.toLocaleString('en-US')} products into ${dataDir} (kept for later runs)`);
  const started = Date.now();
  const seeded = spawnSync(process.execPath, [bin, 'seed', '--products', String(PRODUCTS)], {
    env: { PATH: process.env.PATH ?? '', ORDERLY_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    stdio: 'inherit',
  });
  if (seeded.status !== 0) throw new Error(`seed exited with ${seeded.status}`);
  fs.writeFileSync(marker, `${PRODUCTS} products seeded in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}
console.log(fs.readFileSync(marker, 'utf8').trim());
const sizes = ['orderly.db', 'search.db'].map((f) => `${f} ${(fs.statSync(path.join(dataDir, f)).size / 1e6).toFixed(0)} MB`);
console.log(`files: ${sizes.join(', ')}\n`);

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
// Rate limits off: one load generator on one address would only measure 429s.
const orderly = await startServer(
  [bin, 'start'],
  {
    HOST: '127.0.0.1',
    PORT: String(port),
    ORDERLY_DATA_DIR: dataDir,
    ORDERLY_RATE_LIMITS: 'off',
    ORDERLY_ADMIN_EMAIL: benchAdmin.email,
    ORDERLY_ADMIN_PASSWORD: benchAdmin.password,
    ...(process.env.ORDERLY_SEARCH_THREADS === undefined ? {} : { ORDERLY_SEARCH_THREADS: process.env.ORDERLY_SEARCH_THREADS }),
  },
  `${base}/healthz`,
  path.join(dataDir, 'orderly.log'),
);

async function json(url: string): Promise<any> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

const measure = (url: string) => load(url, { connections: CONNECTIONS, seconds: SECONDS });

// --- search -------------------------------------------------------------------------------------
const shapes: [string, string][] = [
  ['one word', 'q=leather'],
  ['two words', 'q=leather%20boots'],
  ['as you type (prefix)', 'q=northwind%20wat'],
  ['words + category + price', 'q=classic&category=shoes&minPrice=5000&maxPrice=12000'],
  ['word + attribute', 'q=cotton&attr=color:red'],
  ['exact title', 'q=Atlas%20Rugged%20Leather%20Boots'],
  ['browse a category', 'category=kitchen'],
  ['browse, price + attribute', 'category=shoes&maxPrice=8000&attr=color:navy'],
];
const distinctSearch = distinctSearches(dataDir);
// Latency first (one client at a time: what a shopper waits for), then the same shape under 8 concurrent
// clients. A repeated shape is answered from the window its first search kept (until the index changes);
// distinct searches below pay for every window.
console.log(`search over ${PRODUCTS.toLocaleString('en-US')} products: ${SECONDS} s per shape, after a warm-up`);
const searchRows: { label: string; single: Load; loaded: Load }[] = [];
for (const [label, query] of runs('search') ? shapes : []) {
  const url = `${base}/v1/search?${query}`;
  const first = await json(url);
  const counted = Object.values(first.facets.category as Record<string, number>).reduce((a, b) => a + b, 0);
  await load(url, { connections: CONNECTIONS, seconds: 1 });
  const single = await measure(url);
  const loaded = await load(url, { connections: LOADED_CONNECTIONS, seconds: SECONDS });
  searchRows.push({ label, single, loaded });
  console.log(
    `${row(`${label} (${CONNECTIONS} conn)`, single)}   ${first.exhaustive ? 'all' : 'window of'} ${counted.toLocaleString('en-US')} matches`,
  );
  console.log(row(`${label} (${LOADED_CONNECTIONS} conn)`, loaded));
}
if (runs('search')) {
  console.log(
    `repeated searches, worst p99: ${Math.max(...searchRows.map((r) => r.single.p99))} ms at ${CONNECTIONS} connection(s), ` +
      `${Math.max(...searchRows.map((r) => r.loaded.p99))} ms at ${LOADED_CONNECTIONS} (goal < 50 ms)`,
  );
  const single = await load(base, { connections: CONNECTIONS, seconds: SECONDS, paths: distinctSearch });
  const loaded = await load(base, { connections: LOADED_CONNECTIONS, seconds: SECONDS, paths: distinctSearch });
  console.log(row(`distinct searches (${CONNECTIONS} conn)`, single));
  console.log(row(`distinct searches (${LOADED_CONNECTIONS} conn)`, loaded));
  console.log(`distinct searches p99: ${single.p99} ms at ${CONNECTIONS} connection(s), ${loaded.p99} ms at ${LOADED_CONNECTIONS}\n`);
}

// --- checkout while others search ------------------------------------------------------------------
if (runs('checkout')) await checkoutPart();
async function checkoutPart() {
  const rate = Number(process.env.BENCH_CHECKOUT_RATE ?? 50);
  const order = orders(await openShop(base, `${Date.now().toString(36)}-`));
  await paced(base, { rate, seconds: 3, request: order });
  const rounds: { alone: PacedResult; searched: PacedResult; search: Load }[] = [];
  for (let round = 1; round <= CHECKOUT_ROUNDS; round += 1) {
    const alone = await paced(base, { rate, seconds: SECONDS, request: order });
    // The searchers are a process of their own, so their answers do not hold up this one's clock.
    const figures = path.join(dataDir, `search-load-${round}.json`);
    const searchers = await startChild(
      [path.join(root, 'dist/bench/support/search-load.js')],
      {},
      (line) => (line === 'searching' ? line : null),
      JSON.stringify({ base, dataDir, connections: LOADED_CONNECTIONS, seconds: SECONDS, skip: round * 5_000, figures }),
    );
    const done = new Promise((resolve) => searchers.child.once('exit', resolve));
    const searched = await paced(base, { rate, seconds: SECONDS, request: order });
    await done;
    const search = JSON.parse(fs.readFileSync(figures, 'utf8')) as Load;
    rounds.push({ alone, searched, search });
    const line = (label: string, r: PacedResult) =>
      `${label.padEnd(44)} p50 ${quantile(r.latencies, 0.5).toFixed(1).padStart(6)} ms   p99 ${quantile(r.latencies, 0.99).toFixed(1).padStart(6)} ms   non-2xx ${r.non2xx + r.errors}`;
    console.log(line(`round ${round} checkout ${rate}/s alone`, alone));
    console.log(line(`round ${round} checkout ${rate}/s, ${LOADED_CONNECTIONS} conn searching`, searched));
    console.log(row(`round ${round} the searches meanwhile`, search));
  }
  const p99 = (pick: (r: (typeof rounds)[number]) => PacedResult) =>
    rounds.reduce((sum, r) => sum + quantile(pick(r).latencies, 0.99), 0) / rounds.length;
  console.log(
    `checkout POST p99 with ${LOADED_CONNECTIONS} connections searching / alone: ${(p99((r) => r.searched) / p99((r) => r.alone)).toFixed(2)} ` +
      `(${p99((r) => r.searched).toFixed(1)} / ${p99((r) => r.alone).toFixed(1)} ms; goal within 1.5x)\n`,
  );
}

// --- product by id, cached, against bare Fastify ------------------------------------------------
if (runs('by-id')) await byIdPart();
async function byIdPart() {
  const someProduct = (await json(`${base}/v1/search?q=kettle&limit=1`)).items[0];
  const productUrl = `${base}/v1/products/${someProduct.id}`;
  const served = await json(productUrl);
  const bare = await startChild(
    [path.join(root, 'dist/bench/support/bare-server.js')],
    {},
    (line) => (line.startsWith('http://') ? line.trim() : null),
    JSON.stringify(served),
  );
  const bareUrl = `${bare.value}/v1/products/${someProduct.id}`;
  const byIdConnections = Number(process.env.BENCH_BY_ID_CONNECTIONS ?? 50);
  const byId = (url: string) => load(url, { connections: byIdConnections, seconds: SECONDS });
  await byId(bareUrl);
  await byId(productUrl);
  const pairs: { bare: Load; orderly: Load }[] = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    // Alternate who goes first: this machine's speed drifts.
    let b: Load, o: Load;
    if (round % 2 === 1) {
      b = await byId(bareUrl);
      o = await byId(productUrl);
    } else {
      o = await byId(productUrl);
      b = await byId(bareUrl);
    }
    pairs.push({ bare: b, orderly: o });
    console.log(row(`round ${round} bare Fastify`, b));
    console.log(row(`round ${round} Orderly by id`, o));
  }
  const mean = (pick: (p: (typeof pairs)[number]) => number) => pairs.reduce((s, p) => s + pick(p), 0) / pairs.length;
  const ratio = mean((p) => p.orderly.rps) / mean((p) => p.bare.rps);
  console.log(
    `product by id (${byIdConnections} connections): bare ${mean((p) => p.bare.rps).toFixed(0)} req/s, Orderly ${mean((p) => p.orderly.rps).toFixed(0)} req/s, ` +
      `ratio ${ratio.toFixed(2)} (goal >= 0.70); per round ${pairs.map((p) => (p.orderly.rps / p.bare.rps).toFixed(2)).join(', ')}\n`,
  );
  bare.child.kill('SIGTERM');
}

// --- listing: page 1 against page 10,000 ----------------------------------------------------------
if (runs('listing')) await listingPart();
async function listingPart() {
  // The cursor of page 10,000 is the id ending page 9,999; read straight from the file, encoded as the API does.
  const sqlite = new SqliteDatabase(path.join(dataDir, 'orderly.db'), { readonly: true });
  const lastOf9999 = sqlite
    .prepare(`select id from catalog_products where status = 'active' order by id desc limit 1 offset ?`)
    .get(9_999 * 20 - 1) as { id: string } | undefined;
  sqlite.close();
  if (!lastOf9999) throw new Error('the catalog has fewer than 200,000 active products; page 10,000 needs them');
  const page1 = `${base}/v1/products?limit=20`;
  const page10k = `${base}/v1/products?limit=20&cursor=${Buffer.from(lastOf9999.id).toString('base64url')}`;
  if ((await json(page10k)).items.length !== 20) throw new Error('page 10,000 is not a full page');
  await measure(page1);
  await measure(page10k);
  const p1 = await measure(page1);
  const p10k = await measure(page10k);
  console.log(row('listing page 1', p1));
  console.log(row('listing page 10,000', p10k));
  console.log(
    `page 10,000 / page 1: throughput ${(p10k.rps / p1.rps).toFixed(2)}, p99 ${(p10k.p99 / Math.max(1, p1.p99)).toFixed(2)} (goal: the same cost)`,
  );
}

orderly.kill('SIGTERM');
