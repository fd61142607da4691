import type { Generated, Kysely } from 'kysely';
import { sql } from 'kysely';
import { autoIncrementKey, dialectOf, type MigrationSet } from '../db/migrations.js';

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
    /** pending: due, claimable once nobody holds its lease; waiting: deferred or backing off until next_attempt_at. */
    status: 'pending' | 'waiting' | 'dead';
    attempts: number;
    next_attempt_at: string;
    lease_owner: string | null;
    lease_until: string | null;
    last_error: string | null;
    created_at: string;
    dead_at: string | null;
  };
  /**
   * With a broker (NATS JetStream), the messages committed and not yet published to it, with the groups
   * each goes to: written in the producer's transaction, deleted once the broker has them. A redrive
   * writes one too, for the one group that dead-lettered the message.
   */
  messaging_outbound: {
    id: Generated<number>;
    message_seq: number;
    root_seq: number;
    groups: string;
    /** A redrive's publish gets a broker message id of its own, so the broker's duplicate window does not drop it. */
    redrive: number;
    created_at: string;
  };
  /** The messages each consumer group has applied: the exactly-once half of at-least-once delivery. */
  messaging_inbox: {
    group_name: string;
    message_id: string;
    applied_at: string;
  };
}

/**
 * Each state of a delivery has a partial index of its own, and these are their conditions word for word:
 * SQLite uses a partial index only for a query that states its condition, and a bound parameter does not.
 */
export const pending = () => sql<boolean>`status = 'pending'`;
export const waiting = () => sql<boolean>`status = 'waiting'`;
export const dead = () => sql<boolean>`status = 'dead'`;

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
        await db.schema
          .createIndex('messaging_deliveries_key_order')
          .on('messaging_deliveries')
          .columns(['group_name', 'key', 'message_seq'])
          .execute();
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
        await db.schema
          .alterTable('messaging_deliveries')
          .addColumn('root_seq', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        await sql`update messaging_deliveries set root_seq = message_seq`.execute(db);
        await db.schema.dropIndex('messaging_deliveries_due').execute();
        await db.schema
          .createIndex('messaging_deliveries_due')
          .on('messaging_deliveries')
          .columns(['status', 'root_seq', 'message_seq'])
          .execute();
      },
    },
    '0004_waiting': {
      async up(db: Kysely<unknown>) {
        // Deliveries deferred or backing off used to stay 'pending' with a later due time, and every claim walked
        // past them in chain order: thousands of rate-limited emails made each claim cost milliseconds. They wait
        // apart now, by due time, and a claim first moves those that came due back among the pending.
        if (dialectOf(db) === 'postgres') {
          await sql`alter table messaging_deliveries drop constraint messaging_deliveries_status_check`.execute(db);
          await sql`alter table messaging_deliveries add constraint messaging_deliveries_status_check check (status in ('pending', 'waiting', 'dead'))`.execute(
            db,
          );
        } else {
          await rebuildWithWaitingStatus(db);
        }
        // One partial index per state. The claim's walk in chain order sees pending deliveries only, and
        // the walk for deliveries that came due sees waiting ones only.
        await db.schema.dropIndex('messaging_deliveries_due').ifExists().execute();
        await sql`create index messaging_deliveries_due on messaging_deliveries (root_seq, message_seq) where ${pending()}`.execute(db);
        await sql`create index messaging_deliveries_waiting on messaging_deliveries (next_attempt_at) where ${waiting()}`.execute(db);
        await sql`create index messaging_deliveries_dead on messaging_deliveries (id) where ${dead()}`.execute(db);
        await sql`update messaging_deliveries set status = 'waiting' where status = 'pending' and next_attempt_at > ${new Date().toISOString()}`.execute(
          db,
        );
      },
    },
    '0005_drop_undispatched_index': {
      async up(db: Kysely<unknown>) {
        // The relay that looked for undispatched messages is gone (the transport's deliveries are written with
        // the message); the index still cost a write, and a page to commit, for every message published.
        await db.schema.dropIndex('outbox_undispatched').ifExists().execute();
      },
    },
    '0006_outbound': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('messaging_outbound')
          .addColumn('id', 'integer', autoIncrementKey(db))
          .addColumn('message_seq', 'integer', (c) => c.notNull())
          .addColumn('root_seq', 'integer', (c) => c.notNull())
          .addColumn('groups', 'text', (c) => c.notNull())
          .addColumn('redrive', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
      },
    },
    '0007_outbox_by_key': {
      async up(db: Kysely<unknown>) {
        // An operator's view of one order reads the messages keyed by it; without this, every message ever sent.
        await db.schema.createIndex('outbox_key').on('outbox').columns(['key', 'seq']).execute();
      },
    },
  },
};

/** SQLite cannot alter a CHECK constraint: the table is made again with the wider one, keeping ids and their sequence. */
async function rebuildWithWaitingStatus(db: Kysely<unknown>): Promise<void> {
  await sql`alter table messaging_deliveries rename to messaging_deliveries_before_waiting`.execute(db);
  await db.schema.dropIndex('messaging_deliveries_key_order').execute();
  await db.schema
    .createTable('messaging_deliveries')
    .addColumn('id', 'integer', autoIncrementKey(db))
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('message_seq', 'integer', (c) => c.notNull())
    .addColumn('group_name', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'waiting', 'dead')`))
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('dead_at', 'text')
    .addColumn('root_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addUniqueConstraint('messaging_deliveries_message_group', ['message_id', 'group_name'])
    .execute();
  const columns = sql.raw(
    'id, message_id, message_seq, group_name, key, status, attempts, next_attempt_at, lease_owner, lease_until, last_error, created_at, dead_at, root_seq',
  );
  await sql`insert into messaging_deliveries (${columns}) select ${columns} from messaging_deliveries_before_waiting`.execute(db);
  // Ids of deliveries already handled are never handed out again (dead-letter ids are public).
  await sql`update sqlite_sequence set seq = max(seq, coalesce((select seq from sqlite_sequence where name = 'messaging_deliveries_before_waiting'), 0)) where name = 'messaging_deliveries'`.execute(
    db,
  );
  await sql`insert into sqlite_sequence (name, seq) select 'messaging_deliveries', seq from sqlite_sequence where name = 'messaging_deliveries_before_waiting' and not exists (select 1 from sqlite_sequence where name = 'messaging_deliveries')`.execute(
    db,
  );
  await db.schema.dropTable('messaging_deliveries_before_waiting').execute();
  await db.schema
    .createIndex('messaging_deliveries_key_order')
    .on('messaging_deliveries')
    .columns(['group_name', 'key', 'message_seq'])
    .execute();
}
