// npm run bench:webhooks — event-to-delivery latency of webhooks to real loopback receivers (in this
// process) from an `orderly start` child on the embedded default.
// Part 1: a sustained 2,000 deliveries/s (product updates paced evenly at BENCH_EVENT_RATE/s, each to BENCH_ENDPOINTS
// endpoints) → p50/p99 from the event's commit to its arrival (goal p99 < 250 ms).
// Part 2: a fast endpoint's p99 alone, then while 10,000 deliveries are in flight at once against slow
// (2 s) endpoints (goal p99 < 250 ms), with the peak in flight seen by the receiver and by Orderly.
// Two shapes of it: sustained, 200 endpoints × 25 events/s for 5 s (5,000 new deliveries a second, each held
// 2 s, so 10,000 in flight from 2 s on if the sender opens 5,000 connections a second beside everything else on
// the machine); then a burst, 10,000 deliveries made in about half a second and held 2 s together.
// BENCH_PART=1|2 runs one part.
import http from 'node:http';
import path from 'node:path';
import autocannon from 'autocannon';
import { histogramQuantile, sample, scrape } from './support/metrics.js';
import { paced, quantile } from './support/paced.js';
import { freePort, root, startChild, startServer, tempDir } from './support/support.js';

const EVENT_RATE = Number(process.env.BENCH_EVENT_RATE ?? 50);
const ENDPOINTS = Number(process.env.BENCH_ENDPOINTS ?? 40);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const WARMUP_SECONDS = 3;
const SLOW_ENDPOINTS = 200;
const SLOW_EVENT_RATE = 25;
const SLOW_SECONDS = 5;
const BURST_EVENTS = 50;
const SLOW_MS = 2_000;
const admin = { email: 'bench@orderly.test', password: 'bench-password-1' };

interface Arrival {
  path: string;
  at: number;
  occurredAt: number;
}

/** The fast receivers: every request is timed against the event's own timestamp. */
async function startReceivers() {
  const arrivals: Arrival[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request
      .setEncoding('utf8')
      .on('data', (c: string) => (body += c))
      .on('end', () => {
        arrivals.push({
          path: request.url ?? '',
          at: Date.now(),
          occurredAt: Date.parse((JSON.parse(body) as { timestamp: string }).timestamp),
        });
        response.writeHead(204).end();
      });
  });
  server.keepAliveTimeout = 120_000;
  server.maxConnections = 50_000;
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', 1024, resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    arrivals,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

const latencies = (arrivals: Arrival[]) => arrivals.map((a) => a.at - a.occurredAt);
const ms = (v: number) => `${Math.round(v)} ms`;

async function json(url: string, init: RequestInit & { token?: string } = {}): Promise<any> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
  };
  const res = await fetch(url, { ...init, headers });
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? null : res.json();
}

const receivers = await startReceivers();
const slowPort = await freePort();
const slow = await startChild(
  [path.join(root, 'dist/bench/support/slow-receiver.js')],
  { PORT: String(slowPort), SLOW_MS: String(SLOW_MS) },
  (line) => (line.includes('listening') ? line : null),
);
const slowUrl = `http://127.0.0.1:${slowPort}`;
const dataDir = tempDir('orderly-bench-webhooks-');
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
const orderly = await startServer(
  [...profile, path.join(root, 'bin/orderly.js'), 'start'],
  {
    PORT: String(port),
    HOST: '127.0.0.1',
    ORDERLY_DATA_DIR: dataDir,
    ORDERLY_ADMIN_EMAIL: admin.email,
    ORDERLY_ADMIN_PASSWORD: admin.password,
    ORDERLY_RATE_LIMITS: 'off',
    ORDERLY_LOAD_SHEDDING: 'false',
    ORDERLY_WEBHOOK_ALLOW_PRIVATE: 'true',
    LOG_LEVEL: 'warn',
  },
  `${base}/healthz`,
  path.join(dataDir, 'orderly.log'),
);

try {
  const { token } = await json(`${base}/v1/auth/login`, { method: 'POST', body: JSON.stringify(admin) });
  const products: string[] = [];
  for (let i = 0; i < 50; i += 1) {
    const p = await json(`${base}/v1/products`, {
      method: 'POST',
      token,
      body: JSON.stringify({
        title: `Hooked ${i}`,
        category: 'bench',
        variants: [{ sku: `HOOK-${i}`, price: { amount: 1000, currency: 'USD' }, stock: 10 }],
      }),
    });
    products.push(p.id);
  }
  const endpoint = (url: string, events: string[]) =>
    json(`${base}/v1/webhooks/endpoints`, { method: 'POST', token, body: JSON.stringify({ url, events }) });
  let n = 0;
  const update = (i: number) => ({
    method: 'PATCH',
    path: `/v1/products/${products[i % products.length]}`,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ description: `update ${i}` }),
  });
  // Sustained updates are paced evenly (one every 1/rate s); the flood of part 2 goes as fast as it can.
  const updates = (pace: { rate: number; seconds: number }) => paced(base, { ...pace, request: () => update(n++) });
  const flood = (amount: number) =>
    autocannon({
      url: `${base}/v1/products`,
      connections: 10,
      amount,
      requests: [{ setupRequest: (request: any) => ({ ...request, ...update(n++) }) }],
    });

  // Part 1: sustained fan-out.
  if (process.env.BENCH_PART !== '2') await part1();
  async function part1() {
    const sustained: string[] = [];
    for (let i = 0; i < ENDPOINTS; i += 1) sustained.push((await endpoint(`${receivers.url}/fast/${i}`, ['product.updated'])).id);
    const metricsBefore = await scrape(base);
    const started = Date.now();
    const load = await updates({ rate: EVENT_RATE, seconds: SECONDS });
    const metricsAfter = await scrape(base);
    await new Promise((r) => setTimeout(r, 2_000));
    const windowStart = started + WARMUP_SECONDS * 1000;
    const windowEnd = started + SECONDS * 1000;
    const measured = receivers.arrivals.filter(
      (a) => a.path.startsWith('/fast/') && a.occurredAt >= windowStart && a.occurredAt < windowEnd,
    );
    const expected = load.sent * ENDPOINTS;
    const delivered = receivers.arrivals.filter((a) => a.path.startsWith('/fast/')).length;
    const sustainedLatency = latencies(measured);
    for (const id of sustained) await json(`${base}/v1/webhooks/endpoints/${id}`, { method: 'DELETE', token });

    process.stdout.write(
      [
        '',
        `webhooks: ${ENDPOINTS} endpoints × ${EVENT_RATE} events/s for ${SECONDS} s (first ${WARMUP_SECONDS} s not measured)`,
        `  deliveries: ${delivered} of ${expected} expected, ${(measured.length / (SECONDS - WARMUP_SECONDS)).toFixed(0)} deliveries/s sustained; update PATCH p99 ${Math.round(quantile(load.latencies, 0.99))} ms`,
        `  event → delivery: p50 ${ms(quantile(sustainedLatency, 0.5))}, p99 ${ms(quantile(sustainedLatency, 0.99))}, max ${ms(Math.max(...sustainedLatency))} (goal p99 < 250 ms)`,
        `  of which event → fan-out (bus lag of the webhooks group): p50 ${ms(1000 * histogramQuantile(metricsBefore, metricsAfter, 'orderly_message_lag_seconds', { group: 'webhooks' }, 0.5))}, p99 ${ms(1000 * histogramQuantile(metricsBefore, metricsAfter, 'orderly_message_lag_seconds', { group: 'webhooks' }, 0.99))}`,
        `  of which the HTTP exchange (attempt duration): p50 ${ms(1000 * histogramQuantile(metricsBefore, metricsAfter, 'orderly_webhook_attempt_seconds', {}, 0.5))}, p99 ${ms(1000 * histogramQuantile(metricsBefore, metricsAfter, 'orderly_webhook_attempt_seconds', {}, 0.99))}`,
        `  Orderly CPU: ${(((sample(metricsAfter, 'process_cpu_seconds_total') - sample(metricsBefore, 'process_cpu_seconds_total')) / SECONDS) * 100).toFixed(0)} % of one core`,
      ].join('\n'),
    );
  }
  // Part 2: a fast endpoint alone, then beside 10,000 deliveries in flight to slow receivers.
  if (process.env.BENCH_PART !== '1') await part2();
  async function part2() {
    await endpoint(`${receivers.url}/alone`, ['product.created']);
    let created = 0;
    const creations = (rate: number, seconds: number) =>
      paced(base, {
        rate,
        seconds,
        request: () => {
          created += 1;
          return {
            method: 'POST',
            path: '/v1/products',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({
              title: `Fast ${created}`,
              category: 'bench',
              variants: [{ sku: `FAST-${created}`, price: { amount: 100, currency: 'USD' }, stock: 1 }],
            }),
          };
        },
      });
    const aloneFrom = Date.now();
    await creations(50, 5);
    await new Promise((r) => setTimeout(r, 1_000));
    const alone = latencies(receivers.arrivals.filter((a) => a.path === '/alone' && a.occurredAt >= aloneFrom));

    for (let i = 0; i < SLOW_ENDPOINTS; i += 1) await endpoint(`${slowUrl}/slow/${i}`, ['product.updated']);
    process.stdout.write(
      [
        '',
        `fast endpoint (50 events/s) beside ${SLOW_ENDPOINTS} slow endpoints (${SLOW_MS} ms)`,
        `  fast alone:      p50 ${ms(quantile(alone, 0.5))}, p99 ${ms(quantile(alone, 0.99))} (${alone.length} deliveries)`,
      ].join('\n'),
    );
    // Sustained: slow events paced so that, each held 2 s, 10,000 deliveries are in flight at once from 2 s on.
    await beside(`sustained: ${SLOW_EVENT_RATE} events/s × ${SLOW_ENDPOINTS} slow endpoints for ${SLOW_SECONDS} s`, () =>
      updates({ rate: SLOW_EVENT_RATE, seconds: SLOW_SECONDS }),
    );
    // Burst: 10,000 deliveries made as fast as the updates come, in about half a second, then held 2 s together.
    await beside(`burst: ${BURST_EVENTS} events as fast as they come × ${SLOW_ENDPOINTS} slow endpoints`, () => flood(BURST_EVENTS));

    async function beside(label: string, drive: () => Promise<unknown>) {
      await json(`${slowUrl}/stats/reset`);
      const received = ((await json(`${slowUrl}/stats`)) as { received: number }).received;
      let orderlyPeak = 0;
      const sampler = setInterval(() => {
        // Not more often: a scrape walks every open handle and file descriptor, and 10,000 sockets make that costly.
        void scrape(base).then(
          (text) => (orderlyPeak = Math.max(orderlyPeak, sample(text, 'orderly_webhook_deliveries_active', { state: 'in_flight' }))),
          () => undefined,
        );
      }, 500);
      const from = Date.now();
      const before = await scrape(base);
      const fast = creations(50, SLOW_SECONDS + 3);
      await new Promise((r) => setTimeout(r, 500));
      await drive();
      await fast;
      await new Promise((r) => setTimeout(r, SLOW_MS + 2_000));
      clearInterval(sampler);
      const after = await scrape(base);
      const lag = (q: number) => ms(1000 * histogramQuantile(before, after, 'orderly_message_lag_seconds', { group: 'webhooks' }, q));
      const flooded = latencies(receivers.arrivals.filter((a) => a.path === '/alone' && a.occurredAt >= from));
      const slowStats = (await json(`${slowUrl}/stats`)) as { peak: number; received: number };
      process.stdout.write(
        [
          '',
          `  ${label}`,
          `    slow deliveries made: ${slowStats.received - received}; peak in flight: ${slowStats.peak} seen by the slow receiver, ${orderlyPeak} handed to Orderly's sender (on the wire or waiting for a connection) (goal 10,000)`,
          `    fast beside:     p50 ${ms(quantile(flooded, 0.5))}, p99 ${ms(quantile(flooded, 0.99))} (${flooded.length} deliveries) (goal p99 < 250 ms)`,
          `    of which event → fan-out (bus lag of the webhooks group): p50 ${lag(0.5)}, p99 ${lag(0.99)}`,
          `    ratio beside/alone p99: ${(quantile(flooded, 0.99) / quantile(alone, 0.99)).toFixed(2)}`,
        ].join('\n'),
      );
    }
    process.stdout.write('\n');
  }
} finally {
  orderly.kill('SIGTERM');
  slow.child.kill('SIGTERM');
  receivers.close();
}
