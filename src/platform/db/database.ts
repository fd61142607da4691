import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import {
  CompiledQuery, Kysely, PostgresDialect, SqliteDialect, SqliteDriver,
  type DatabaseConnection, type Driver, type Transaction,
} from 'kysely';
import type { DatabaseConfig } from '../../config.js';

export type SqlDialect = 'sqlite' | 'postgres';

/** Either the database or an open transaction; modules view it through their own schema with `asSchema`. */
export type Executor = Kysely<object>;

/** The one database a process talks to. */
export interface Database {
  readonly dialect: SqlDialect;
  readonly db: Executor;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A module's typed view of the shared connection or of a transaction it was handed. */
export function asSchema<T>(executor: Executor | Transaction<object>): Kysely<T> {
  return executor as unknown as Kysely<T>;
}

// Take the write lock when the transaction starts: a deferred transaction that later upgrades to a writer
// fails with SQLITE_BUSY when another process wrote meanwhile, whatever the busy timeout.
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly sqlite: SqliteDatabase.Database) {
    super({ database: sqlite });
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver({ database: this.sqlite });
  }
}

function openSqlite(file: string): Database {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<object>({ dialect: new ImmediateSqliteDialect(sqlite) });
  return {
    dialect: 'sqlite',
    db,
    ping: async () => {
      sqlite.prepare('select 1').get();
    },
    close: () => db.destroy(),
  };
}

// COUNT(*) and BIGINT columns arrive as strings by default; every figure Orderly stores fits a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

function openPostgres(url: string, poolSize: number): Database {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 5000 });
  // An idle client that loses its server emits 'error'; without a listener that would crash the process.
  pool.on('error', () => undefined);
  const db = new Kysely<object>({ dialect: new PostgresDialect({ pool }) });
  return {
    dialect: 'postgres',
    db,
    ping: async () => {
      await db.executeQuery(CompiledQuery.raw('select 1'));
    },
    close: () => db.destroy(),
  };
}

export function openDatabase(config: DatabaseConfig): Database {
  return config.kind === 'sqlite' ? openSqlite(config.file) : openPostgres(config.url, config.poolSize);
}
