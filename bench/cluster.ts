// npm run bench:cluster — the same shop in three shapes, measured in one run: the cluster of
// scripts/cluster.sh (HAProxy in front of 2 api processes, 2 worker processes, a PostgreSQL primary and
// streaming replica, Redis, NATS JetStream); one `orderly start` process on that same PostgreSQL, Redis and
// NATS; and the embedded default (one process, SQLite). For each: product reads by id and a category
// listing, and checkout (requests/s, p50/p99 of the POST, confirmed orders/s end to end), with the CPU time
// each kind of process spent per read and per confirmed order (from /proc). This machine has 2 cores and
// shares them with the load generator: the cost per unit of work, not the rate, is what carries to N cores.
// BENCH_READS (2000 of each kind), BENCH_ORDERS (800) and BENCH_CONNECTIONS (32) set the amounts.
import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { closedLoop, type ClosedResult } from './support/closed-loop.js';
import { report, type Measured, type Unit } from './support/cluster-report.js';
import { cpuMeter, familyOf } from './support/cpu.js';
import { metricsProgress, type Progress, sqlProgress, untilFinished } from './support/order-progress.js';
import { benchAdmin, json, openShop, orders } from './support/shop.js';
import { freePort, root, startServer, tempDir } from './support/support.js';

const READS = Number(process.env.BENCH_READS ?? 2000);
const ORDERS = Number(process.env.BENCH_ORDERS ?? 800);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const WARM = 100;
const bin = path.join(root, 'bin/orderly.js');
const clusterScript = path.join(root, 'scripts/cluster.sh');
const orderlyEnv = {
  ORDERLY_ADMIN_EMAIL: benchAdmin.email,
  ORDERLY_ADMIN_PASSWORD: benchAdmin.password,
  // One load generator on one address would otherwise measure 429s and 503s.
  ORDERLY_RATE_LIMITS: 'off',
  ORDERLY_LOAD_SHEDDING: 'false',
  ORDERLY_DEMO: 'false',
  LOG_LEVEL: 'warn',
};

interface Cluster {
  url: string;
  env: { DATABASE_URL: string; DATABASE_REPLICA_URL: string; REDIS_URL: string; NATS_URL: string };
  processes: Record<string, number>;
}

/** CPU ms the whole machine spent (all cores, every process, ours or not), from /proc/stat. */
function machineMs(): number {
  const [, ...ticks] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = ticks;
  return (user + nice + system + irq + softirq + steal) * 10;
}

/** Reads by id, listings and checkout against `base`, each after a warm-up, with the CPU every kind of process spent. */
async function measure(label: string, base: string, kinds: Record<string, () => number[]>, progress: Progress): Promise<Measured> {
  const shop = await openShop(base);
  const listingPath = '/v1/products?category=bench';
  // The cluster lists from its replica: wait until the new products have reached it.
  let ids: string[] = [];
  for (let tries = 0; ids.length < 20; tries += 1) {
    if (tries > 100) throw new Error(`${label}: the listing shows ${ids.length} of 20 products after 10 s`);
    if (tries > 0) await new Promise((r) => setTimeout(r, 100));
    ids = (await json(`${base}${listingPath}`)).items.map((p: { id: string }) => p.id);
  }
  let n = 0;
  const byId = () => ({ method: 'GET', path: `/v1/products/${ids[n++ % ids.length]}` });
  const listing = () => ({ method: 'GET', path: listingPath });
  const order = orders(shop);
  const run = (count: number, expect: number, request: typeof byId) =>
    closedLoop(base, { count, connections: CONNECTIONS, expect, request });

  await run(WARM, 200, byId);
  await run(WARM, 200, listing);
  const finishedBefore = await progress.finished();
  await run(WARM, 202, order);
  await untilFinished(progress, finishedBefore + WARM);

  const meter = cpuMeter(kinds);
  const cpu = {} as Measured['cpu'];
  const client = {} as Measured['client'];
  const busy = {} as Measured['busy'];
  const machine = {} as Measured['machine'];
  const timed = async (unit: Unit, count: number, work: () => Promise<ClosedResult>): Promise<ClosedResult> => {
    meter.start();
    const machineBefore = machineMs();
    const clientBefore = process.cpuUsage();
    const started = performance.now();
    const result = await work();
    const wallMs = performance.now() - started;
    const spent = meter.stop();
    const used = process.cpuUsage(clientBefore);
    machine[unit] = (machineMs() - machineBefore) / wallMs;
    const clientMs = (used.user + used.system) / 1000;
    cpu[unit] = Object.fromEntries(Object.entries(spent).map(([kind, ms]) => [kind, ms / count]));
    client[unit] = clientMs / count;
    busy[unit] = (Object.values(spent).reduce((a, b) => a + b, 0) + clientMs) / wallMs;
    return result;
  };
  const byIdResult = await timed('byId', READS, () => run(READS, 200, byId));
  const listingResult = await timed('listing', READS, () => run(READS, 200, listing));
  const confirmedBefore = await progress.confirmed();
  const finishedAt = await progress.finished();
  let finishedSeconds = 0;
  const checkout = await timed('order', ORDERS, async () => {
    const started = performance.now();
    const posted = await run(ORDERS, 202, order);
    await untilFinished(progress, finishedAt + ORDERS);
    finishedSeconds = (performance.now() - started) / 1000;
    return posted;
  });
  const confirmed = (await progress.confirmed()) - confirmedBefore;
  return { label, byId: byIdResult, listing: listingResult, checkout, confirmed, finishedSeconds, cpu, client, busy, machine };
}

function startCluster(dir: string): Cluster {
  const started = spawnSync(clusterScript, ['start', dir], {
    env: { ...process.env, ...orderlyEnv },
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (started.status !== 0) throw new Error(`scripts/cluster.sh start exited with ${started.status}`);
  return JSON.parse(started.stdout.trim().split('\n').at(-1)!) as Cluster;
}

/** Stops parts of the cluster by pid, and forgets their pid files so `cluster.sh stop` cannot hit a reused pid. */
async function stopParts(dir: string, cluster: Cluster, parts: string[]): Promise<void> {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (const part of parts) {
    const pid = cluster.processes[part]!;
    if (alive(pid)) process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && alive(pid); i += 1) await new Promise((r) => setTimeout(r, 100));
    if (alive(pid)) process.kill(pid, 'SIGKILL');
    fs.rmSync(path.join(dir, 'pids', part), { force: true });
  }
}

/** A new database on the cluster's primary, migrated, and its URLs on the primary and on the replica. */
async function freshDatabase(cluster: Cluster, dataDir: string): Promise<{ url: string; replicaUrl: string }> {
  const name = `bench_single_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: cluster.env.DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const on = (server: string) => Object.assign(new URL(server), { pathname: `/${name}` }).toString();
  const url = on(cluster.env.DATABASE_URL);
  const migrated = spawnSync(process.execPath, [bin, 'migrate'], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: url, ORDERLY_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (migrated.status !== 0) throw new Error(`orderly migrate exited with ${migrated.status}`);
  return { url, replicaUrl: on(cluster.env.DATABASE_REPLICA_URL) };
}

async function startOrderly(env: Record<string, string>, dataDir: string): Promise<{ base: string; child: ChildProcess }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = await startServer(
    [bin, 'start'],
    { ...orderlyEnv, ...env, HOST: '127.0.0.1', PORT: String(port), ORDERLY_ROLE: 'all', ORDERLY_DATA_DIR: dataDir },
    `${base}/readyz`,
    path.join(dataDir, 'orderly.log'),
  );
  return { base, child };
}

async function stop(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

console.log(
  `${READS} reads by id, ${READS} listing reads, ${ORDERS} orders per setup, ${CONNECTIONS} connections, after ${WARM} of each to warm up; ` +
    `CPU from /proc; ${os.availableParallelism()} cores, shared with the load generator; load average ${os.loadavg()[0]!.toFixed(1)} at the start\n`,
);
const clusterDir = tempDir('orderly-bench-cluster-');
const singleDir = tempDir('orderly-bench-single-');
const embeddedDir = tempDir('orderly-bench-embedded-');
let single: ChildProcess | null = null;
let embedded: ChildProcess | null = null;
const results: Measured[] = [];
try {
  const cluster = startCluster(clusterDir);
  const p = cluster.processes;
  const pids =
    (...parts: string[]) =>
    () =>
      parts.map((part) => p[part]!);
  const shared = {
    'pg-primary': () => familyOf(p['postgres-primary']!),
    'pg-replica': () => familyOf(p['postgres-replica']!),
    nats: pids('nats'),
    redis: pids('redis'),
  };
  const clusterProgress = sqlProgress(cluster.env.DATABASE_URL);
  const clusterKinds = {
    api: pids('api-1', 'api-2'),
    'worker-1': pids('worker-1'),
    'worker-2': pids('worker-2'),
    haproxy: pids('haproxy'),
    ...shared,
  };
  results.push(await measure('cluster', cluster.url, clusterKinds, clusterProgress));
  await clusterProgress.close();
  report.setup(results.at(-1)!, 'HAProxy → 2 api + 2 worker processes; PostgreSQL primary + streaming replica, Redis, NATS JetStream');
  await stopParts(clusterDir, cluster, ['haproxy', 'api-1', 'api-2', 'worker-1', 'worker-2']);

  const database = await freshDatabase(cluster, singleDir);
  const started = await startOrderly(
    {
      DATABASE_URL: database.url,
      DATABASE_REPLICA_URL: database.replicaUrl,
      REDIS_URL: cluster.env.REDIS_URL,
      NATS_URL: cluster.env.NATS_URL,
      // Its own stream, so nothing the cluster left in the shared NATS server reaches it.
      ORDERLY_NATS_STREAM: 'BENCH_SINGLE',
    },
    singleDir,
  );
  single = started.child;
  const singleProgress = sqlProgress(database.url);
  results.push(await measure('single', started.base, { orderly: () => [single!.pid!], ...shared }, singleProgress));
  await singleProgress.close();
  report.setup(
    results.at(-1)!,
    'one `orderly start` (ORDERLY_ROLE=all), fresh database on the same primary + replica, same Redis, NATS JetStream',
  );
  await stop(single);

  const embeddedStarted = await startOrderly({}, embeddedDir);
  embedded = embeddedStarted.child;
  results.push(await measure('embedded', embeddedStarted.base, { orderly: () => [embedded!.pid!] }, metricsProgress(embeddedStarted.base)));
  report.setup(results.at(-1)!, 'the default: one process, SQLite in ORDERLY_DATA_DIR, its own queue');
  await stop(embedded);

  report.ratios(results);
  report.capacity(results);
} finally {
  await stop(single);
  await stop(embedded);
  spawnSync(clusterScript, ['stop', clusterDir], { stdio: ['ignore', 'ignore', 'inherit'] });
  for (const dir of [clusterDir, singleDir, embeddedDir]) fs.rmSync(dir, { recursive: true, force: true });
}
