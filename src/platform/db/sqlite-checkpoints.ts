import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SqliteDatabase from 'better-sqlite3';

const INTERVAL_MS = 250;
const AUTOCHECKPOINT_PAGES = 1000;

// The worker: a connection of its own to the same file, copying the WAL back into the database (and
// syncing it) off the event loop. PASSIVE never waits for, or blocks, the writers.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Sqlite = require(workerData.driver);
const db = new Sqlite(workerData.file);
db.pragma('busy_timeout = 1000');
const checkpoint = () => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy: the next tick tries again */ } };
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => { clearInterval(timer); checkpoint(); db.close(); parentPort.close(); });
`;

/**
 * Moves WAL checkpoints off the connection that serves requests. SQLite checkpoints on the commit that
 * crosses 1,000 WAL pages, and that commit then copies and fsyncs on the event loop: in bench:webhooks,
 * about 3 % of commits took 5–16 ms and half of all commit time. A worker thread checkpoints every
 * 250 ms instead; if it ever stops, the connection checkpoints for itself again. Returns a stop function.
 */
export function checkpointInBackground(sqlite: SqliteDatabase.Database, file: string): () => Promise<void> {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file, driver: createRequire(import.meta.url).resolve('better-sqlite3'), intervalMs: INTERVAL_MS },
  });
  worker.unref();
  sqlite.pragma('wal_autocheckpoint = 0');
  let stopped = false;
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', () => {
      if (!stopped && sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
      resolve();
    });
  });
  worker.once('error', () => undefined);
  return async () => {
    if (stopped) return exited;
    stopped = true;
    // Held open while it finishes, so a process closing its database waits for the last checkpoint.
    worker.ref();
    worker.postMessage('stop');
    return exited;
  };
}
