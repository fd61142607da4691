// What bench:cluster prints: each setup's figures, their ratios, and what the CPU per unit of work implies
// for more cores. Every number printed is computed from the run; nothing here is a figure typed in.
import os from 'node:os';
import type { ClosedResult } from './closed-loop.js';

export type Unit = 'byId' | 'listing' | 'order';

export interface Measured {
  label: string;
  byId: ClosedResult;
  listing: ClosedResult;
  checkout: ClosedResult;
  /** Orders of the measured checkout that ended confirmed (the rest cancelled). */
  confirmed: number;
  /** From the first POST to the last of those orders finished. */
  finishedSeconds: number;
  /** CPU ms per request (per placed order for 'order'), per kind of process. */
  cpu: Record<Unit, Record<string, number>>;
  /** The load generator's (the benchmark's own) CPU ms per unit, kept out of every total. */
  client: Record<Unit, number>;
  /** Cores kept busy while the unit ran, by every measured process and the load generator. */
  busy: Record<Unit, number>;
  /** Cores the whole machine kept busy meanwhile, whoever for: more than `busy` is someone else's work. */
  machine: Record<Unit, number>;
}

const CORES = [2, 8, 32];
const sum = (values: Record<string, number>) => Object.values(values).reduce((a, b) => a + b, 0);
const fixed = (v: number, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : '—');
const whole = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '—');
/** Per confirmed order: what every placed order cost, carried by the ones that were confirmed. */
const perOrder = (m: Measured) =>
  Object.fromEntries(Object.entries(m.cpu.order).map(([k, ms]) => [k, (ms * m.checkout.count) / Math.max(1, m.confirmed)]));
const perUnit = (m: Measured, unit: Unit) => (unit === 'order' ? perOrder(m) : m.cpu[unit]);
const ordersRate = (m: Measured) => m.confirmed / m.finishedSeconds;
/** What one fully busy core allows at `ms` per unit; a cost under the 10 ms clock tick of the whole run reads as 0. */
const perCore = (ms: number) => (ms > 0 ? 1000 / ms : Infinity);

function setup(m: Measured, description: string): void {
  console.log(`${m.label}: ${description}`);
  console.log(`  ${''.padEnd(30)} ${'count'.padStart(6)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`);
  const line = (label: string, r: ClosedResult) =>
    console.log(
      `  ${label.padEnd(30)} ${String(r.count).padStart(6)} ${whole(r.rps).padStart(8)} ${fixed(r.p50, 1).padStart(8)} ${fixed(r.p99, 1).padStart(8)}`,
    );
  line('GET /v1/products/{id}', m.byId);
  line('GET /v1/products?category=bench', m.listing);
  line('POST /v1/orders (202)', m.checkout);
  console.log(
    `  confirmed orders: ${m.confirmed} of ${m.checkout.count} in ${fixed(m.finishedSeconds)} s from the first POST to the last finished: ` +
      `${whole(ordersRate(m))} confirmed orders/s`,
  );
  const kinds = Object.keys(m.cpu.order);
  const width = Math.max(8, ...kinds.map((k) => k.length + 1));
  console.log(
    `  ${'CPU ms per'.padEnd(18)}${kinds.map((k) => k.padStart(width)).join('')}${'total'.padStart(8)}${'load gen'.padStart(10)}`,
  );
  for (const [unit, label] of [
    ['byId', 'read by id'],
    ['listing', 'listing read'],
    ['order', 'confirmed order'],
  ] as const) {
    const ms = perUnit(m, unit);
    const client = unit === 'order' ? (m.client.order * m.checkout.count) / Math.max(1, m.confirmed) : m.client[unit];
    console.log(
      `  ${label.padEnd(18)}${kinds.map((k) => fixed(ms[k]!, 3).padStart(width)).join('')}${fixed(sum(ms), 3).padStart(8)}${fixed(client, 3).padStart(10)}`,
    );
  }
  const busy = (unit: Unit) => `${fixed(m.busy[unit])} (machine ${fixed(m.machine[unit])})`;
  console.log(
    `  cores busy, of ${os.availableParallelism()}, by the processes above and the load generator (by the whole machine, others' work included): ` +
      `${busy('byId')} during reads by id, ${busy('listing')} during listings, ${busy('order')} during checkout\n`,
  );
}

function ratios(results: Measured[]): void {
  const pairs = [
    ['cluster', 'single'],
    ['single', 'embedded'],
    ['cluster', 'embedded'],
  ] as const;
  const by = (label: string) => results.find((r) => r.label === label)!;
  console.log(`ratios measured in this run ${pairs.map(([a, b]) => `${a}/${b}`.padStart(18)).join('')}`);
  const rows: [string, (m: Measured) => number][] = [
    ['reads by id /s', (m) => m.byId.rps],
    ['reads by id p99', (m) => m.byId.p99],
    ['listing reads /s', (m) => m.listing.rps],
    ['listing reads p99', (m) => m.listing.p99],
    ['checkout POST /s', (m) => m.checkout.rps],
    ['checkout POST p99', (m) => m.checkout.p99],
    ['confirmed orders /s', ordersRate],
    ['CPU ms per read by id', (m) => sum(m.cpu.byId)],
    ['CPU ms per listing read', (m) => sum(m.cpu.listing)],
    ['CPU ms per order', (m) => sum(perOrder(m))],
  ];
  for (const [label, pick] of rows)
    console.log(`  ${label.padEnd(25)} ${pairs.map(([a, b]) => fixed(pick(by(a)) / pick(by(b))).padStart(18)).join('')}`);
  console.log('  (CPU ratios count every process of the setup; none counts the load generator)\n');
}

function capacity(results: Measured[]): void {
  console.log('capacity: the straight line, N cores × 1000 ÷ total CPU ms per unit (every process of the setup, load generator excluded)');
  console.log(`  ${'setup'.padEnd(10)}${'unit'.padEnd(18)}${'ms/unit'.padStart(9)}${CORES.map((n) => `${n} cores`.padStart(12)).join('')}`);
  for (const m of results) {
    for (const [unit, label] of [
      ['byId', 'read by id'],
      ['listing', 'listing read'],
      ['order', 'confirmed order'],
    ] as const) {
      const total = sum(perUnit(m, unit));
      console.log(
        `  ${(unit === 'byId' ? m.label : '').padEnd(10)}${label.padEnd(18)}${fixed(total, 3).padStart(9)}${CORES.map((n) => `${whole(n * perCore(total))}/s`.padStart(12)).join('')}`,
      );
    }
  }
  const cluster = results.find((r) => r.label === 'cluster');
  if (cluster) bends(cluster);
  for (const m of results.filter((r) => r.label !== 'cluster')) {
    const order = sum(perOrder(m));
    const read = sum(m.cpu.byId);
    const own = perOrder(m).orderly ?? order;
    console.log(
      `  ${m.label}: one Orderly process, its JavaScript on one thread: at ${fixed(own, 3)} ms per order and ${fixed(m.cpu.byId.orderly ?? read, 3)} ms per read by id in it, ` +
        `~${whole(perCore(own))} orders/s or ~${whole(perCore(m.cpu.byId.orderly ?? read))} reads/s whatever N (its figure counts all its threads, so the cautious end)` +
        (m.label === 'embedded'
          ? '; SQLite takes writes from that one process only, so more copies are no way out.'
          : '; more copies are the cluster.'),
    );
  }
}

/** What stops the cluster's straight line: the parts that are one of a kind, with their cost per unit measured here. */
function bends(m: Measured): void {
  const order = perOrder(m);
  const total = sum(order);
  const line = (n: number) => n * perCore(total);
  console.log(`\nwhat bends the cluster's line (per confirmed order unless said; ${fixed(total, 3)} ms in all):`);
  const primaryShare = order['pg-primary']! / total;
  console.log(
    `  PostgreSQL primary: ${fixed(order['pg-primary']!, 3)} ms, ${fixed(100 * primaryShare, 0)}% of the order, all on one server: the line needs a primary of ` +
      `${CORES.map((n) => `${fixed(n * primaryShare, 1)} cores at ${n}`).join(', ')} (${whole(line(32))} orders/s at 32), CPU only: waits on its WAL and on the shop's 20 hot stock rows come on top, unmeasured here.`,
  );
  console.log(
    `  reads: by id ${fixed(m.cpu.byId['pg-primary']!, 3)} ms primary + ${fixed(m.cpu.byId['pg-replica']!, 3)} ms replica, listing ${fixed(m.cpu.listing['pg-primary']!, 3)} + ` +
      `${fixed(m.cpu.listing['pg-replica']!, 3)} ms: what lands on the replica scales with more replicas, what lands on the primary does not.`,
  );
  const redis = { order: order.redis!, byId: m.cpu.byId.redis!, listing: m.cpu.listing.redis! };
  console.log(
    `  Redis, one thread: ${fixed(redis.order, 3)} ms per order, ${fixed(redis.byId, 3)} per read by id, ${fixed(redis.listing, 3)} per listing: one core at ` +
      `~${whole(perCore(redis.order))} orders/s or ~${whole(perCore(redis.byId))} reads by id/s (— : under the clock tick over the whole run).`,
  );
  const [w1, w2] = [order['worker-1']!, order['worker-2']!];
  const relay = Math.abs(w1 - w2);
  console.log(
    `  the outbox relay, one worker at a time (an advisory lock): worker-1 ${fixed(w1, 3)} ms, worker-2 ${fixed(w2, 3)} ms; the difference, ~${fixed(relay, 3)} ms, ` +
      `estimates what the lock holder does that another worker would not share: one event loop at ~${whole(perCore(relay))} orders/s, however many workers.`,
  );
  const haproxy = m.cpu.byId.haproxy!;
  console.log(
    `  HAProxy: ${fixed(haproxy, 3)} ms per read by id, ${fixed(order.haproxy!, 3)} per order: ${CORES.map((n) => `${fixed((n * perCore(sum(m.cpu.byId)) * haproxy) / 1000, 2)} cores at ${n}`).join(', ')} on the reads-by-id line.`,
  );
  const ceilings = [
    ['Redis (one thread)', perCore(redis.order)],
    ['the relay (one event loop)', perCore(relay)],
    ['a 32-core primary alone', 32 * perCore(order['pg-primary']!)],
  ] as const;
  const first = [...ceilings].sort((a, b) => a[1] - b[1])[0]!;
  const under = CORES.filter((n) => first[1] < line(n));
  console.log(
    `  lowest of those ceilings: ${first[0]} at ~${whole(first[1])} orders/s; the straight line passes it ${under.length > 0 ? `by ${under[0]} cores (${whole(line(under[0]!))}/s)` : `at ~${whole(first[1] / perCore(total))} cores, beyond 32`}.`,
  );
  console.log(
    `  api and worker processes are copies: on this line they are added, not a limit (api ${fixed(order.api!, 3)} ms, workers ${fixed(w1 + w2, 3)} ms per order).`,
  );
}

export const report = { setup, ratios, capacity };
