import type { Generated, Kysely } from 'kysely';
import { asSchema, type Executor } from '../db/database.js';
import { newId, nowIso } from '../db/ids.js';
import { dialectOf, type MigrationSet } from '../db/migrations.js';
import type { EventEnvelope, NewEvent } from './envelope.js';

interface OutboxTables {
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
}

export const outboxMigrations: MigrationSet = {
  owner: 'messaging',
  migrations: {
    '0001_outbox': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('outbox')
          .addColumn('seq', 'integer', (c) => (dialectOf(db) === 'postgres' ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey().autoIncrement()))
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
  },
};

/**
 * Appends events inside the caller's transaction, so they are committed exactly when the state change is:
 * nothing is published that was not committed, and nothing committed is lost.
 */
export async function appendToOutbox(tx: Executor, events: NewEvent[]): Promise<EventEnvelope[]> {
  if (events.length === 0) return [];
  const occurredAt = nowIso();
  const envelopes: EventEnvelope[] = events.map((event) => ({
    id: newId('msg'),
    type: event.type,
    version: event.version ?? 1,
    occurredAt,
    key: event.key,
    ...(event.traceparent === undefined ? {} : { traceparent: event.traceparent }),
    data: event.data,
  }));
  await asSchema<OutboxTables>(tx)
    .insertInto('outbox')
    .values(envelopes.map((e) => ({
      id: e.id,
      type: e.type,
      version: e.version,
      key: e.key,
      occurred_at: e.occurredAt,
      traceparent: e.traceparent ?? null,
      data: JSON.stringify(e.data),
      dispatched_at: null,
    })))
    .execute();
  return envelopes;
}
