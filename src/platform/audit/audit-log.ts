import type { Executor } from '../db/database.js';
import { asSchema } from '../db/database.js';
import { newId, nowIso } from '../db/ids.js';
import type { AuditTables } from './schema.js';
import { SECRET_NAME } from '../observability/log-redaction.js';

/** Who did it and from where: an admin over HTTP, or the process itself. */
export interface AuditActor {
  /** The user id, or `system`. */
  id: string;
  /** The client's address (request.ip, which honours ORDERLY_TRUSTED_PROXIES); null for `system`. */
  address: string | null;
}

/** What the process does on its own account, such as making the bootstrap admin at start-up. */
export const SYSTEM_ACTOR: AuditActor = { id: 'system', address: null };

/** One admin action: `product.updated` on `prd_…`, with the state it changed before and after, where it has them. */
export interface AuditEntry {
  actor: AuditActor;
  action: string;
  subject: string;
  before?: unknown;
  after?: unknown;
}

/** Keys whose values never go into the log, at any depth, whatever a caller hands in: the logs' rule, and hashes. */
const SECRET_KEY = new RegExp(`${SECRET_NAME.source}|(^|[_-])hash$`, 'i');

function redacted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redacted);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !SECRET_KEY.test(key))
      .map(([key, v]) => [key, redacted(v)]),
  );
}

const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(redacted(value)));

/**
 * Records an admin action in `tx`, the transaction of the change itself: the record commits with the
 * change or not at all, so a change that fails or rolls back leaves no record. Secret-looking keys
 * (as the logs censor them, and hashes) are dropped from before and after.
 */
export async function recordAudit(tx: Executor, entry: AuditEntry): Promise<void> {
  await asSchema<AuditTables>(tx)
    .insertInto('audit_log')
    .values({
      id: newId('aud'),
      actor: entry.actor.id,
      action: entry.action,
      subject: entry.subject,
      before: json(entry.before),
      after: json(entry.after),
      address: entry.actor.address,
      at: nowIso(),
    })
    .execute();
}
