import { randomUUID } from 'node:crypto';
import { asSchema, type Database } from '../../db/database.js';
import type { Logger } from '../../observability/logger.js';
import { listen, notifyOnCommit, type Listener } from '../../db/listen.js';
import { createWorkLoop, type WorkLoop } from '../../work-loop.js';
import type { RetryPolicy } from '../retry.js';
import type { MessagingTables } from '../schema.js';
import { messagingStatements } from '../statements.js';
import type { Delivery, Transport } from '../transport.js';
import { envelopeOf, type DeliveryRow } from './delivery-row.js';
import { createDeliveryStore } from './delivery-store.js';
import { createClaims } from './local-claims.js';

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

/** Where committed deliveries are announced on PostgreSQL, so an idle process in another one is woken. */
const DELIVERIES_CHANNEL = 'orderly_deliveries';

/**
 * The embedded transport: the queue is a table in the same database as the outbox, filled in the
 * producer's transaction, so a committed message is never lost and an uncommitted one never seen.
 * Up to `concurrency` deliveries are in flight, and more are claimed as soon as a quarter of the slots
 * free: a slow handler (a payment provider taking its time) holds one slot, never the whole consumer.
 * On PostgreSQL, processes compete: claims skip rows another has locked, and a commit that enqueues
 * deliveries wakes every listening process (LISTEN/NOTIFY), polling kept only as a safety net.
 */
export function createLocalTransport(database: Database, logger: Logger, options: LocalTransportOptions): Transport {
  const owner = randomUUID();
  const statements = messagingStatements(database.db);
  const claim = createClaims(database, owner, options.leaseMs);
  const inFlight = new Set<Promise<void>>();
  const held = new Set<number>();
  // The queue row behind each delivery handed out, for settling it.
  const rowOf = new WeakMap<Delivery, number>();
  let loop: WorkLoop | null = null;
  let renewal: NodeJS.Timeout | null = null;
  let listener: Listener | null = null;
  const wake = () => loop?.wake();
  const store = createDeliveryStore(database, logger, wake);

  // Leases are short so a crashed process's claims lapse quickly; a live process renews its own.
  function renewLeases(): void {
    if (held.size === 0) return;
    asSchema<MessagingTables>(database.db)
      .updateTable('messaging_deliveries')
      .set({ lease_until: new Date(Date.now() + options.leaseMs).toISOString() })
      .where('lease_owner', '=', owner)
      .where('id', 'in', [...held])
      .execute()
      .catch((error: unknown) => logger.warn({ err: error }, 'could not renew delivery leases'));
  }

  async function deliver(row: DeliveryRow, handle: (delivery: Delivery) => Promise<void>, policyFor: (group: string) => RetryPolicy) {
    const delivery: Delivery = {
      group: row.group_name,
      envelope: envelopeOf(row),
      attempt: row.attempts + 1,
      root: row.root_seq,
    };
    rowOf.set(delivery, row.id);
    try {
      await handle(delivery);
    } catch (error) {
      await store
        .fail(row, error, policyFor(row.group_name))
        .catch((e: unknown) => logger.error({ err: e }, 'could not record a failed delivery'));
    }
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
      // Other processes learn of the deliveries when this commits, not at their next poll.
      if (database.connectionUrl !== null) await notifyOnCommit(tx, DELIVERIES_CHANNEL);
    },

    async settle(tx, deliveries) {
      const rows = [...new Set(deliveries.map((d) => rowOf.get(d)))].flatMap((id) => (id === undefined ? [] : [{ id }]));
      if (rows.length > 0) await statements.deleteDeliveries.execute(tx, rows);
    },

    start(handle, policyFor) {
      if (loop) return;
      renewal = setInterval(renewLeases, Math.max(100, Math.floor(options.leaseMs / 3)));
      loop = createWorkLoop({
        name: 'messaging.local',
        idleMs: options.pollIntervalMs,
        logger,
        async pass() {
          const concurrency = options.busyConcurrency !== undefined && options.edgeBusy?.() ? options.busyConcurrency : options.concurrency;
          const free = concurrency - inFlight.size;
          // Claim in batches: a claim per freed slot would cost more than the deliveries it hands out.
          if (free <= 0 || (inFlight.size > 0 && free < Math.ceil(concurrency / 4))) return 'idle';
          const rows = await claim(new Date(), Math.min(free, options.batchSize));
          for (const row of rows) {
            held.add(row.id);
            const task: Promise<void> = deliver(row, handle, policyFor).finally(() => {
              inFlight.delete(task);
              held.delete(row.id);
              // A finished delivery frees a slot, and often unblocks the next message of its key.
              wake();
            });
            inFlight.add(task);
          }
          return rows.length > 0 ? 'busy' : 'idle';
        },
      });
      loop.start();
      if (database.connectionUrl !== null) listener = listen(database.connectionUrl, DELIVERIES_CHANNEL, wake, logger);
    },

    wake,

    async stop() {
      await listener?.close();
      await loop?.stop();
      await Promise.all(inFlight);
      if (renewal) clearInterval(renewal);
      loop = null;
    },

    deadLetters: store.deadLetters,
    counts: store.counts,
    backlog: store.backlog,
    pendingByGroup: store.pendingByGroup,
    lagByGroup: store.lagByGroup,
    // The queue is the database: healthy when it is, which /readyz checks already.
    health: async () => undefined,
    close: async () => undefined,
  };
}
