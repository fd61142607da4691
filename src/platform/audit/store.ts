import type { Executor } from '../db/database.js';
import { asSchema } from '../db/database.js';
import type { AuditTables } from './schema.js';

export interface AuditRecord {
  id: string;
  actor: string;
  action: string;
  subject: string;
  before?: unknown;
  after?: unknown;
  address: string | null;
  at: string;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  subject?: string;
  /** Only records older than this id (the cursor). */
  before?: string;
  limit: number;
}

/** Reads the audit log; there is deliberately no way here to change or remove a record. */
export interface AuditStore {
  /** Newest first. */
  list(filter: AuditFilter): Promise<AuditRecord[]>;
}

export function createAuditStore(executor: Executor): AuditStore {
  const db = asSchema<AuditTables>(executor);
  return {
    async list(filter) {
      let query = db.selectFrom('audit_log').selectAll();
      if (filter.actor !== undefined) query = query.where('actor', '=', filter.actor);
      if (filter.action !== undefined) query = query.where('action', '=', filter.action);
      if (filter.subject !== undefined) query = query.where('subject', '=', filter.subject);
      if (filter.before !== undefined) query = query.where('id', '<', filter.before);
      const rows = await query.orderBy('id', 'desc').limit(filter.limit).execute();
      return rows.map((row) => ({
        id: row.id,
        actor: row.actor,
        action: row.action,
        subject: row.subject,
        ...(row.before === null ? {} : { before: JSON.parse(row.before) as unknown }),
        ...(row.after === null ? {} : { after: JSON.parse(row.after) as unknown }),
        address: row.address,
        at: row.at,
      }));
    },
  };
}
