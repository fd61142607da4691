import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SqliteDatabase from 'better-sqlite3';

const INTERVAL_MS = 250;
const AUTOCHECKPOINT_PAGES = 1000;
// A WAL longer than this (64 MiB) is started over by the worker (see below): at 16 MiB, bench:webhooks saw more of the short pauses it takes.
const RESTART_PAGES = 16_384;

// The worker: a connection of its own to the same file, copying the WAL back into the database (and
// syncing it) off the event loop. PASSIVE never waits for, or blocks, the writers; but under a steady
// stream of writes it never catches up with them either, and SQLite starts the WAL over only once all of
// it has been copied back: in bench:checkout the WAL grew past 4 GB, and commits slowed from 150 to 700 µs
// as every page lookup searched more of its index. So once the WAL passes RESTART_PAGES, the worker raises
// a flag in shared memory that holds back new write transactions on the main connection (they wait,
// without blocking the event loop), takes a RESTART checkpoint (copying the little the passive one left),
// and lowers the flag; the next writer starts the WAL from the top. Not while a long reader holds part of
// the WAL back: in bench:data-safety, restarts that waited on a backup's read (and held the write lock
// meanwhile) took checkout p99 from 23 ms to 23 s.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Sqlite = require(workerData.driver);
const db = new Sqlite(workerData.file);
db.pragma('busy_timeout = 1000');
const restartWanted = new Int32Array(workerData.restartWanted);
let previous = -1;
const checkpoint = () => {
  try {
    const [{ log, checkpointed }] = db.pragma('wal_checkpoint(PASSIVE)');
    // Under back-to-back writes the copy always trails the log a little (the transaction in progress holds
    // its snapshot), and moves on every tick. A copy stuck where it was a tick ago means a long reader on
    // an older snapshot (a backup's read): a restart would only wait for it, holding the write lock all the
    // while. Let the WAL grow until it is done, up to a hard bound.
    const heldBack = checkpointed < log && checkpointed === previous;
    previous = checkpointed;
    if (log <= workerData.restartPages || (heldBack && log <= workerData.restartPages * 16)) return;
    Atomics.store(restartWanted, 0, 1);
    try {
      db.pragma('wal_checkpoint(RESTART)');
    } finally {
      Atomics.store(restartWanted, 0, 0);
      Atomics.notify(restartWanted, 0);
    }
  } catch { /* busy: the next tick tries again */ }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => { clearInterval(timer); checkpoint(); db.close(); parentPort.close(); });
`;

// A write transaction held back by a restart waits at most this long, then goes ahead (and waits in SQLite's busy handler).
const HOLD_BACK_MS = 250;

type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
  timeoutMs: number,
) => { async: boolean; value: Promise<unknown> | string };

export interface BackgroundCheckpoints {
  /** Before a write transaction begins: resolves once no restart is in progress (null when none is). */
  beforeWrite(): Promise<unknown> | null;
  stop(): Promise<void>;
}

/**
 * Moves WAL checkpoints off the connection that serves requests. SQLite checkpoints on the commit that
 * crosses 1,000 WAL pages, and that commit then copies and fsyncs on the event loop: in bench:webhooks,
 * about 3 % of commits took 5–16 ms and half of all commit time. A worker thread checkpoints every
 * 250 ms instead; if it ever stops, the connection checkpoints for itself again.
 */
export function checkpointInBackground(sqlite: SqliteDatabase.Database, file: string): BackgroundCheckpoints {
  const restartWanted = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      file,
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      intervalMs: INTERVAL_MS,
      restartPages: RESTART_PAGES,
      restartWanted: restartWanted.buffer,
    },
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
  // ES2024's Atomics.waitAsync, which Node 20 has and this project's TypeScript library does not yet name.
  const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;
  return {
    beforeWrite() {
      if (Atomics.load(restartWanted, 0) === 0) return null;
      const wait = waitAsync(restartWanted, 0, 1, HOLD_BACK_MS);
      return wait.async ? (wait.value as Promise<unknown>) : null;
    },
    async stop() {
      if (stopped) return exited;
      stopped = true;
      // Held open while it finishes, so a process closing its database waits for the last checkpoint.
      worker.ref();
      worker.postMessage('stop');
      return exited;
    },
  };
}
