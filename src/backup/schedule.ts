import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../platform/observability/logger.js';
import { createPeriodicTask, type PeriodicTask } from '../platform/periodic-task.js';
import { threadEntry } from '../platform/thread-entry.js';
import { MANIFEST, readManifest } from './manifest.js';

export interface BackupSchedule {
  dir: string;
  everyMs: number;
  keep: number;
}

const PREFIX = 'orderly-';
/** How often a backup's being due is checked; a failed one is tried again then. */
const CHECK_EVERY_MS = 60_000;

/** Backups in `dir` with a manifest, newest first. */
export function finishedBackups(dir: string): { name: string; finishedAt: string }[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((name) => name.startsWith(PREFIX) && fs.existsSync(path.join(dir, name, MANIFEST)))
    .map((name) => ({ name, finishedAt: readManifest(path.join(dir, name)).finishedAt }))
    .sort((a, b) => (a.finishedAt < b.finishedAt ? 1 : -1));
}

/**
 * Backs up the embedded files every `everyMs` (the first when none is there) into `dir/orderly-<time>`, on a thread of its own, keeping
 * the newest `keep` finished backups. A backup left without a manifest (the process died copying) is
 * removed by the next run. The age of the newest good backup is exported, and alerted on.
 */
export function scheduledBackups(deps: {
  dataDir: string;
  mainFile: string;
  archiveDir: string;
  schedule: BackupSchedule;
  version: string;
  registry: Registry;
  logger: Logger;
}): PeriodicTask {
  const { dir, everyMs, keep } = deps.schedule;
  let lastSuccess = finishedBackups(dir)[0]?.finishedAt ?? null;
  new Gauge({
    name: 'orderly_backup_last_success_timestamp_seconds',
    help: 'When the newest backup that verified finished (0: none yet)',
    registers: [deps.registry],
    collect() {
      this.set(lastSuccess === null ? 0 : Date.parse(lastSuccess) / 1000);
    },
  });
  new Gauge({
    name: 'orderly_backup_age_seconds',
    help: 'Seconds since the newest backup that verified finished (since start-up when there is none)',
    registers: [deps.registry],
    collect() {
      this.set((Date.now() - (lastSuccess === null ? startedAt : Date.parse(lastSuccess))) / 1000);
    },
  });
  new Gauge({ name: 'orderly_backup_interval_seconds', help: 'How often a backup is taken', registers: [deps.registry] }).set(
    everyMs / 1000,
  );
  const runs = new Counter({
    name: 'orderly_backups_total',
    help: 'Scheduled backups by outcome',
    labelNames: ['outcome'],
    registers: [deps.registry],
  });
  const startedAt = Date.now();

  function inThread(to: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const thread = new Worker(threadEntry(import.meta.url, 'backup-thread'), {
        workerData: { dataDir: deps.dataDir, mainFile: deps.mainFile, archiveDir: deps.archiveDir, to, version: deps.version },
        name: 'backup',
      });
      thread.once('message', (reply: { ok: true } | { ok: false; error: string }) =>
        reply.ok ? resolve() : reject(new Error(reply.error)),
      );
      thread.once('error', reject);
      thread.once('exit', (code) => reject(new Error(`the backup thread exited (${code})`)));
    });
  }

  async function run(): Promise<void> {
    // Due by the newest backup, not by this process's start: a shop restarted every half hour still gets its hourly backup.
    if (lastSuccess !== null && Date.now() - Date.parse(lastSuccess) < everyMs) return;
    fs.mkdirSync(dir, { recursive: true });
    for (const name of fs.readdirSync(dir))
      if (name.startsWith(PREFIX) && !fs.existsSync(path.join(dir, name, MANIFEST)))
        fs.rmSync(path.join(dir, name), { recursive: true, force: true });
    const to = path.join(dir, `${PREFIX}${new Date().toISOString().replace(/[:.]/g, '-')}`);
    const began = Date.now();
    try {
      await inThread(to);
    } catch (error) {
      runs.inc({ outcome: 'failed' });
      deps.logger.error({ err: error, to }, 'scheduled backup failed');
      return;
    }
    lastSuccess = readManifest(to).finishedAt;
    runs.inc({ outcome: 'succeeded' });
    const finished = finishedBackups(dir);
    for (const old of finished.slice(keep)) fs.rmSync(path.join(dir, old.name), { recursive: true, force: true });
    deps.logger.info({ to, seconds: (Date.now() - began) / 1000, kept: Math.min(finished.length, keep) }, 'scheduled backup taken');
  }

  return createPeriodicTask('backup.scheduled', Math.min(everyMs, CHECK_EVERY_MS), run, deps.logger);
}
