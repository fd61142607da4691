import type SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type Driver,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import type { BackgroundCheckpoints } from './sqlite-checkpoints.js';

// Take the write lock when the transaction starts: a deferred transaction that later upgrades to a writer
// fails with SQLITE_BUSY when another process wrote meanwhile, whatever the busy timeout.
// A write transaction also waits, first, while the background checkpointer starts the WAL over.
class ImmediateSqliteDriver extends SqliteDriver {
  constructor(
    database: SqliteDatabase.Database,
    private readonly checkpoints: BackgroundCheckpoints,
  ) {
    super({ database });
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const restarting = this.checkpoints.beforeWrite();
    if (restarting) await restarting;
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

const isSelect = (sql: string) => /^\s*select\s/i.test(sql);

function runRead(reader: SqliteDatabase.Database, query: CompiledQuery): QueryResult<unknown> {
  return { rows: reader.prepare(query.sql).all(query.parameters as unknown[]) };
}

/**
 * One acquisition of the database by Kysely: a query, or a transaction. It takes the writing connection
 * (and Kysely's lock on it) only when it first needs it; a SELECT before that reads on the reading one.
 */
class RoutedConnection implements DatabaseConnection {
  writing: DatabaseConnection | null = null;

  constructor(
    private readonly writer: Driver,
    private readonly reader: SqliteDatabase.Database,
  ) {}

  /** The writing connection, taking Kysely's lock on it the first time. */
  async write(): Promise<DatabaseConnection> {
    this.writing ??= await this.writer.acquireConnection();
    return this.writing;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.writing === null && isSelect(query.sql)) return runRead(this.reader, query) as QueryResult<R>;
    return (await this.write()).executeQuery<R>(query);
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    yield* (await this.write()).streamQuery<R>(query, chunkSize);
  }
}

/**
 * SQLite in WAL mode has one writer and any number of readers. Kysely's driver has one connection, and a
 * transaction holds it from begin to commit, so every query waited for the transaction open at the time:
 * under the saga's group commits, a request's reads (pricing an order, a product page) queued behind
 * milliseconds of other people's writes. Here a SELECT outside a transaction reads on a second connection,
 * which sees everything committed so far; writes and transactions use the first, as before.
 */
class ReadWriteSqliteDriver implements Driver {
  private readonly writer: ImmediateSqliteDriver;

  constructor(
    database: SqliteDatabase.Database,
    private readonly reader: SqliteDatabase.Database,
    checkpoints: BackgroundCheckpoints,
  ) {
    this.writer = new ImmediateSqliteDriver(database, checkpoints);
  }

  init(): Promise<void> {
    return this.writer.init();
  }

  acquireConnection(): Promise<DatabaseConnection> {
    return Promise.resolve(new RoutedConnection(this.writer, this.reader));
  }

  async beginTransaction(connection: DatabaseConnection, _settings: TransactionSettings): Promise<void> {
    await this.writer.beginTransaction(await (connection as RoutedConnection).write());
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await this.writer.commitTransaction(await (connection as RoutedConnection).write());
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await this.writer.rollbackTransaction(await (connection as RoutedConnection).write());
  }

  async savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await this.writer.savepoint(await (connection as RoutedConnection).write(), name, compile);
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await this.writer.rollbackToSavepoint(await (connection as RoutedConnection).write(), name, compile);
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await this.writer.releaseSavepoint(await (connection as RoutedConnection).write(), name, compile);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const routed = connection as RoutedConnection;
    if (routed.writing === null) return;
    routed.writing = null;
    await this.writer.releaseConnection();
  }

  async destroy(): Promise<void> {
    await this.writer.destroy();
    this.reader.close();
  }
}

export class ReadWriteSqliteDialect extends SqliteDialect {
  constructor(
    private readonly writer: SqliteDatabase.Database,
    private readonly reader: SqliteDatabase.Database,
    private readonly checkpoints: BackgroundCheckpoints,
  ) {
    super({ database: writer });
  }

  override createDriver(): Driver {
    return new ReadWriteSqliteDriver(this.writer, this.reader, this.checkpoints);
  }
}
