import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { CompiledQuery, Kysely, PostgresDialect, type LogEvent, type Transaction } from 'kysely';
import { recordSpan } from '../observability/tracing.js';
import { groupCommit, type Transact } from './group-commit.js';
import { replicaAllowed } from './read-routing.js';
import { checkpointInBackground } from './sqlite-checkpoints.js';
import { ReadWriteSqliteDialect } from './sqlite-driver.js';

export type SqlDialect = 'sqlite' | 'postgres';

/** Which database to open: an embedded SQLite file, or a PostgreSQL server (with a streaming replica for reads). */
export type DatabaseConfig = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string; poolSize: number; replicaUrl?: string };

/** Either the database or an open transaction; modules view it through their own schema with `asSchema`. */
export type Executor = Kysely<object>;

/** The one database a process talks to. */
export interface Database {
  readonly dialect: SqlDialect;
  readonly db: Executor;
  /** The server's URL, for a connection of one's own (a LISTEN); null for the embedded file. */
  readonly connectionUrl: string | null;
  /**
   * Runs `fn` in a transaction of its own. On SQLite, transactions asked for together share one commit
   * (see group-commit.ts); use it where many small transactions run at once, as the bus's handlers do.
   */
  readonly transaction: Transact;
  /**
   * Runs a read that may be a little behind (listings, search, recommendations) on the read replica when
   * there is one and the edge allowed it for this request (see read-routing.ts), else on `db`. A read the
   * replica fails is run again on the primary: a replica that just went away costs time, not an error.
   */
  read<T>(fn: (executor: Executor) => Promise<T>): Promise<T>;
  /** The replica, for watching its lag; null without one. */
  readonly replica: Executor | null;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A module's typed view of the shared connection or of a transaction it was handed. */
export function asSchema<T>(executor: Executor | Transaction<object>): Kysely<T> {
  return executor as unknown as Kysely<T>;
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

function openSqlite(file: string, log: StatementLog): Database {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new SqliteDatabase(file);
  cachePreparedStatements(sqlite);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const checkpoints = checkpointInBackground(sqlite, file);
  // Opened once the file is in WAL mode; it only ever reads (see sqlite-driver.ts).
  const reader = new SqliteDatabase(file);
  cachePreparedStatements(reader);
  reader.pragma('busy_timeout = 5000');
  reader.pragma('query_only = true');
  const db = new Kysely<object>({ dialect: new ReadWriteSqliteDialect(sqlite, reader, checkpoints), ...log });
  const grouped = groupCommit(db, { members: 32, ms: 5 });
  return {
    dialect: 'sqlite',
    db,
    connectionUrl: null,
    transaction: grouped,
    read: (fn) => fn(db),
    replica: null,
    ping: async () => {
      sqlite.prepare('select 1').get();
    },
    close: async () => {
      await checkpoints.stop();
      await db.destroy();
    },
  };
}

type StatementLog = { log?: (event: LogEvent) => void };

/** Debugging: each statement as a span (after the fact, timed by Kysely) under whatever span ran it. */
function statementSpans(dialect: SqlDialect): StatementLog {
  return {
    log(event) {
      const end = Date.now();
      recordSpan(
        `db ${event.query.sql.slice(0, 40)}`,
        end - event.queryDurationMillis,
        end,
        {
          'db.system.name': dialect === 'sqlite' ? 'sqlite' : 'postgresql',
          'db.query.text': event.query.sql,
        },
        event.level === 'error' ? event.error : undefined,
      );
    },
  };
}

// COUNT(*) and BIGINT columns arrive as strings by default; every figure Orderly stores fits a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

function postgresPool(url: string, poolSize: number, log: StatementLog): Kysely<object> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 5000 });
  // A client that loses its server emits 'error'; without a listener that would crash the process. The pool
  // listens only while a client is idle: one lent out between two statements (inside a transaction, or just
  // after its query answered) needs its own. The next statement on it then fails, and the pool drops it.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return new Kysely<object>({ dialect: new PostgresDialect({ pool }), ...log });
}

function openPostgres(url: string, poolSize: number, log: StatementLog, replicaUrl?: string): Database {
  const db = postgresPool(url, poolSize, log);
  const replica = replicaUrl === undefined ? null : postgresPool(replicaUrl, poolSize, log);
  return {
    dialect: 'postgres',
    db,
    connectionUrl: url,
    transaction: (fn) => db.transaction().execute(fn),
    read: async (fn) => {
      if (replica === null || !replicaAllowed()) return fn(db);
      try {
        return await fn(replica);
      } catch {
        return fn(db);
      }
    },
    replica,
    ping: async () => {
      await db.executeQuery(CompiledQuery.raw('select 1'));
    },
    close: async () => {
      await replica?.destroy();
      await db.destroy();
    },
  };
}

/** `traceStatements`: a span per statement while tracing (ORDERLY_TRACE_DB_STATEMENTS), for debugging. */
export function openDatabase(config: DatabaseConfig, options: { traceStatements?: boolean } = {}): Database {
  const log = options.traceStatements ? statementSpans(config.kind) : {};
  return config.kind === 'sqlite' ? openSqlite(config.file, log) : openPostgres(config.url, config.poolSize, log, config.replicaUrl);
}
