// npm run bench:outage — checkout plus browse load while the payment provider (a real `orderly
// payment-sim` process) is fully down for 10 s. Phases: before (provider up), outage (connections reset),
// after (provider back; browse only, so every order still pending was parked by the outage). Prints catalog
// read latency per phase and the outage/before p99 ratio (goal <= 1.5), orders lost (goal 0), double
// charges at the provider (goal 0), the time from recovery until every parked order is confirmed, and
// `orderly verify` against the simulator's ledger. Breaker settings are the defaults of docs/architecture.md §5.
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import autocannon from 'autocannon';
import { sample, scrape } from './support/metrics.js';
import { freePort, root, startServer, tempDir } from './support/support.js';

const PHASE_SECONDS = Number(process.env.BENCH_PHASE_SECONDS ?? 10);
const CHECKOUT_RATE = Number(process.env.BENCH_CHECKOUT_RATE ?? 50);
const BROWSE_RATE = Number(process.env.BENCH_BROWSE_RATE ?? 300);
const admin = { email: 'bench@orderly.test', password: 'bench-password-1' };

async function json(url: string, init: RequestInit = {}): Promise<any> {
  const res = await fetch(url, { ...init, headers: { 'content-type': 'application/json', ...(init.headers ?? {}) } });
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

const dataDir = tempDir('orderly-bench-outage-');
const simPort = await freePort();
const sim = `http://127.0.0.1:${simPort}`;
const simChild = await startServer(
  [path.join(root, 'bin/orderly.js'), 'payment-sim'],
  { PORT: String(simPort), HOST: '127.0.0.1', ORDERLY_DATA_DIR: path.join(dataDir, 'sim') },
  `${sim}/healthz`,
  path.join(dataDir, 'sim.log'),
);
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const env = {
  PORT: String(port),
  HOST: '127.0.0.1',
  ORDERLY_DATA_DIR: dataDir,
  ORDERLY_ADMIN_EMAIL: admin.email,
  ORDERLY_ADMIN_PASSWORD: admin.password,
  PAYMENT_PROVIDER_URL: sim,
  ORDERLY_RATE_LIMITS: 'off',
};
const orderly = await startServer([path.join(root, 'bin/orderly.js'), 'start'], env, `${base}/healthz`, path.join(dataDir, 'orderly.log'));

const { token: adminToken } = await json(`${base}/v1/auth/login`, { method: 'POST', body: JSON.stringify(admin) });
const products: { id: string; variant: string }[] = [];
for (let i = 0; i < 20; i += 1) {
  const product = await json(`${base}/v1/products`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({
      title: `Outage item ${i}`,
      category: 'bench',
      variants: [{ sku: `OUT-${i}`, price: { amount: 1000 + i, currency: 'USD' }, stock: 1_000_000 }],
    }),
  });
  products.push({ id: product.id, variant: product.variants[0].id });
}
const tokens: string[] = await Promise.all(
  Array.from(
    { length: 20 },
    async (_, i) =>
      (
        await json(`${base}/v1/auth/signup`, {
          method: 'POST',
          body: JSON.stringify({ email: `buyer-${i}@outage.test`, password: 'bench-buyer-1', name: `Buyer ${i}` }),
        })
      ).token,
  ),
);

const accepted: string[] = [];
let n = 0;
function checkout(seconds: number) {
  return autocannon({
    url: `${base}/v1/orders`,
    connections: 16,
    duration: seconds,
    overallRate: CHECKOUT_RATE,
    requests: [
      {
        setupRequest(request: any) {
          n += 1;
          request.method = 'POST';
          request.headers = {
            'content-type': 'application/json',
            authorization: `Bearer ${tokens[n % tokens.length]}`,
            'idempotency-key': randomUUID(),
          };
          request.body = JSON.stringify({
            items: [{ variantId: products[n % products.length]!.variant, quantity: 1 }],
            shippingAddress: { name: 'Bench Buyer', line1: '1 Load St', city: 'Benchville', postalCode: '12345', country: 'US' },
            paymentToken: 'tok_visa',
          });
          return request;
        },
        onResponse(status: number, body: string) {
          if (status === 202) accepted.push(JSON.parse(body).id);
        },
      },
    ],
  });
}

let r = 0;
function browse(seconds: number) {
  return autocannon({
    url: base,
    connections: 16,
    duration: seconds,
    overallRate: BROWSE_RATE,
    requests: [
      {
        setupRequest(request: any) {
          r += 1;
          request.path = `/v1/products/${products[r % products.length]!.id}`;
          return request;
        },
      },
    ],
  });
}

const faults = (body: object) => json(`${sim}/admin/faults`, { method: 'POST', body: JSON.stringify(body) });
const breakerState = async () =>
  (await json(`${base}/v1/admin/breakers`, { headers: { authorization: `Bearer ${adminToken}` } })).items[0].state as string;
const completed = async () => {
  const text = await scrape(base);
  return {
    confirmed: sample(text, 'orderly_orders_completed_total', { outcome: 'confirmed' }),
    cancelled: sample(text, 'orderly_orders_completed_total', { outcome: 'cancelled' }),
  };
};

await Promise.all([checkout(3), browse(3)]); // warm-up
const warm = accepted.length;

console.log(
  `outage benchmark: checkout ${CHECKOUT_RATE}/s + catalog reads ${BROWSE_RATE}/s; ${PHASE_SECONDS} s per phase; provider fully down during the second`,
);
const [beforeCheckout, beforeBrowse] = await Promise.all([checkout(PHASE_SECONDS), browse(PHASE_SECONDS)]);

await faults({ down: true });
const outageStarted = Date.now();
let breakerOpenedAfter = null as number | null;
const watch = setInterval(() => {
  void breakerState().then((s) => {
    if (s === 'open' && breakerOpenedAfter === null) breakerOpenedAfter = (Date.now() - outageStarted) / 1000;
  });
}, 100);
const [outageCheckout, outageBrowse] = await Promise.all([checkout(PHASE_SECONDS), browse(PHASE_SECONDS)]);
clearInterval(watch);
await faults({});
const recovered = Date.now();
// Every order the server created, by status: autocannon drops the answers still in flight when a run
// ends, so the 202s it saw undercount what was accepted.
async function ordersByStatus(): Promise<Map<string, string>> {
  const statuses = new Map<string, string>();
  let cursor: string | null = null;
  do {
    const page: any = await json(`${base}/v1/orders?limit=100${cursor ? `&cursor=${cursor}` : ''}`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    for (const o of page.items) statuses.set(o.id, o.status);
    cursor = page.nextCursor;
  } while (cursor);
  return statuses;
}
const atRecovery = await ordersByStatus();
const created = atRecovery.size;
const pendingAtRecovery = [...atRecovery.values()].filter((s) => s === 'pending').length;

let allDoneAfter: number | null = null;
const afterBrowseRun = browse(PHASE_SECONDS);
while (Date.now() - recovered < 180_000) {
  const done = await completed();
  if (done.confirmed + done.cancelled >= created) {
    allDoneAfter = (Date.now() - recovered) / 1000;
    break;
  }
  await new Promise((res) => setTimeout(res, 100));
}
const afterBrowse = await afterBrowseRun;
const final = await completed();
const finalStatuses = await ordersByStatus();
const stillPending = [...finalStatuses.values()].filter((s) => s === 'pending').length;

const ledger: { kind: string; reference: string; status: string }[] = (await json(`${sim}/v1/ledger`)).entries;
const chargesPerOrder = new Map<string, number>();
for (const e of ledger)
  if (e.kind === 'charge' && e.status === 'succeeded') chargesPerOrder.set(e.reference, (chargesPerOrder.get(e.reference) ?? 0) + 1);
const doubleCharged = [...chargesPerOrder.values()].filter((c) => c > 1).length;
const notCharged = [...finalStatuses].filter(([id, s]) => s === 'confirmed' && !chargesPerOrder.has(id)).length;
const unknownToOrderly = accepted.filter((id) => !finalStatuses.has(id)).length;

orderly.kill('SIGTERM');
await new Promise((res) => orderly.once('exit', res));
const verify = spawnSync(process.execPath, [path.join(root, 'bin/orderly.js'), 'verify'], {
  env: { PATH: process.env.PATH ?? '', ...env, LOG_LEVEL: 'error' },
  encoding: 'utf8',
});
simChild.kill('SIGTERM');

const line = (label: string, c: autocannon.Result) =>
  `${label.padEnd(9)} ${c.requests.average.toFixed(0).padStart(5)}/s  p50 ${String(c.latency.p50).padStart(4)} ms  p99 ${String(c.latency.p99).padStart(4)} ms  non-2xx ${c.non2xx}  errors ${c.errors + c.timeouts}`;
console.log('\ncatalog reads (GET /v1/products/{id})');
console.log(`  ${line('before', beforeBrowse)}`);
console.log(`  ${line('outage', outageBrowse)}`);
console.log(`  ${line('after', afterBrowse)}`);
console.log(`  p99 outage / before: ${(outageBrowse.latency.p99 / Math.max(1, beforeBrowse.latency.p99)).toFixed(2)} (goal <= 1.5)`);
console.log('\ncheckout (POST /v1/orders)');
console.log(`  ${line('before', beforeCheckout)}`);
console.log(`  ${line('outage', outageCheckout)}`);
console.log(
  `\norders created: ${created} (${warm} 202s in warm-up; ${accepted.length} 202s seen by the load generator); pending when the provider came back: ${pendingAtRecovery}`,
);
console.log(`breaker opened ${breakerOpenedAfter === null ? 'never' : `${breakerOpenedAfter.toFixed(1)} s`} into the outage`);
console.log(
  `every parked order confirmed ${allDoneAfter === null ? 'NOT within 180 s' : `${allDoneAfter.toFixed(1)} s`} after recovery (breaker half-open after 30 s, parked charges retried every <= 5 s)`,
);
console.log(`outcomes: ${final.confirmed} confirmed, ${final.cancelled} cancelled`);
console.log(
  `orders lost: ${unknownToOrderly} answered 202 but unknown, ${stillPending} never completed (goal 0 and 0); confirmed without a charge: ${notCharged}`,
);
console.log(`double charges at the provider: ${doubleCharged} (goal 0)`);
console.log(`orderly verify (against the simulator's ledger): exit ${verify.status}\n  ${verify.stdout.trim().split('\n').join('\n  ')}`);
process.exit(0);
