// npm run bench:workers — Orderly with its api in one process and its work in N worker processes, on
// PostgreSQL: with NATS JetStream, and with PostgreSQL's own queue (SKIP LOCKED + NOTIFY), for 1, 2 and 4
// workers, beside the embedded default (one process, SQLite) measured in the same run. For each: confirmed
// orders/s end to end, and CPU milliseconds per confirmed order for each kind of process (api, worker,
// PostgreSQL, NATS; read from /proc), and from those the cores 1,000 and 10,000 orders/s would need.
// This machine has 2 cores: more workers cannot add throughput here; the cost per order plans capacity.
// With the fewest workers, each transport runs three times: every saga step a message and each message applied
// alone (before checkout's redesign), the stock steps in the saga's transactions with messages still alone, and
// as by default (set-based batches too).
import { execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { startNatsServer, type NatsServer } from '../harness/nats-server.js';
import { cpuMeter, familyOf } from './support/cpu.js';
import { metricsProgress, sqlProgress, untilFinished } from './support/order-progress.js';
import { benchAdmin, openShop, orders } from './support/shop.js';
import { freePort, root, startServer, tempDir } from './support/support.js';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 1500);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const WORKERS = (process.env.BENCH_WORKERS ?? '1,2,4').split(',').map(Number);
const pgPort = process.env.BENCH_PGPORT ?? '54329';
const postgresUrl = execFileSync(path.join(root, 'scripts/test-postgres.sh'), ['start'], { env: { ...process.env, PGPORT: pgPort } })
  .toString()
  .trim();
const postmaster = Number(fs.readFileSync(`/tmp/orderly-test-pg-${pgPort}/postmaster.pid`, 'utf8').split('\n')[0]);

interface Setup {
  label: string;
  transport: 'embedded' | 'postgres' | 'nats';
  workers: number;
  /** Settings over the default, for the runs from before the redesign. */
  settings: Record<string, string>;
}

// Before and after for each transport with one worker; the other worker counts as Orderly runs by default.
const before = (setup: Omit<Setup, 'settings'>): Setup[] => [
  {
    ...setup,
    label: `${setup.label}, steps as messages`,
    settings: { ORDERLY_SAGA_INLINE_STOCK: 'false', ORDERLY_MESSAGE_BATCH: '1' },
  },
  { ...setup, label: `${setup.label}, stock inline`, settings: { ORDERLY_MESSAGE_BATCH: '1' } },
  { ...setup, settings: {} },
];
const setups: Setup[] = [
  ...before({ label: 'embedded (SQLite, 1 process)', transport: 'embedded', workers: 0 }),
  ...WORKERS.flatMap((n) => {
    const setup = { label: `PostgreSQL queue, ${n} worker(s)`, transport: 'postgres' as const, workers: n };
    return n === WORKERS[0] ? before(setup) : [{ ...setup, settings: {} }];
  }),
  ...WORKERS.flatMap((n) => {
    const setup = { label: `NATS JetStream, ${n} worker(s)`, transport: 'nats' as const, workers: n };
    return n === WORKERS[0] ? before(setup) : [{ ...setup, settings: {} }];
  }),
];

async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `orderly_bench_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

/** Places `count` orders, `CONNECTIONS` at a time, each answered 202. */
async function place(base: string, next: ReturnType<typeof orders>, count: number): Promise<void> {
  let left = count;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (left > 0) {
        left -= 1;
        const order = next();
        const res = await fetch(`${base}${order.path}`, { method: order.method, headers: order.headers, body: order.body });
        if (res.status !== 202) throw new Error(`order answered ${res.status}: ${await res.text()}`);
      }
    }),
  );
}

async function run(setup: Setup) {
  const dataDir = tempDir('orderly-bench-workers-');
  const database = setup.transport === 'embedded' ? null : await freshDatabase();
  const nats: NatsServer | null = setup.transport === 'nats' ? await startNatsServer() : null;
  const env: Record<string, string> = {
    HOST: '127.0.0.1',
    ORDERLY_DATA_DIR: dataDir,
    ORDERLY_ADMIN_EMAIL: benchAdmin.email,
    ORDERLY_ADMIN_PASSWORD: benchAdmin.password,
    ORDERLY_RATE_LIMITS: 'off',
    ORDERLY_LOAD_SHEDDING: 'false',
    LOG_LEVEL: 'warn',
    ...setup.settings,
    ...(database ? { DATABASE_URL: database.url } : {}),
    ...(nats ? { NATS_URL: nats.url } : {}),
  };
  const children: { kind: string; child: ChildProcess }[] = [];
  const start = async (kind: string, role: string) => {
    const port = await freePort();
    const child = await startServer(
      [path.join(root, 'bin/orderly.js'), 'start'],
      { ...env, PORT: String(port), ORDERLY_ROLE: role },
      `http://127.0.0.1:${port}/healthz`,
      path.join(dataDir, `${kind}-${children.length}.log`),
    );
    children.push({ kind, child });
    return `http://127.0.0.1:${port}`;
  };
  try {
    const base = await start('api', setup.transport === 'embedded' ? 'all' : 'api');
    for (let i = 0; i < setup.workers; i += 1) await start('worker', 'worker');
    const shop = await openShop(base);
    const next = orders(shop);
    const finished = database ? sqlProgress(database.url) : metricsProgress(base);
    const pidsOf = (kind: string) => () => children.filter((c) => c.kind === kind).map((c) => c.child.pid!);
    const meter = cpuMeter({
      api: pidsOf('api'),
      worker: pidsOf('worker'),
      ...(database ? { postgres: () => familyOf(postmaster) } : {}),
      ...(nats ? { nats: () => [nats.pid()!] } : {}),
    });
    // Warm-up, then the measured run.
    await place(base, next, 100);
    await untilFinished(finished, 100, 600_000);
    meter.start();
    const started = Date.now();
    await place(base, next, ORDERS);
    await untilFinished(finished, 100 + ORDERS, 600_000);
    const seconds = (Date.now() - started) / 1000;
    const cpu = meter.stop();
    await finished.close();
    return { setup, rate: ORDERS / seconds, cpuPerOrder: Object.fromEntries(Object.entries(cpu).map(([k, ms]) => [k, ms / ORDERS])) };
  } finally {
    for (const { child } of children) child.kill('SIGKILL');
    await nats?.stop();
    await database?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

console.log(`${ORDERS} orders, ${CONNECTIONS} at a time, through the api process; CPU from /proc per confirmed order\n`);
const header = `${'setup'.padEnd(52)} ${'orders/s'.padStart(9)}   ${'api'.padStart(6)} ${'worker'.padStart(7)} ${'pg'.padStart(6)} ${'nats'.padStart(6)} ${'total'.padStart(7)}  cores @1k/s  @10k/s`;
console.log(header);
for (const setup of setups) {
  const result = await run(setup);
  const c = result.cpuPerOrder;
  const total = Object.values(c).reduce((a, b) => a + b, 0);
  const ms = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(2)).padStart(6);
  console.log(
    `${setup.label.padEnd(52)} ${result.rate.toFixed(0).padStart(9)}   ${ms(c.api)} ${ms(c.worker).padStart(7)} ${ms(c.postgres)} ${ms(c.nats)} ${total.toFixed(2).padStart(7)}  ${total.toFixed(1).padStart(11)}  ${(total * 10).toFixed(0).padStart(6)}`,
  );
}
console.log('\nCPU columns are milliseconds per confirmed order (the embedded row: all of it in its one process, as "api").');
console.log('Cores needed = total ms per order × orders/s ÷ 1000 (goal: at most 10 ms per order, 10 cores per 1,000 orders/s).');
