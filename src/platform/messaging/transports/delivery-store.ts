import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import { asSchema, type Database, type Executor } from '../../db/database.js';
import type { Logger } from '../../observability/logger.js';
import { MalformedMessage } from '../contract.js';
import { DeferDelivery, retryDelayMs, type RetryPolicy } from '../retry.js';
import { dead, pending, waiting, type MessagingTables } from '../schema.js';
import type { DeadLetter, DeadLetterFilter, DeadLetterStore, DeliveryBacklog, GroupLag } from '../transport.js';
import type { DeliveryRow } from './delivery-row.js';

type DeadLetterQuery<O> = SelectQueryBuilder<
  MessagingTables & { d: MessagingTables['messaging_deliveries']; o: MessagingTables['outbox'] },
  'd' | 'o',
  O
>;

/** The dead-letter filter on a query over deliveries `d` joined to their messages `o`. */
function matching<O>(query: DeadLetterQuery<O>, filter: DeadLetterFilter): DeadLetterQuery<O> {
  let q = query;
  if (filter.group !== undefined) q = q.where('d.group_name', '=', filter.group);
  if (filter.type !== undefined) q = q.where('o.type', '=', filter.type);
  return q;
}

/** Ids of up to `limit` dead deliveries matching `filter`, oldest first, read in `tx` (the redrive's). */
export async function deadMatching(tx: Executor, filter: DeadLetterFilter, limit: number): Promise<number[]> {
  const query = asSchema<MessagingTables>(tx)
    .selectFrom('messaging_deliveries as d')
    .innerJoin('outbox as o', 'o.id', 'd.message_id')
    .select('d.id')
    .where(dead());
  const rows = await matching(query, filter).orderBy('d.id', 'asc').limit(limit).execute();
  return rows.map((r) => r.id);
}

/**
 * What the table queue writes and reads about deliveries besides claiming them: a failure's retry or dead
 * letter, a deferral, the dead letters, and the counts and backlog operators and `orderly verify` see.
 */
export function createDeliveryStore(database: Database, logger: Logger, wake: () => void) {
  const db: Kysely<MessagingTables> = asSchema<MessagingTables>(database.db);

  // Counted state by state, each from its own partial index rather than by scanning the table.
  async function count(state: typeof pending): Promise<number> {
    const row = await db.selectFrom('messaging_deliveries').select(sql<number>`count(*)`.as('n')).where(state()).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async function counts(): Promise<{ pending: number; dead: number }> {
    return { pending: (await count(pending)) + (await count(waiting)), dead: await count(dead) };
  }

  async function fail(row: DeliveryRow, error: unknown, policy: RetryPolicy): Promise<void> {
    if (error instanceof DeferDelivery) return defer(row, error);
    const attempts = row.attempts + 1;
    const message = error instanceof Error ? error.message : String(error);
    // A message that does not match its contract will not match it next time either.
    const dead = attempts >= policy.maxAttempts || error instanceof MalformedMessage;
    const now = new Date();
    await db
      .updateTable('messaging_deliveries')
      .set({
        attempts,
        status: dead ? 'dead' : 'waiting',
        dead_at: dead ? now.toISOString() : null,
        next_attempt_at: new Date(now.getTime() + (dead ? 0 : retryDelayMs(policy, attempts))).toISOString(),
        last_error: message.slice(0, 2000),
        lease_owner: null,
        lease_until: null,
      })
      .where('id', '=', row.id)
      .execute();
    const log = { group: row.group_name, messageId: row.message_id, type: row.type, key: row.key, attempts, err: error };
    if (dead) logger.error(log, 'message dead-lettered');
    else logger.warn(log, 'message handling failed; will retry');
  }

  async function defer(row: DeliveryRow, deferral: DeferDelivery): Promise<void> {
    await db
      .updateTable('messaging_deliveries')
      .set({
        status: 'waiting',
        next_attempt_at: new Date(Date.now() + deferral.delayMs).toISOString(),
        last_error: deferral.message.slice(0, 2000),
        lease_owner: null,
        lease_until: null,
      })
      .where('id', '=', row.id)
      .execute();
    logger.debug(
      {
        group: row.group_name,
        messageId: row.message_id,
        type: row.type,
        key: row.key,
        delayMs: deferral.delayMs,
        reason: deferral.message,
      },
      'message deferred',
    );
  }

  const deadLetters: DeadLetterStore = {
    async list(limit, before, filter = {}) {
      let query = db
        .selectFrom('messaging_deliveries as d')
        .innerJoin('outbox as o', 'o.id', 'd.message_id')
        .select([
          'd.id',
          'd.message_id',
          'o.type',
          'o.key',
          'd.group_name',
          'd.attempts',
          'd.last_error',
          'o.occurred_at',
          'd.dead_at',
          'o.data',
        ])
        .where(dead());
      query = matching(query, filter);
      if (before !== undefined) query = query.where('d.id', '<', Number(before));
      const rows = await query.orderBy('d.id', 'desc').limit(limit).execute();
      return rows.map(
        (r): DeadLetter => ({
          id: String(r.id),
          messageId: r.message_id,
          type: r.type,
          key: r.key,
          group: r.group_name,
          attempts: r.attempts,
          error: r.last_error,
          occurredAt: r.occurred_at,
          deadAt: r.dead_at ?? r.occurred_at,
          data: JSON.parse(r.data) as unknown,
        }),
      );
    },
    async redrive(id, within) {
      if (!/^\d{1,15}$/.test(id)) return false;
      const redriven = await database.db.transaction().execute(async (tx) => {
        const result = await asSchema<MessagingTables>(tx)
          .updateTable('messaging_deliveries')
          .set({
            status: 'pending',
            attempts: 0,
            next_attempt_at: new Date().toISOString(),
            dead_at: null,
            lease_owner: null,
            lease_until: null,
          })
          .where('id', '=', Number(id))
          .where('status', '=', 'dead')
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) !== 1) return false;
        await within?.(tx);
        return true;
      });
      if (redriven) wake();
      return redriven;
    },
    async redriveMatching(tx, filter, limit) {
      const ids = await deadMatching(tx, filter, limit);
      if (ids.length === 0) return 0;
      const result = await asSchema<MessagingTables>(tx)
        .updateTable('messaging_deliveries')
        .set({
          status: 'pending',
          attempts: 0,
          next_attempt_at: new Date().toISOString(),
          dead_at: null,
          lease_owner: null,
          lease_until: null,
        })
        .where('id', 'in', ids)
        .where('status', '=', 'dead')
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    wake,
    count: () => count(dead),
  };

  async function lagByGroup(): Promise<Map<string, GroupLag>> {
    const rows = await db
      .selectFrom('messaging_deliveries')
      .select(['group_name', sql<number>`count(*)`.as('n'), sql<string | null>`min(created_at)`.as('oldest')])
      .where('status', 'in', ['pending', 'waiting'])
      .groupBy('group_name')
      .execute();
    return new Map(rows.map((r) => [r.group_name, { backlog: Number(r.n), oldestAt: r.oldest }]));
  }

  async function pendingByGroup(): Promise<Map<string, number>> {
    const rows = await db
      .selectFrom('messaging_deliveries')
      .select(['group_name', sql<number>`count(*)`.as('n')])
      .where('status', 'in', ['pending', 'waiting'])
      .groupBy('group_name')
      .execute();
    return new Map(rows.map((r) => [r.group_name, Number(r.n)]));
  }

  return {
    fail,
    pendingByGroup,
    lagByGroup,
    deadLetters,
    counts,
    async backlog(groupsFor: (type: string) => string[], overdueAfterMs: number): Promise<DeliveryBacklog> {
      const now = Date.now();
      const overdueBefore = new Date(now - overdueAfterMs).toISOString();
      const overdue = await db
        .selectFrom('messaging_deliveries as d')
        .innerJoin('outbox as o', 'o.id', 'd.message_id')
        .select(['d.message_id', 'o.type', 'd.group_name', 'd.attempts', 'd.next_attempt_at'])
        .where('d.status', 'in', ['pending', 'waiting'])
        .where('d.next_attempt_at', '<', overdueBefore)
        .where((eb) => eb.or([eb('d.lease_until', 'is', null), eb('d.lease_until', '<', new Date(now).toISOString())]))
        .limit(100)
        .execute();
      const types = await db.selectFrom('outbox').select('type').distinct().execute();
      const lost: DeliveryBacklog['lost'] = [];
      for (const { type } of types) {
        for (const group of groupsFor(type)) {
          const missing = await db
            .selectFrom('outbox as o')
            .select(['o.id', 'o.type'])
            .where('o.type', '=', type)
            .where(({ not, exists, selectFrom }) =>
              not(
                exists(
                  selectFrom('messaging_inbox as i')
                    .select('i.message_id')
                    .whereRef('i.message_id', '=', 'o.id')
                    .where('i.group_name', '=', group),
                ),
              ),
            )
            .where(({ not, exists, selectFrom }) =>
              not(
                exists(
                  selectFrom('messaging_deliveries as d')
                    .select('d.id')
                    .whereRef('d.message_id', '=', 'o.id')
                    .where('d.group_name', '=', group),
                ),
              ),
            )
            .limit(100)
            .execute();
          lost.push(...missing.map((m) => ({ messageId: m.id, type: m.type, group })));
        }
      }
      return {
        ...(await counts()),
        overdue: overdue.map((o) => ({
          messageId: o.message_id,
          type: o.type,
          group: o.group_name,
          attempts: o.attempts,
          dueSince: o.next_attempt_at,
        })),
        lost,
      };
    },
  };
}
