import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { checkpointInBackground } from '../../platform/db/sqlite-checkpoints.js';
import { toDocument } from './document.js';
import { createReaderPool } from './reader-pool.js';
import type { SearchIndex } from './search-index.js';
import { createSqliteSearchReader } from './sqlite-reader.js';
import { SCHEMA } from './sqlite-schema.js';
import { createSqliteSearchWriter } from './sqlite-writer.js';

/**
 * The embedded search index: its own SQLite file (FTS5), written here and read by `threads` reader
 * threads (or, with none, on this connection, between the event loop's other work).
 */
export function openSqliteSearchIndex(file: string, window: number, threads: number): SearchIndex {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new SqliteDatabase(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  // Reads map the file instead of copying page by page: a window joins thousands of documents, and
  // through the page cache's reads that costs twice as much. SQLite caps the mapping (2 GB by default).
  db.pragma('mmap_size = 4294967296');
  db.exec(SCHEMA);
  // Its writes are synchronous and spaced out, so a restart of the WAL finds a gap between them without being let in.
  const checkpoints = checkpointInBackground(db, file);
  // Weights per column: title, description, category, attributes; tags (filter tokens) do not rank.
  db.prepare(`insert into documents_fts(documents_fts, rank) values ('rank', 'bm25(10.0, 1.0, 4.0, 2.0, 0.0)')`).run();
  const writer = createSqliteSearchWriter(db);
  const readers = threads > 0 ? createReaderPool(file, window, threads) : null;
  // This connection is the writer: its own commits do not move its data_version, so count them too.
  let writes = 0;
  const dataVersion = db.prepare('pragma data_version').pluck();
  const searchHere = readers ? null : createSqliteSearchReader(db, window, () => `${writes}/${dataVersion.get()}`);
  return {
    async upsert(products, indexedAt) {
      writer.upsert(products.map(toDocument), indexedAt);
      writes += 1;
    },
    search: async (query) => (searchHere ? searchHere(query) : readers!.search(query)),
    async removeIndexedBefore(indexedAt) {
      writes += 1;
      return writer.removeIndexedBefore(indexedAt);
    },
    count: async () => writer.count(),
    async close() {
      await readers?.close();
      await checkpoints.stop();
      db.close();
    },
  };
}
