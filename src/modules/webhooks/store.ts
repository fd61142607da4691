import { sql, type Kysely, type Selectable } from 'kysely';
import { asSchema, type Executor, type SqlDialect } from '../../platform/db/database.js';
import { firstIdAt, newId } from '../../platform/db/ids.js';

export type DisabledReason = 'gone' | 'failing' | 'manual';
export type DeliveryStatus = 'pending' | 'delivering' | 'succeeded' | 'dead';

export interface WebhookTables {
  webhook_endpoints: {
    id: string;
    url: string;
    events: string;
    description: string;
    disabled: number;
    disabled_reason: DisabledReason | null;
    secret: string;
    previous_secret: string | null;
    previous_secret_until: string | null;
    failing_since: string | null;
    created_at: string;
    updated_at: string;
  };
  /** `traceparent`: the trace of the event (its handling), which each delivery attempt continues. */
  webhook_messages: { id: string; type: string; body: string; occurred_at: string; traceparent: string | null };
  /** A single row: bumped by every change to the endpoints (created, changed, disabled, rotated, deleted). */
  webhook_endpoint_changes: { id: number; version: number };
  webhook_deliveries: {
    id: string;
    message_id: string;
    endpoint_id: string;
    status: DeliveryStatus;
    attempts: number;
    next_attempt_at: string;
    last_error: string | null;
    created_at: string;
    /** When it last went dead; kept through a redrive, so a delivered one with it set was a dead letter resolved. */
    dead_at: string | null;
  };
  /** The endpoints of a message still to be given deliveries, from `next_index` on (a JSON array of ids). */
  webhook_fanouts: { message_id: string; endpoint_ids: string; next_index: number; created_at: string };
  webhook_attempts: {
    id: string;
    delivery_id: string;
    endpoint_id: string;
    message_id: string;
    event_type: string;
    attempt: number;
    status: 'succeeded' | 'failed';
    response_status: number | null;
    duration_ms: number;
    error: string | null;
    at: string;
    /** JSON of the headers sent; null for attempts recorded before, or when nothing was sent. */
    request_headers: string | null;
    response_body: string | null;
  };
}

export type EndpointRow = Selectable<WebhookTables['webhook_endpoints']>;
export type AttemptRow = Selectable<WebhookTables['webhook_attempts']>;
/** A fan-out not finished, with its message (`pendingFanouts`). */
export type PendingFanout = Awaited<ReturnType<ReturnType<typeof createWebhooksStore>['pendingFanouts']>>[number];

/** A delivery waiting to be claimed. */
export function pendingDelivery(messageId: string, endpointId: string, at: string): WebhookTables['webhook_deliveries'] {
  return {
    id: newId('whd'),
    message_id: messageId,
    endpoint_id: endpointId,
    status: 'pending',
    attempts: 0,
    next_attempt_at: at,
    last_error: null,
    created_at: at,
    dead_at: null,
  };
}

/** The condition of the partial index by endpoint (migration 0002), in its exact words, so a query can use that index. */
export const WAITING_OR_DEAD = sql<boolean>`status in ('pending', 'dead')`;
/** The conditions of the partial indexes of live deliveries by due time and of dead ones (migration 0004), in their exact words. */
export const live = (table = 'webhook_deliveries') => sql<boolean>`${sql.ref(`${table}.status`)} in ('pending', 'delivering')`;
export const dead = (table = 'webhook_deliveries') => sql<boolean>`${sql.ref(`${table}.status`)} = 'dead'`;

/** In the transaction that changes an endpoint, so whoever sees the change sees the new version. */
export async function endpointsChanged(db: Kysely<WebhookTables>): Promise<void> {
  await db
    .updateTable('webhook_endpoint_changes')
    .set((eb) => ({ version: eb('version', '+', 1) }))
    .where('id', '=', 1)
    .execute();
}

export const webhookDb = (executor: Executor): Kysely<WebhookTables> => asSchema<WebhookTables>(executor);

export function createWebhooksStore(executor: Executor) {
  const db = webhookDb(executor);
  return {
    endpoint: (id: string) => db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst(),
    enabledEndpoints: () => db.selectFrom('webhook_endpoints').selectAll().where('disabled', '=', 0).execute(),

    listEndpoints(limit: number, after?: string) {
      let q = db.selectFrom('webhook_endpoints').selectAll();
      if (after !== undefined) q = q.where('id', '>', after);
      return q.orderBy('id').limit(limit).execute();
    },

    message: (id: string) => db.selectFrom('webhook_messages').selectAll().where('id', '=', id).executeTakeFirst(),

    /**
     * In a transaction: keeps the message from the retention's delete until it ends (see retention.ts), so
     * deliveries added for it have it to send; false when it is gone already.
     */
    async holdMessage(id: string, dialect: SqlDialect): Promise<boolean> {
      const query = db.selectFrom('webhook_messages').select('id').where('id', '=', id);
      // SQLite writes one transaction at a time: a read in one is safe from the delete already.
      return (await (dialect === 'postgres' ? query.forShare() : query).executeTakeFirst()) !== undefined;
    },

    async saveMessage(row: Selectable<WebhookTables['webhook_messages']>): Promise<void> {
      await db
        .insertInto('webhook_messages')
        .values(row)
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    },

    async addDeliveries(rows: WebhookTables['webhook_deliveries'][]): Promise<void> {
      if (rows.length > 0) await db.insertInto('webhook_deliveries').values(rows).execute();
    },

    async saveFanout(row: WebhookTables['webhook_fanouts']): Promise<void> {
      await db.insertInto('webhook_fanouts').values(row).execute();
    },

    /** Fan-outs not finished, oldest first, with their message. */
    pendingFanouts: (limit: number) =>
      db
        .selectFrom('webhook_fanouts as f')
        .innerJoin('webhook_messages as m', 'm.id', 'f.message_id')
        .select(['f.message_id', 'f.endpoint_ids', 'f.next_index', 'm.type', 'm.body', 'm.occurred_at', 'm.traceparent'])
        .orderBy('f.message_id')
        .limit(limit)
        .execute(),

    /**
     * Moves a fan-out on from `from` to `to` (deleting it when that is the end); false when another
     * transaction moved it first, so each chunk is fanned out once.
     */
    async advanceFanout(messageId: string, from: number, to: number, total: number): Promise<boolean> {
      const result =
        to >= total
          ? await db.deleteFrom('webhook_fanouts').where('message_id', '=', messageId).where('next_index', '=', from).executeTakeFirst()
          : await db
              .updateTable('webhook_fanouts')
              .set({ next_index: to })
              .where('message_id', '=', messageId)
              .where('next_index', '=', from)
              .executeTakeFirst();
      return Number('numDeletedRows' in result ? result.numDeletedRows : result.numUpdatedRows) === 1;
    },

    enabledEndpointsIn: (ids: string[]) =>
      db.selectFrom('webhook_endpoints').selectAll().where('id', 'in', ids).where('disabled', '=', 0).execute(),

    endpointsOfMessage: async (messageId: string) =>
      (await db.selectFrom('webhook_deliveries').select('endpoint_id').distinct().where('message_id', '=', messageId).execute()).map(
        (r) => r.endpoint_id,
      ),

    attempts(endpointId: string, limit: number, before?: string) {
      let q = db.selectFrom('webhook_attempts').selectAll().where('endpoint_id', '=', endpointId);
      if (before !== undefined) q = q.where('id', '<', before);
      return q.orderBy('id', 'desc').limit(limit).execute();
    },

    /**
     * An endpoint's attempts since `since`: how many, how many succeeded, the latest, the last error, and
     * the durations at the given ranks (lowest first). Attempt ids are time-ordered, so the window is a
     * range of the (endpoint_id, id) index; the durations are sorted within it only.
     */
    async attemptWindow(endpointId: string, since: Date) {
      const inWindow = () =>
        db.selectFrom('webhook_attempts').where('endpoint_id', '=', endpointId).where('id', '>=', firstIdAt('wha', since));
      const totals = await inWindow()
        .select((eb) => [
          eb.fn.countAll<number | string>().as('attempts'),
          eb.fn.sum<number | string | null>(eb.case().when('status', '=', 'succeeded').then(1).else(0).end()).as('succeeded'),
          eb.fn.max('id').as('latest'),
        ])
        .executeTakeFirstOrThrow();
      const attempts = Number(totals.attempts);
      if (attempts === 0) return { attempts, succeeded: 0, lastAt: null, lastError: null, durationAt: async () => null };
      const [latest, failed] = await Promise.all([
        inWindow()
          .select('at')
          .where('id', '=', totals.latest as string)
          .executeTakeFirst(),
        inWindow().select('error').where('status', '=', 'failed').orderBy('id', 'desc').limit(1).executeTakeFirst(),
      ]);
      return {
        attempts,
        succeeded: Number(totals.succeeded ?? 0),
        lastAt: latest?.at ?? null,
        lastError: failed?.error ?? null,
        /** The duration at 0-based rank `rank` of the window's attempts, fastest first. */
        durationAt: async (rank: number) =>
          (await inWindow().select('duration_ms').orderBy('duration_ms').limit(1).offset(rank).executeTakeFirst())?.duration_ms ?? null,
      };
    },
  };
}
