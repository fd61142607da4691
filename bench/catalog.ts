// npm run bench:catalog — GET /v1/products/{id} on one Orderly process (embedded SQLite) against a
// bare Fastify route answering the same bytes, both loaded by autocannon with the same settings in
// the same run. Prints requests/s, p50 and p99 for both, and the ratio. Goal: >= 0.6 of the bare route.
import path from 'node:path';
import { freePort, load, root, row, startChild, startServer, tempDir, type Load } from './support/support.js';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const admin = { email: 'bench@orderly.test', password: 'bench-password-1' };

async function json(url: string, init: RequestInit = {}): Promise<any> {
  const res = await fetch(url, { ...init, headers: { 'content-type': 'application/json', ...(init.headers ?? {}) } });
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

const dataDir = tempDir('orderly-bench-');
const env = {
  HOST: '127.0.0.1',
  ORDERLY_DATA_DIR: dataDir,
  ORDERLY_ADMIN_EMAIL: admin.email,
  ORDERLY_ADMIN_PASSWORD: admin.password,
  // Measure the system, not the limiter.
  ORDERLY_RATE_LIMITS: 'off',
};
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const orderly = await startServer(
  [path.join(root, 'bin/orderly.js'), 'start'],
  { ...env, PORT: String(port) },
  `${base}/healthz`,
  path.join(dataDir, 'orderly.log'),
);

const { token } = await json(`${base}/v1/auth/login`, { method: 'POST', body: JSON.stringify(admin) });
const product = await json(`${base}/v1/products`, {
  method: 'POST',
  headers: { authorization: `Bearer ${token}` },
  body: JSON.stringify({
    title: 'Pour-over kettle',
    description: 'Gooseneck kettle with a thermometer, 1 litre, for slow and even pours.',
    category: 'kitchen',
    attributes: { material: 'steel', capacityMl: 1000, induction: true },
    variants: ['black', 'copper', 'white'].map((color, i) => ({
      sku: `KETTLE-${color.toUpperCase()}`,
      title: color,
      price: { amount: 4500 + i * 500, currency: 'USD' },
      attributes: { color },
      stock: 100,
    })),
  }),
});
const productUrl = `${base}/v1/products/${product.id}`;
const served = await json(productUrl);

// A second process on the same SQLite file with the in-process read cache off: every request reads the database.
const uncachedPort = await freePort();
const uncached = await startServer(
  [path.join(root, 'bin/orderly.js'), 'start'],
  { ...env, PORT: String(uncachedPort), ORDERLY_READ_CACHE_TTL_MS: '0' },
  `http://127.0.0.1:${uncachedPort}/healthz`,
  path.join(dataDir, 'orderly-uncached.log'),
);
const uncachedUrl = `http://127.0.0.1:${uncachedPort}/v1/products/${product.id}`;

const bare = await startChild(
  [path.join(root, 'dist/bench/support/bare-server.js')],
  {},
  (line) => (line.startsWith('http://') ? line.trim() : null),
  JSON.stringify(served),
);
const bareUrl = `${bare.value}/v1/products/${product.id}`;

console.log(`GET /v1/products/{id}: ${CONNECTIONS} connections, ${SECONDS} s per run, ${ROUNDS} rounds, after a 3 s warm-up each\n`);
await load(bareUrl, { connections: CONNECTIONS, seconds: 3 });
await load(productUrl, { connections: CONNECTIONS, seconds: 3 });

await load(uncachedUrl, { connections: CONNECTIONS, seconds: 3 });

const results: { bare: Load; orderly: Load; uncached: Load }[] = [];
for (let round = 1; round <= ROUNDS; round += 1) {
  // Alternate the order each round: this machine's speed drifts, and whoever runs first should not always win.
  const measure = (url: string) => load(url, { connections: CONNECTIONS, seconds: SECONDS });
  let b: Load, o: Load, u: Load;
  if (round % 2 === 1) {
    b = await measure(bareUrl);
    o = await measure(productUrl);
    u = await measure(uncachedUrl);
  } else {
    u = await measure(uncachedUrl);
    o = await measure(productUrl);
    b = await measure(bareUrl);
  }
  results.push({ bare: b, orderly: o, uncached: u });
  console.log(row(`round ${round} bare Fastify`, b));
  console.log(row(`round ${round} Orderly`, o));
  console.log(row(`round ${round} Orderly, cache off`, u));
  console.log(`round ${round} ratio Orderly / bare: ${(o.rps / b.rps).toFixed(2)}`);
}

const total = (pick: (r: (typeof results)[number]) => number) => results.reduce((s, r) => s + pick(r), 0) / results.length;
const bareRps = total((r) => r.bare.rps);
const orderlyRps = total((r) => r.orderly.rps);
console.log(
  `\nmean over rounds: bare ${bareRps.toFixed(0)} req/s (p99 ${total((r) => r.bare.p99).toFixed(1)} ms), Orderly ${orderlyRps.toFixed(0)} req/s (p99 ${total((r) => r.orderly.p99).toFixed(1)} ms)`,
);
const uncachedRps = total((r) => r.uncached.rps);
console.log(`Orderly with the read cache off: ${uncachedRps.toFixed(0)} req/s (p99 ${total((r) => r.uncached.p99).toFixed(1)} ms)`);
console.log(
  `ratio Orderly / bare Fastify: ${(orderlyRps / bareRps).toFixed(2)} (goal >= 0.60); with the read cache off: ${(uncachedRps / bareRps).toFixed(2)}`,
);

orderly.kill('SIGTERM');
uncached.kill('SIGTERM');
bare.child.kill('SIGTERM');
