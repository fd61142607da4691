import type { Kysely } from 'kysely';
import type { MigrationSet } from '../db/migrations.js';

export interface AuditTables {
  audit_log: {
    id: string;
    /** A user id, or `system` for what the process does on its own (the bootstrap admin). */
    actor: string;
    action: string;
    /** The id (or SKU) of what was acted on. */
    subject: string;
    /** JSON, or null where the action has no before (a creation) or after (a deletion). */
    before: string | null;
    after: string | null;
    /** The client's address as the edge saw it (request.ip, through trusted proxies); null for `system`. */
    address: string | null;
    at: string;
  };
}

/**
 * The audit log is append-only: nothing in the code updates or deletes its rows, and no retention,
 * archiving or pruning job is given it.
 */
export const auditMigrations: MigrationSet = {
  owner: 'audit',
  migrations: {
    '0001_audit_log': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('audit_log')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('subject', 'text', (c) => c.notNull())
          .addColumn('before', 'text')
          .addColumn('after', 'text')
          .addColumn('address', 'text')
          .addColumn('at', 'text', (c) => c.notNull())
          .execute();
        // Each filter walks its own index newest first (ids are time-ordered).
        await db.schema.createIndex('audit_log_actor').on('audit_log').columns(['actor', 'id']).execute();
        await db.schema.createIndex('audit_log_action').on('audit_log').columns(['action', 'id']).execute();
        await db.schema.createIndex('audit_log_subject').on('audit_log').columns(['subject', 'id']).execute();
      },
    },
  },
};
