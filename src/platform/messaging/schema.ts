import type { Generated, Kysely } from 'kysely';
import { sql } from 'kysely';
import { autoIncrementKey, type MigrationSet } from '../db/migrations.js';

export interface MessagingTables {
  outbox: {
    seq: Generated<number>;
    id: string;
    type: string;
    version: number;
    key: string;
    occurred_at: string;
    traceparent: string | null;
    data: string;
    dispatched_at: string | null;
  };
  /** One row per (message, consumer group) still to be handled, or dead-lettered. */
  messaging_deliveries: {
    id: Generated<number>;
    message_id: string;
    message_seq: number;
    /** The outbox position of the message that started its chain (a saga's first message): claims go oldest chain first. */
    root_seq: number;
    group_name: string;
    key: string;
    status: 'pending' | 'dead';
    attempts: number;
    next_attempt_at: string;
    lease_owner: string | null;
    lease_until: string | null;
    last_error: string | null;
    created_at: string;
    dead_at: string | null;
  };
  /** The messages each consumer group has applied: the exactly-once half of at-least-once delivery. */
  messaging_inbox: {
    group_name: string;
    message_id: string;
    applied_at: string;
  };
}

export const messagingMigrations: MigrationSet = {
  owner: 'messaging',
  migrations: {
    '0001_outbox': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('outbox')
          .addColumn('seq', 'integer', autoIncrementKey(db))
          .addColumn('id', 'text', (c) => c.notNull().unique())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('key', 'text', (c) => c.notNull())
          .addColumn('occurred_at', 'text', (c) => c.notNull())
          .addColumn('traceparent', 'text')
          .addColumn('data', 'text', (c) => c.notNull())
          .addColumn('dispatched_at', 'text')
          .execute();
        await db.schema.createIndex('outbox_undispatched').on('outbox').columns(['dispatched_at', 'seq']).execute();
      },
    },
    '0002_deliveries_and_inbox': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('messaging_deliveries')
          .addColumn('id', 'integer', autoIncrementKey(db))
          .addColumn('message_id', 'text', (c) => c.notNull())
          .addColumn('message_seq', 'integer', (c) => c.notNull())
          .addColumn('group_name', 'text', (c) => c.notNull())
          .addColumn('key', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'dead')`))
          .addColumn('attempts', 'integer', (c) => c.notNull())
          .addColumn('next_attempt_at', 'text', (c) => c.notNull())
          .addColumn('lease_owner', 'text')
          .addColumn('lease_until', 'text')
          .addColumn('last_error', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('dead_at', 'text')
          .addUniqueConstraint('messaging_deliveries_message_group', ['message_id', 'group_name'])
          .execute();
        // Claims walk pending deliveries in outbox order and stop at the batch size; most are due at once.
        await db.schema.createIndex('messaging_deliveries_due').on('messaging_deliveries').columns(['status', 'message_seq']).execute();
        await db.schema.createIndex('messaging_deliveries_key_order').on('messaging_deliveries').columns(['group_name', 'key', 'message_seq']).execute();
        await db.schema
          .createTable('messaging_inbox')
          .addColumn('group_name', 'text', (c) => c.notNull())
          .addColumn('message_id', 'text', (c) => c.notNull())
          .addColumn('applied_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('messaging_inbox_pk', ['group_name', 'message_id'])
          .execute();
      },
    },
    '0003_claims_by_chain': {
      async up(db: Kysely<unknown>) {
        // Claims take the oldest chain of messages first (a saga's steps follow its first message), so under a
        // backlog the orders placed first are finished first, instead of every order moving one step per pass.
        await db.schema.alterTable('messaging_deliveries').addColumn('root_seq', 'integer', (c) => c.notNull().defaultTo(0)).execute();
        await sql`update messaging_deliveries set root_seq = message_seq`.execute(db);
        await db.schema.dropIndex('messaging_deliveries_due').execute();
        await db.schema.createIndex('messaging_deliveries_due').on('messaging_deliveries').columns(['status', 'root_seq', 'message_seq']).execute();
      },
    },
  },
};
