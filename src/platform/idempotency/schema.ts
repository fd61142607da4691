import type { Kysely } from 'kysely';
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
    locked_until: string;
  };
}

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
  },
};
