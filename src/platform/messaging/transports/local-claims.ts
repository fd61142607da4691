import { asSchema, type Database } from '../../db/database.js';
import { prepare, prepareRows } from '../../db/prepared.js';
import { pending, waiting, type MessagingTables } from '../schema.js';
import type { DeliveryRow } from './delivery-row.js';

/**
 * Claims for the table queue: the oldest due delivery of each (group, key) that nobody else holds, leased
 * to `owner` for `leaseMs`. Per key and group only the oldest pending delivery is ever handed out, which
 * keeps per-key order across retries and across competing processes.
 */
export function createClaims(database: Database, owner: string, leaseMs: number) {
  // The claim's statements, compiled once (see db/prepared.ts): a claim runs for every batch of deliveries.
  const promoteDue = prepare<{ now: string }>(database.db, (d, v) =>
    asSchema<MessagingTables>(d)
      .updateTable('messaging_deliveries')
      .set({ status: 'pending' })
      .where(waiting())
      .where('next_attempt_at', '<=', v.now),
  );
  const lease = prepare<{ now: string; leaseUntil: string; limit: number }>(database.db, (d, v) => {
    const deliveries = asSchema<MessagingTables>(d);
    const candidates = deliveries
      .selectFrom('messaging_deliveries as d')
      .select('d.id')
      .where(pending())
      .where('d.next_attempt_at', '<=', v.now)
      .where((eb) => eb.or([eb('d.lease_until', 'is', null), eb('d.lease_until', '<', v.now)]))
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('messaging_deliveries as e')
              .select('e.id')
              .whereRef('e.group_name', '=', 'd.group_name')
              .whereRef('e.key', '=', 'd.key')
              .where('e.status', 'in', ['pending', 'waiting'])
              .whereRef('e.message_seq', '<', 'd.message_seq'),
          ),
        ),
      )
      .orderBy('d.root_seq')
      .orderBy('d.message_seq')
      .limit(v.limit);
    // On PostgreSQL, processes claiming at once each take rows the others have not locked, instead of all
    // racing for the same oldest ones and all but one finding them gone.
    const picked = database.dialect === 'postgres' ? candidates.forUpdate().skipLocked() : candidates;
    // One statement picks and leases: between a separate read and write another process could lease the same rows.
    return deliveries
      .updateTable('messaging_deliveries')
      .set({ lease_owner: owner, lease_until: v.leaseUntil })
      .where('id', 'in', picked)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', v.now)]))
      .returning('id');
  });
  const leasedRows = prepareRows<{ id: number }>(database.db, (d, ids) =>
    asSchema<MessagingTables>(d)
      .selectFrom('messaging_deliveries as d')
      .innerJoin('outbox as o', 'o.id', 'd.message_id')
      .select([
        'd.id',
        'd.group_name',
        'd.attempts',
        'd.root_seq',
        'd.message_id',
        'o.type',
        'o.version',
        'o.key',
        'o.occurred_at',
        'o.traceparent',
        'o.data',
      ])
      .where(
        'd.id',
        'in',
        ids.map((i) => i.id),
      )
      .where('d.lease_owner', '=', owner)
      .orderBy('d.root_seq')
      .orderBy('d.message_seq'),
  );

  return async function claim(now: Date, limit: number): Promise<DeliveryRow[]> {
    const nowIso = now.toISOString();
    await promoteDue.execute(database.db, { now: nowIso });
    const leased = await lease.execute<{ id: number }>(database.db, {
      now: nowIso,
      leaseUntil: new Date(now.getTime() + leaseMs).toISOString(),
      limit,
    });
    if (leased.rows.length === 0) return [];
    return (await leasedRows.execute<DeliveryRow>(database.db, leased.rows)).rows;
  };
}
