// npm run bench:tracing — what tracing costs checkout: the same load on the embedded default with tracing off,
// and with every span exported over OTLP/HTTP (protobuf) to a local collector, in one run, alternating
// off/on BENCH_ROUNDS times (default 3) so drift in a noisy machine falls on both. Each round prints:
//  - sustained: POSTs from 32 connections for BENCH_SECONDS (default 10), then the drain; confirmed orders/s end to end
//    and the Orderly process's CPU per confirmed order (/proc);
//  - paced: POST p50/p99 at BENCH_RATE orders/s (default 50) for BENCH_PACED_SECONDS (default 20).
// Then the ratios, on/off, of the means. Goal: ≤ 10 % fewer orders/s and ≤ 10 % higher p99.
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import autocannon from 'autocannon';
import { cpuMs } from './support/cpu.js';
import { ordersCompleted } from './support/metrics.js';
import { paced, quantile } from './support/paced.js';
import { benchEnv, openShop, orders } from './support/shop.js';
import { freePort, root, startServer, tempDir } from './support/support.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
// Well below what one process confirms here (about 100/s), so p99 is the request's own, not a queue's.
const RATE = Number(process.env.BENCH_RATE ?? 50);
const PACED_SECONDS = Number(process.env.BENCH_PACED_SECONDS ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** The collector: takes each export and answers 200 at once, counting what it was sent. */
const exported = { requests: 0, bytes: 0 };
const collector = http.createServer((request, response) => {
  request.on('data', (chunk: Buffer) => (exported.bytes += chunk.length));
  request.on('end', () => {
    exported.requests += 1;
    response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
const collectorUrl = `http://127.0.0.1:${(collector.address() as net.AddressInfo).port}`;

interface Round {
  tracing: boolean;
  ordersPerSecond: number;
  /** CPU of the Orderly process per confirmed order, from /proc. */
  cpuPerOrder: number;
  /** The same at the paced rate, where no queue builds up. */
  cpuPerPacedOrder: number;
  p50: number;
  p99: number;
}

async function round(tracing: boolean): Promise<Round> {
  const dataDir = tempDir('orderly-bench-tracing-');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = await startServer(
    [path.join(root, 'bin/orderly.js'), 'start'],
    {
      ...benchEnv(dataDir, port),
      ...(tracing ? { OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' } : {}),
    },
    `${base}/healthz`,
    path.join(dataDir, 'orderly.log'),
  );
  try {
    const order = orders(await openShop(base));
    let placed = 0;
    const burst = async (connections: number, seconds: number) => {
      const result = await autocannon({
        url: `${base}/v1/orders`,
        connections,
        duration: seconds,
        requests: [{ setupRequest: (request: any) => Object.assign(request, order()) }],
      });
      placed += result['2xx'];
    };
    await burst(8, 2);
    await ordersCompleted(base, placed);
    const before = placed;
    const started = Date.now();
    const cpuBefore = cpuMs(server.pid!);
    await burst(32, SECONDS);
    await ordersCompleted(base, placed);
    const ordersPerSecond = (placed - before) / ((Date.now() - started) / 1000);
    const cpuPerOrder = (cpuMs(server.pid!) - cpuBefore) / (placed - before);
    const cpuBeforePaced = cpuMs(server.pid!);
    const calm = await paced(base, { rate: RATE, seconds: PACED_SECONDS, request: order });
    placed += calm.ok;
    await ordersCompleted(base, placed);
    const cpuPerPacedOrder = (cpuMs(server.pid!) - cpuBeforePaced) / calm.ok;
    return {
      tracing,
      ordersPerSecond,
      cpuPerOrder,
      cpuPerPacedOrder,
      p50: quantile(calm.latencies, 0.5),
      p99: quantile(calm.latencies, 0.99),
    };
  } finally {
    server.kill('SIGTERM');
  }
}

const rounds: Round[] = [];
for (let i = 0; i < ROUNDS; i += 1) {
  for (const tracing of [false, true]) {
    const r = await round(tracing);
    rounds.push(r);
    console.log(
      `round ${i + 1}, tracing ${tracing ? 'on ' : 'off'}: ${r.ordersPerSecond.toFixed(0)} confirmed orders/s end to end (32 connections, ${SECONDS} s + drain), ` +
        `${r.cpuPerOrder.toFixed(2)} CPU ms/order; ` +
        `paced ${r.cpuPerPacedOrder.toFixed(2)} CPU ms/order, ` +
        `POST at ${RATE}/s p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms`,
    );
  }
}
const mean = (tracing: boolean, pick: (r: Round) => number) => {
  const of = rounds.filter((r) => r.tracing === tracing).map(pick);
  return of.reduce((a, b) => a + b, 0) / of.length;
};
const rate = mean(true, (r) => r.ordersPerSecond) / mean(false, (r) => r.ordersPerSecond);
const p99 = mean(true, (r) => r.p99) / mean(false, (r) => r.p99);
const cpu = mean(true, (r) => r.cpuPerOrder) / mean(false, (r) => r.cpuPerOrder);
const pacedCpu = mean(true, (r) => r.cpuPerPacedOrder) / mean(false, (r) => r.cpuPerPacedOrder);
console.log(
  `\ntracing on / off: orders/s ×${rate.toFixed(2)} (${((1 - rate) * 100).toFixed(1)} % fewer; goal ≤ 10 %), CPU per order ×${cpu.toFixed(2)} (paced ×${pacedCpu.toFixed(2)}), ` +
    `POST p99 ×${p99.toFixed(2)} (goal ≤ 1.10); the collector took ${exported.requests} exports, ${(exported.bytes / 1e6).toFixed(1)} MB`,
);
collector.close();
