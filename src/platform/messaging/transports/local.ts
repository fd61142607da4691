import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { asSchema, type Database, type Executor } from '../../db/database.js';
import type { Logger } from '../../observability/logger.js';
import { MalformedMessage } from '../contract.js';
import type { EventEnvelope } from '../envelope.js';
import { DeferDelivery, retryDelayMs, type RetryPolicy } from '../retry.js';
import { dead, pending, waiting, type MessagingTables } from '../schema.js';
import { prepare, prepareRows } from '../../db/prepared.js';
import { messagingStatements } from '../statements.js';
import type { DeadLetter, Delivery, DeliveryBacklog, Transport } from '../transport.js';

export interface LocalTransportOptions {
  /** How often to look for work when nothing woke the dispatcher (other processes commit too). */
  pollIntervalMs: number;
  /** How long a claimed delivery is ours; a crashed process's claims lapse after this. */
  leaseMs: number;
  batchSize: number;
  concurrency: number;
  /** Deliveries in flight while `edgeBusy()` says requests are coming in: turns short enough for them to get in between. */
  busyConcurrency?: number;
  edgeBusy?: () => boolean;
}

// With SQLite every query resolves at once, so a busy dispatcher would run on microtasks alone and
// starve the HTTP server; yielding a macrotask between deliveries lets requests in.
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

type Row = {
  id: number;
  group_name: string;
  attempts: number;
  root_seq: number;
  message_id: string;
  type: string;
  version: number;
  key: string;
  occurred_at: string;
  traceparent: string | null;
  data: string;
};

function envelopeOf(row: Row): EventEnvelope {
  return {
    id: row.message_id,
    type: row.type,
    version: row.version,
    occurredAt: row.occurred_at,
    key: row.key,
    ...(row.traceparent === null ? {} : { traceparent: row.traceparent }),
    data: JSON.parse(row.data) as unknown,
  };
}

/**
 * The embedded transport: the queue is a table in the same database as the outbox, filled in the
 * producer's transaction, so a committed message is never lost and an uncommitted one never seen.
 * Per key and group only the oldest pending delivery is ever handed out, which keeps per-key order
 * across retries and across competing processes.
 */
export function createLocalTransport(database: Database, logger: Logger, options: LocalTransportOptions): Transport {
  const db: Kysely<MessagingTables> = asSchema<MessagingTables>(database.db);
  const owner = randomUUID();
  const statements = messagingStatements(database.db);
  let running = false;
  let loop: Promise<void> | null = null;
  let wakeUp: (() => void) | null = null;
  let woken = false;

  function sleep(ms: number): Promise<void> {
    if (woken) {
      woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeUp = null;
        woken = false;
        resolve();
      }
      wakeUp = done;
    });
  }

  // Counted state by state, each from its own partial index rather than by scanning the table.
  async function count(state: typeof pending): Promise<number> {
    const row = await db.selectFrom('messaging_deliveries').select(sql<number>`count(*)`.as('n')).where(state()).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async function counts(): Promise<{ pending: number; dead: number }> {
    return { pending: (await count(pending)) + (await count(waiting)), dead: await count(dead) };
  }

  function wake(): void {
    if (wakeUp) wakeUp();
    else woken = true;
  }

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
    // One statement picks and leases: between a separate read and write another process could lease the same rows.
    return deliveries
      .updateTable('messaging_deliveries')
      .set({ lease_owner: owner, lease_until: v.leaseUntil })
      .where('id', 'in', candidates)
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

  /** Claims the oldest due delivery of each (group, key) that nobody else holds. */
  async function claim(now: Date, limit: number): Promise<Row[]> {
    const nowIso = now.toISOString();
    await promoteDue.execute(database.db, { now: nowIso });
    const leased = await lease.execute<{ id: number }>(database.db, {
      now: nowIso,
      leaseUntil: new Date(now.getTime() + options.leaseMs).toISOString(),
      limit,
    });
    if (leased.rows.length === 0) return [];
    return (await leasedRows.execute<Row>(database.db, leased.rows)).rows;
  }

  async function fail(row: Row, error: unknown, policy: RetryPolicy): Promise<void> {
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

  async function defer(row: Row, deferral: DeferDelivery): Promise<void> {
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

  /**
   * Keeps up to `concurrency` deliveries in flight and claims more as soon as a slot frees: a slow
   * handler (a payment provider taking its time) holds one slot, never the whole dispatcher.
   */
  async function run(handle: (delivery: Delivery) => Promise<void>, policyFor: (group: string) => RetryPolicy): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    const heldIds = new Set<number>();
    // Leases are short so a crashed process's claims lapse quickly; a live process renews its own.
    const renewal = setInterval(
      () => {
        if (heldIds.size === 0) return;
        db.updateTable('messaging_deliveries')
          .set({ lease_until: new Date(Date.now() + options.leaseMs).toISOString() })
          .where('lease_owner', '=', owner)
          .where('id', 'in', [...heldIds])
          .execute()
          .catch((error: unknown) => logger.warn({ err: error }, 'could not renew delivery leases'));
      },
      Math.max(100, Math.floor(options.leaseMs / 3)),
    );

    const deliver = async (row: Row) => {
      const delivery: Delivery = {
        group: row.group_name,
        envelope: envelopeOf(row),
        attempt: row.attempts + 1,
        root: row.root_seq,
        settle: async (tx: Executor) => {
          await statements.deleteDelivery.execute(tx, { id: row.id });
        },
      };
      try {
        await handle(delivery);
      } catch (error) {
        await fail(row, error, policyFor(row.group_name)).catch((e: unknown) =>
          logger.error({ err: e }, 'could not record a failed delivery'),
        );
      }
    };

    while (running) {
      const concurrency = options.busyConcurrency !== undefined && options.edgeBusy?.() ? options.busyConcurrency : options.concurrency;
      const free = concurrency - inFlight.size;
      let rows: Row[] = [];
      // Claim in batches: a claim per freed slot would cost more than the deliveries it hands out.
      if (free > 0 && (inFlight.size === 0 || free >= Math.ceil(concurrency / 4))) {
        try {
          rows = await claim(new Date(), Math.min(free, options.batchSize));
        } catch (error) {
          logger.error({ err: error }, 'could not claim deliveries; retrying');
        }
      }
      for (const row of rows) {
        heldIds.add(row.id);
        const task: Promise<void> = deliver(row).finally(() => {
          inFlight.delete(task);
          heldIds.delete(row.id);
          // A finished delivery frees a slot, and often unblocks the next message of its key.
          wake();
        });
        inFlight.add(task);
      }
      if (rows.length === 0) await sleep(options.pollIntervalMs);
      else await yieldToEventLoop();
    }
    await Promise.all(inFlight);
    clearInterval(renewal);
  }

  return {
    async enqueue(tx, messages, groupsFor) {
      const rows = messages.flatMap(({ envelope, seq, root }) =>
        groupsFor(envelope.type).map((group) => ({ e: envelope, seq, root, group })),
      );
      if (rows.length === 0) return;
      await statements.insertDeliveries.execute(
        tx,
        rows.map(({ e, seq, root, group }) => ({
          message_id: e.id,
          message_seq: seq,
          root_seq: root,
          group_name: group,
          key: e.key,
          status: 'pending' as const,
          attempts: 0,
          next_attempt_at: e.occurredAt,
          lease_owner: null,
          lease_until: null,
          last_error: null,
          created_at: e.occurredAt,
          dead_at: null,
        })),
      );
    },

    start(handle, policyFor) {
      if (running) return;
      running = true;
      loop = run(handle, policyFor);
    },

    wake,

    async stop() {
      running = false;
      wakeUp?.();
      await loop;
      loop = null;
    },

    deadLetters: {
      async list(limit, before) {
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
      count: () => count(dead),
    },

    counts,

    async backlog(groupsFor, overdueAfterMs) {
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
