import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { clusterAvailable } from '../support/cluster.js';
import { root } from '../support/process.js';

const run = promisify(execFile);

/** Processes whose command line or environment names `dir`: what a cluster under it still runs. */
function processesUnder(dir: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const environ = fs.readFileSync(`/proc/${entry}/environ`, 'utf8');
      if (cmdline.includes(dir) || environ.includes(`ORDERLY_DATA_DIR=${dir}`)) found.push(Number(entry));
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}

describe('scripts/cluster.sh and deploy/haproxy.cfg', () => {
  it.runIf(clusterAvailable)('ships an HAProxy configuration that haproxy itself accepts', async () => {
    const { stdout } = await run('haproxy', ['-c', '-f', path.join(root, 'deploy', 'haproxy.cfg')], {
      env: { ...process.env, ORDERLY_LB_BIND: '127.0.0.1:8080', ORDERLY_API_1: '127.0.0.1:3001', ORDERLY_API_2: '127.0.0.1:3002' },
    });
    expect(stdout).toContain('Configuration file is valid');
  });

  it.runIf(clusterAvailable)('exits non-zero with the log tail of a part that cannot start, and stops what it had started', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-cluster-bad-'));
    try {
      // The replica refuses this delay, after the primary is up.
      const started = run('bash', [path.join(root, 'scripts', 'cluster.sh'), 'start', dir], {
        env: { ...process.env, CLUSTER_REPLICA_DELAY: 'a while' },
      });
      const failure = await started.then(
        () => null,
        (error: { code: number; stderr: string }) => error,
      );
      expect(failure?.code).toBeGreaterThan(0);
      expect(failure?.stderr).toContain('postgres-replica did not start');
      expect(failure?.stderr).toContain('recovery_min_apply_delay');
      expect(failure?.stderr).toContain('stopping what started');
      expect(processesUnder(dir)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to run without a command and a directory', async () => {
    const failure = await run('bash', [path.join(root, 'scripts', 'cluster.sh')]).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain('usage:');
  });
});
