import { asSchema, type Executor } from '../db/database.js';
import { prepareRows } from '../db/prepared.js';
import type { MessagingTables } from './schema.js';

type OutboxRow = Omit<MessagingTables['outbox'], 'seq'>;
type InboxRow = MessagingTables['messaging_inbox'];
type DeliveryRow = Omit<MessagingTables['messaging_deliveries'], 'id'>;

const tables = (db: Executor) => asSchema<MessagingTables>(db);

/** Records messages as applied by groups, ignoring a repeat. */
const inboxInsert = (d: Executor, rows: InboxRow[]) =>
  tables(d)
    .insertInto('messaging_inbox')
    .values(rows.map((r) => ({ group_name: r.group_name, message_id: r.message_id, applied_at: r.applied_at })))
    .onConflict((oc) => oc.columns(['group_name', 'message_id']).doNothing());

/**
 * The statements the bus runs for every message and every delivery, compiled once for `db`'s dialect
 * (see prepared.ts): building them with Kysely on every call cost more than running them on SQLite.
 */
export function messagingStatements(db: Executor) {
  return {
    insertOutbox: prepareRows<OutboxRow>(db, (d, rows) =>
      tables(d)
        .insertInto('outbox')
        .values(
          rows.map((r) => ({
            id: r.id,
            type: r.type,
            version: r.version,
            key: r.key,
            occurred_at: r.occurred_at,
            traceparent: r.traceparent,
            data: r.data,
            dispatched_at: r.dispatched_at,
          })),
        )
        .returning(['id', 'seq']),
    ),

    /** Records messages as applied by groups; a repeat is ignored, and the affected row count tells which. */
    insertInbox: prepareRows<InboxRow>(db, inboxInsert),

    /** `insertInbox` that returns the records it made: the messages no one had applied for that group. */
    recordApplied: prepareRows<InboxRow>(db, (d, rows) => inboxInsert(d, rows).returning(['group_name', 'message_id'])),

    insertDeliveries: prepareRows<DeliveryRow>(db, (d, rows) =>
      tables(d)
        .insertInto('messaging_deliveries')
        .values(
          rows.map((r) => ({
            message_id: r.message_id,
            message_seq: r.message_seq,
            root_seq: r.root_seq,
            group_name: r.group_name,
            key: r.key,
            status: r.status,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            lease_owner: r.lease_owner,
            lease_until: r.lease_until,
            last_error: r.last_error,
            created_at: r.created_at,
            dead_at: r.dead_at,
          })),
        ),
    ),

    deleteDeliveries: prepareRows<{ id: number }>(db, (d, rows) =>
      tables(d)
        .deleteFrom('messaging_deliveries')
        .where(
          'id',
          'in',
          rows.map((r) => r.id),
        ),
    ),
  };
}

export type MessagingStatements = ReturnType<typeof messagingStatements>;
