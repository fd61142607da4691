import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import type { Config } from '../../src/config.js';

/** A store to reach around the app: one SQLite file, or a PostgreSQL database. */
export type Storage = { sqliteFile: string } | { postgresUrl: string };

/** The app's PostgreSQL database, or the named SQLite file in its data directory (search.db, orderly.db). */
export function storageOf(config: Config, sqliteFile: string): Storage {
  return config.database.kind === 'postgres' ? { postgresUrl: config.database.url } : { sqliteFile: path.join(config.dataDir, sqliteFile) };
}

/** Runs SQL against an app's storage from outside the app, the way an operator (or an accident) would. */
export async function tamper(storage: Storage, statement: string): Promise<void> {
  if ('sqliteFile' in storage) {
    const db = new SqliteDatabase(storage.sqliteFile);
    try {
      db.exec(statement);
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: storage.postgresUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** The storage of an `orderly` child process, from the environment it was started with. */
export function storageOfEnv(env: Record<string, string>): Storage {
  return env.DATABASE_URL ? { postgresUrl: env.DATABASE_URL } : { sqliteFile: path.join(env.ORDERLY_DATA_DIR!, 'orderly.db') };
}

/** Reads rows from an app's storage from outside it; `?` placeholders on either database. */
export async function query<T = Record<string, unknown>>(storage: Storage, statement: string, params: unknown[] = []): Promise<T[]> {
  if ('sqliteFile' in storage) {
    const db = new SqliteDatabase(storage.sqliteFile, { readonly: true });
    try {
      return db.prepare(statement).all(...params) as T[];
    } finally {
      db.close();
    }
  }
  let n = 0;
  const client = new pg.Client({ connectionString: storage.postgresUrl });
  await client.connect();
  try {
    return (
      await client.query(
        statement.replace(/\?/g, () => `$${(n += 1)}`),
        params,
      )
    ).rows as T[];
  } finally {
    await client.end();
  }
}
