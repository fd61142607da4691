import fs from 'node:fs';
import SqliteDatabase from 'better-sqlite3';
import { syncFile } from './manifest.js';

/**
 * A consistent copy of a live SQLite database: VACUUM INTO reads it in one read transaction (in WAL
 * mode the writer goes on meanwhile) and writes a compact file, which is then checked and synced.
 */
export function copySqlite(source: string, target: string): void {
  const db = new SqliteDatabase(source, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10000');
    db.prepare('vacuum into ?').run(target);
  } finally {
    db.close();
  }
  const problem = checkSqlite(target);
  if (problem) throw new Error(`the copy of ${source} does not check out: ${problem}`);
  syncFile(target);
}

/** SQLite's own check of a file: null when sound, what is wrong otherwise. */
export function checkSqlite(file: string): string | null {
  if (!fs.existsSync(file)) return 'missing';
  let db: SqliteDatabase.Database | undefined;
  try {
    db = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
    const result = db.pragma('quick_check', { simple: true });
    return result === 'ok' ? null : String(result);
  } catch (error) {
    return (error as Error).message;
  } finally {
    db?.close();
  }
}
