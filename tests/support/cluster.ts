import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { root } from './process.js';

const run = promisify(execFile);
const SCRIPT = path.join(root, 'scripts', 'cluster.sh');

export type PartName = 'api-1' | 'api-2' | 'worker-1' | 'worker-2' | 'haproxy' | 'nats' | 'redis' | 'postgres-primary' | 'postgres-replica';

/** What `scripts/cluster.sh start` prints once every part is ready. */
export interface ClusterDescription {
  url: string;
  env: Record<string, string>;
  processes: Record<PartName, number>;
}

export interface Cluster extends ClusterDescription {
  dir: string;
  /** kill -9 of one part; resolves once it is gone. */
  kill(name: PartName): Promise<void>;
  restart(name: PartName): Promise<void>;
  /** Whether the part's process (the one started last) still runs. */
  running(name: PartName): boolean;
  /** The address an api or worker copy listens on, past HAProxy. */
  direct(name: 'api-1' | 'api-2'): string;
  /** The part's log, as far as it is written. */
  log(name: PartName): string;
  stop(): Promise<void>;
}

/** Servers the cluster is made of, from Debian's packages: the tests that need them run where they are. */
export const clusterAvailable =
  ['haproxy', 'nats-server', 'redis-server'].every((bin) =>
    (process.env.PATH ?? '').split(':').some((dir) => existsSync(path.join(dir, bin))),
  ) && existsSync('/usr/lib/postgresql');

const running = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const gone = async (pid: number) => {
  while (running(pid)) await new Promise((r) => setTimeout(r, 20));
};

function lastJson(stdout: string): ClusterDescription {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as ClusterDescription;
}

/** Starts the whole topology with scripts/cluster.sh, with `env` added to what Orderly's processes see. */
export async function startCluster(env: Record<string, string>): Promise<Cluster> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orderly-cluster-'));
  const options = { env: { ...process.env, ORDERLY_DEMO: 'false', ORDERLY_LOAD_SHEDDING: 'false', ...env }, maxBuffer: 1 << 24 };
  let described: ClusterDescription;
  try {
    described = lastJson((await run('bash', [SCRIPT, 'start', dir], options)).stdout);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const ports = Object.fromEntries(
    readFileSync(path.join(dir, 'ports'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split('=') as [string, string]),
  );
  const cluster: Cluster = {
    ...described,
    dir,
    async kill(name) {
      const pid = cluster.processes[name];
      process.kill(pid, 'SIGKILL');
      await gone(pid);
    },
    async restart(name) {
      cluster.processes = lastJson((await run('bash', [SCRIPT, 'restart', dir, name], options)).stdout).processes;
    },
    running: (name) => running(cluster.processes[name]),
    direct: (name) => `http://127.0.0.1:${ports[`${name.toUpperCase().replace('-', '_')}_PORT`]}`,
    log: (name) => readFileSync(path.join(dir, name.startsWith('postgres') ? `${name}/server.log` : `logs/${name}.log`), 'utf8'),
    async stop() {
      await run('bash', [SCRIPT, 'stop', dir], options).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}
