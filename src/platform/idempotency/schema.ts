import { sql, type Kysely } from 'kysely';
import type { MigrationSet } from '../db/migrations.js';

export interface IdempotencyTables {
  idempotency_keys: {
    scope: string;
    key: string;
    method: string;
    path: string;
    fingerprint: string;
    state: 'in_flight' | 'completed';
    status_code: number | null;
    headers: string | null;
    body: string | null;
    created_at: string;
    expires_at: string;
    /** While in flight: the claim's lease, renewed by its owner while the request runs. */
    locked_until: string;
    /** The process holding the claim while in flight; null once completed. */
    owner: string | null;
  };
}

/** The condition of the in-flight index, word for word: SQLite uses a partial index only for a query that states it. */
export const inFlight = () => sql<boolean>`state = 'in_flight'`;

export const idempotencyMigrations: MigrationSet = {
  owner: 'idempotency',
  migrations: {
    '0001_idempotency_keys': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('idempotency_keys')
          .addColumn('scope', 'text', (c) => c.notNull())
          .addColumn('key', 'text', (c) => c.notNull())
          .addColumn('method', 'text', (c) => c.notNull())
          .addColumn('path', 'text', (c) => c.notNull())
          .addColumn('fingerprint', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('status_code', 'integer')
          .addColumn('headers', 'text')
          .addColumn('body', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .addColumn('locked_until', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('idempotency_keys_pk', ['scope', 'key'])
          .execute();
        await db.schema.createIndex('idempotency_keys_expiry').on('idempotency_keys').column('expires_at').execute();
      },
    },
    '0002_claim_owners': {
      async up(db: Kysely<unknown>) {
        // A claim belongs to a live process, which renews its lease; a key whose process died is free again
        // once the lease lapses (seconds), not after a fixed lock of a minute.
        await db.schema.alterTable('idempotency_keys').addColumn('owner', 'text').execute();
        await sql`create index idempotency_keys_in_flight on idempotency_keys (owner) where ${inFlight()}`.execute(db);
      },
    },
  },
};
