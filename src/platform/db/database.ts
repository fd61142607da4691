import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import {
  CompiledQuery, Kysely, PostgresDialect, SqliteDialect, SqliteDriver,
  type DatabaseConnection, type Driver, type Transaction,
} from 'kysely';
import type { DatabaseConfig } from '../../config.js';
import { groupCommit, type Transact } from './group-commit.js';
import { checkpointInBackground, type BackgroundCheckpoints } from './sqlite-checkpoints.js';

export type SqlDialect = 'sqlite' | 'postgres';

/** Either the database or an open transaction; modules view it through their own schema with `asSchema`. */
export type Executor = Kysely<object>;

/** The one database a process talks to. */
export interface Database {
  readonly dialect: SqlDialect;
  readonly db: Executor;
  /**
   * Runs `fn` in a transaction of its own. On SQLite, transactions asked for together share one commit
   * (see group-commit.ts); use it where many small transactions run at once, as the bus's handlers do.
   */
  readonly transaction: Transact;
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
// A write transaction also waits, first, while the background checkpointer starts the WAL over.
class ImmediateSqliteDriver extends SqliteDriver {
  constructor(database: SqliteDatabase.Database, private readonly checkpoints: BackgroundCheckpoints) {
    super({ database });
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const restarting = this.checkpoints.beforeWrite();
    if (restarting) await restarting;
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly sqlite: SqliteDatabase.Database, private readonly checkpoints: BackgroundCheckpoints) {
    super({ database: sqlite });
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.sqlite, this.checkpoints);
  }
}

const STATEMENT_CACHE_SIZE = 1000;

// Kysely's SQLite driver prepares every statement anew, which costs more than running it; Orderly's
// queries come from a small set of shapes, so keep their prepared statements (least recently used out).
function cachePreparedStatements(sqlite: SqliteDatabase.Database): void {
  const prepare = sqlite.prepare.bind(sqlite);
  const cache = new Map<string, SqliteDatabase.Statement>();
  sqlite.prepare = ((source: string) => {
    let statement = cache.get(source);
    if (statement) {
      cache.delete(source);
    } else {
      statement = prepare(source);
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    }
    cache.set(source, statement);
    return statement;
  }) as typeof sqlite.prepare;
}

function openSqlite(file: string): Database {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new SqliteDatabase(file);
  cachePreparedStatements(sqlite);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const checkpoints = checkpointInBackground(sqlite, file);
  const db = new Kysely<object>({ dialect: new ImmediateSqliteDialect(sqlite, checkpoints) });
  const grouped = groupCommit(db, { members: 32, ms: 5 });
  return {
    dialect: 'sqlite',
    db,
    transaction: grouped,
    ping: async () => {
      sqlite.prepare('select 1').get();
    },
    close: async () => {
      await checkpoints.stop();
      await db.destroy();
    },
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
    transaction: (fn) => db.transaction().execute(fn),
    ping: async () => {
      await db.executeQuery(CompiledQuery.raw('select 1'));
    },
    close: () => db.destroy(),
  };
}

export function openDatabase(config: DatabaseConfig): Database {
  return config.kind === 'sqlite' ? openSqlite(config.file) : openPostgres(config.url, config.poolSize);
}
