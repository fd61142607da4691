import { Migrator, PostgresAdapter, type ColumnDefinitionBuilder, type Kysely, type Migration, type MigrationResult } from 'kysely';
import type { Database } from './database.js';

export type { Migration } from 'kysely';

/** The migrations one owner (a module, or a platform piece) keeps for its own tables. */
export interface MigrationSet {
  owner: string;
  migrations: Record<string, Migration>;
}

export interface AppliedMigration {
  owner: string;
  name: string;
  status: MigrationResult['status'];
}

/**
 * Applies every set in order; each owner keeps its own history table, so modules migrate independently.
 * Throws on the first failure, naming the owner and migration.
 */
export async function migrateToLatest(database: Database, sets: MigrationSet[]): Promise<AppliedMigration[]> {
  const applied: AppliedMigration[] = [];
  for (const set of sets) {
    const migrator = new Migrator({
      db: database.db as Kysely<unknown>,
      provider: { getMigrations: async () => set.migrations },
      migrationTableName: `orderly_migrations_${set.owner}`,
      migrationLockTableName: `orderly_migrations_${set.owner}_lock`,
    });
    const { error, results } = await migrator.migrateToLatest();
    for (const result of results ?? []) applied.push({ owner: set.owner, name: result.migrationName, status: result.status });
    if (error) {
      const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
      throw new Error(`migration ${set.owner}/${failed} failed: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
  }
  return applied;
}

/** Which SQL dialect a migration runs against, for the few column types that differ. */
export function dialectOf(db: Kysely<unknown>): 'sqlite' | 'postgres' {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/** An integer primary key the database numbers itself: IDENTITY on PostgreSQL, AUTOINCREMENT on SQLite. */
export function autoIncrementKey(db: Kysely<unknown>) {
  return (column: ColumnDefinitionBuilder) =>
    dialectOf(db) === 'postgres' ? column.primaryKey().generatedAlwaysAsIdentity() : column.primaryKey().autoIncrement();
}
