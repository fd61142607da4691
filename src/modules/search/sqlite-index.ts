import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { checkpointInBackground } from '../../platform/db/sqlite-checkpoints.js';
import { toDocument } from './document.js';
import type { SearchIndex } from './search-index.js';
import { createSqliteSearchReader } from './sqlite-reader.js';
import { SCHEMA } from './sqlite-schema.js';
import { createSqliteSearchWriter } from './sqlite-writer.js';

/** The embedded search index: its own SQLite file (FTS5), written by its writer and read by its reader. */
export function openSqliteSearchIndex(file: string, window: number): SearchIndex {
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
  const search = createSqliteSearchReader(db, window);
  return {
    async upsert(products, indexedAt) {
      writer.upsert(products.map(toDocument), indexedAt);
    },
    search: async (query) => search(query),
    removeIndexedBefore: async (indexedAt) => writer.removeIndexedBefore(indexedAt),
    count: async () => writer.count(),
    async close() {
      await checkpoints.stop();
      db.close();
    },
  };
}
