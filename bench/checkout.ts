// npm run bench:checkout — orders end to end (POST /v1/orders → confirmed) on the embedded default
// (one process, SQLite, in-process bus, sandbox provider). Prints:
//  1. sustained throughput, first with every saga step a message and each message applied alone
//     (ORDERLY_SAGA_INLINE_STOCK=false, ORDERLY_MESSAGE_BATCH=1: checkout before its redesign), then with the
//     stock steps in the saga's transactions but messages still alone, then as Orderly runs by default (set-based
//     batches too): POSTs as fast as 32 connections go, confirmed orders/s while the load runs, and how long
//     the backlog takes to drain after it stops;
//  2. POST latency p50/p99 at 500 orders/s paced evenly (bench/paced.ts), against a bare Fastify POST route at the same rate
//     in the same run, and POST → confirmed latency from Orderly's own histogram;
//  3. the same latencies at a rate the saga keeps up with (BENCH_SUSTAINABLE_RATE, default 50/s).
import path from 'node:path';
import autocannon from 'autocannon';
import { histogramQuantile, ordersCompleted, sample, scrape } from './support/metrics.js';
import { paced, quantile } from './support/paced.js';
import { benchEnv, openShop, orders } from './support/shop.js';
import { freePort, root, startChild, startServer, tempDir } from './support/support.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const RATE = Number(process.env.BENCH_RATE ?? 500);
const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];

/** An Orderly of its own on a fresh data directory, with `settings` over the benchmark's environment. */
async function launch(settings: Record<string, string> = {}) {
  const dataDir = tempDir('orderly-bench-checkout-');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = await startServer(
    [...profile, path.join(root, 'bin/orderly.js'), 'start'],
    {
      ...benchEnv(dataDir, port),
      ...settings,
    },
    `${base}/healthz`,
    path.join(dataDir, 'orderly.log'),
  );
  // Whatever happens to the benchmark, the server it started goes with it.
  process.once('exit', () => child.kill('SIGKILL'));
  const order = orders(await openShop(base));
  return { base, child, order, placed: 0 };
}
type Shop = Awaited<ReturnType<typeof launch>>;

async function run(shop: Shop, url: string, options: { connections: number; seconds: number; rate?: number }) {
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.seconds,
    ...(options.rate ? { overallRate: options.rate } : {}),
    requests: [{ setupRequest: (request: any) => Object.assign(request, shop.order()) }],
  });
  if (url.startsWith(shop.base)) shop.placed += result['2xx'];
  return result;
}

/**
 * Waits until every order accepted so far is confirmed or cancelled. Not for the whole message backlog:
 * the confirmation emails to the bench's 40 customers rightly wait out their per-user rate limit.
 */
const drain = (shop: Shop) => ordersCompleted(shop.base, shop.placed);

const confirmed = (text: string) => sample(text, 'orderly_orders_completed_total', { outcome: 'confirmed' });

/** 1. POSTs as fast as 32 connections go; confirmed orders/s while loaded and end to end, with the drain. */
async function sustained(shop: Shop, label: string) {
  const { base } = shop;
  await run(shop, `${base}/v1/orders`, { connections: 8, seconds: 3 }); // warm-up
  await drain(shop);
  const t0 = await scrape(base);
  const started = Date.now();
  const samples: { at: number; confirmed: number }[] = [];
  const sampler = setInterval(() => void scrape(base).then((t) => samples.push({ at: Date.now(), confirmed: confirmed(t) })), 1000);
  const burst = await run(shop, `${base}/v1/orders`, { connections: 32, seconds: SECONDS });
  clearInterval(sampler);
  const loadSeconds = (Date.now() - started) / 1000;
  const drainSeconds = await drain(shop);
  const t1 = await scrape(base);
  const accepted = burst['2xx'];
  const done = confirmed(t1) - confirmed(t0);
  // Steady state: the confirmation rate between the 3rd second and the end of the load.
  const steady = samples.filter((s) => s.at - started >= 3000);
  const steadyRate =
    steady.length >= 2
      ? (steady[steady.length - 1]!.confirmed - steady[0]!.confirmed) / ((steady[steady.length - 1]!.at - steady[0]!.at) / 1000)
      : NaN;
  const endToEnd = done / (loadSeconds + drainSeconds);
  console.log(`   ${label}:`);
  console.log(
    `     POST accepted ${accepted} (${(accepted / loadSeconds).toFixed(0)}/s), refused ${burst.non2xx}, errors ${burst.errors}, POST p50 ${burst.latency.p50} ms, p99 ${burst.latency.p99} ms`,
  );
  console.log(
    `     confirmed while loaded: ${steadyRate.toFixed(0)} orders/s (steady window); backlog drained ${drainSeconds.toFixed(1)} s after the load stopped`,
  );
  console.log(
    `     end to end: ${done} confirmed in ${(loadSeconds + drainSeconds).toFixed(1)} s = ${endToEnd.toFixed(0)} confirmed orders/s (goal >= 1000)`,
  );
  console.log(
    `     POST → confirmed: p50 ${(histogramQuantile(t0, t1, 'orderly_order_completion_seconds', { outcome: 'confirmed' }, 0.5) * 1000).toFixed(0)} ms, p99 ${(histogramQuantile(t0, t1, 'orderly_order_completion_seconds', { outcome: 'confirmed' }, 0.99) * 1000).toFixed(0)} ms`,
  );
  return endToEnd;
}

console.log(`\n1. sustained throughput: 32 connections, ${SECONDS} s, before and after in this run`);
const before = await launch({ ORDERLY_SAGA_INLINE_STOCK: 'false', ORDERLY_MESSAGE_BATCH: '1' });
const wasRate = await sustained(before, 'every saga step a message, each applied alone (before the redesign)');
before.child.kill('SIGTERM');
const inline = await launch({ ORDERLY_MESSAGE_BATCH: '1' });
const inlineRate = await sustained(inline, 'stock steps in the saga’s own transactions, each message applied alone');
inline.child.kill('SIGTERM');
const shop = await launch();
const base = shop.base;
const nowRate = await sustained(shop, 'and set-based batches of messages (the default)');
console.log(
  `   ratio end to end, after / before: ${(nowRate / wasRate).toFixed(2)} (stock inline alone: ${(inlineRate / wasRate).toFixed(2)}; batches over stock inline: ${(nowRate / inlineRate).toFixed(2)})`,
);

/** Orders paced evenly at `rate`/s (see paced.ts), latency counted from when each was due. */
async function pace(target: string, rate: number) {
  const result = await paced(target, { rate, seconds: SECONDS, request: shop.order });
  if (target === base) shop.placed += result.ok;
  return { ...result, p50: Math.round(quantile(result.latencies, 0.5)), p99: Math.round(quantile(result.latencies, 0.99)) };
}

console.log(`\n2. latency at a fixed ${RATE} orders/s, ${SECONDS} s, against a bare Fastify POST route at the same rate`);
const bare = await startChild([path.join(root, 'dist/bench/support/bare-post-server.js')], {}, (line) =>
  line.startsWith('http://') ? line.trim() : null,
);
const bareRun = await pace(bare.value, RATE);
const t2 = await scrape(base);
const atRate = await pace(base, RATE);
await drain(shop);
const t3 = await scrape(base);
console.log(`   bare Fastify POST: ${bareRun.rps.toFixed(0)} req/s, p50 ${bareRun.p50} ms, p99 ${bareRun.p99} ms`);
console.log(
  `   Orderly POST:      ${atRate.rps.toFixed(0)} req/s, p50 ${atRate.p50} ms, p99 ${atRate.p99} ms (goal p99 < 50 ms), non-2xx ${atRate.non2xx}, errors ${atRate.errors}`,
);
console.log(`   ratio of p99 Orderly / bare: ${(atRate.p99 / Math.max(1, bareRun.p99)).toFixed(1)}`);
console.log(
  `   POST → confirmed at ${RATE}/s: p50 ${(histogramQuantile(t2, t3, 'orderly_order_completion_seconds', { outcome: 'confirmed' }, 0.5) * 1000).toFixed(0)} ms, p99 ${(histogramQuantile(t2, t3, 'orderly_order_completion_seconds', { outcome: 'confirmed' }, 0.99) * 1000).toFixed(0)} ms`,
);

const SUSTAINABLE = Number(process.env.BENCH_SUSTAINABLE_RATE ?? 50);
console.log(`\n3. latency at ${SUSTAINABLE} orders/s, a rate the saga keeps up with, ${SECONDS} s`);
const t4 = await scrape(base);
const calm = await pace(base, SUSTAINABLE);
const calmDrain = await drain(shop);
const t5 = await scrape(base);
console.log(
  `   Orderly POST: ${calm.rps.toFixed(0)} req/s, p50 ${calm.p50} ms, p99 ${calm.p99} ms; backlog drained ${calmDrain.toFixed(1)} s after`,
);
console.log(
  `   POST → confirmed: p50 ${(histogramQuantile(t4, t5, 'orderly_order_completion_seconds', { outcome: 'confirmed' }, 0.5) * 1000).toFixed(0)} ms, p99 ${(histogramQuantile(t4, t5, 'orderly_order_completion_seconds', { outcome: 'confirmed' }, 0.99) * 1000).toFixed(0)} ms`,
);

bare.child.kill('SIGTERM');
shop.child.kill('SIGTERM');
