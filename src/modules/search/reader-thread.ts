import { parentPort, workerData } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import { lowerThreadPriority } from '../../platform/thread-priority.js';
import type { SearchQuery } from './query.js';
import { createSqliteSearchReader } from './sqlite-reader.js';

export interface ReaderRequest {
  id: number;
  query: SearchQuery;
}
export type ReaderReply = { id: number; result: ReturnType<ReturnType<typeof createSqliteSearchReader>> } | { id: number; error: string };

/** A reader's nice value: when the cores are busy, the event loop taking orders goes first. */
const READER_NICENESS = 10;

const { file, window } = workerData as { file: string; window: number };
// Its own read-only connection: in WAL mode readers never wait for the writer, nor it for them.
const db = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
db.pragma('mmap_size = 4294967296');
// Changes whenever another connection (the indexer) commits, so what this reader keeps is dropped then.
const dataVersion = db.prepare('pragma data_version').pluck();
const search = createSqliteSearchReader(db, window, () => dataVersion.get() as number);

lowerThreadPriority(READER_NICENESS);

parentPort!.on('message', (request: ReaderRequest | 'close') => {
  if (request === 'close') {
    db.close();
    process.exit(0);
  }
  let reply: ReaderReply;
  try {
    reply = { id: request.id, result: search(request.query) };
  } catch (error) {
    reply = { id: request.id, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort!.postMessage(reply);
});
