import { sql } from 'kysely';
import { asSchema, type Database } from '../../db/database.js';
import { listen, notifyOnCommit, type Listener } from '../../db/listen.js';
import type { Logger } from '../../observability/logger.js';
import { createWorkLoop, type WorkLoop } from '../../work-loop.js';
import type { MessagingTables } from '../schema.js';
import type { DeliveryBacklog, Transport } from '../transport.js';
import { createDeliveryStore, deadMatching } from './delivery-store.js';
import { connectNats, type NatsLink } from './nats-connection.js';
import { createNatsConsumers } from './nats-consumers.js';
import { createNatsRelay } from './nats-relay.js';
import { ensureTopology, type NatsTopology } from './nats-topology.js';
import { createConsumerWatchdog } from './nats-watchdog.js';

/** Where a commit that left messages for the broker is announced, so the relaying process publishes them at once. */
const OUTBOUND_CHANNEL = 'orderly_outbound';
// The broker's counts are a round trip per consumer: asked at most this often.
const COUNTS_FRESH_MS = 2_000;

export interface NatsTransportOptions extends NatsTopology {
  servers: string[];
  /** How often the relay looks for messages nobody announced (another process's commit, a missed NOTIFY). */
  pollIntervalMs: number;
  /** Told of each message on the stream that is not Orderly's (it is dropped). */
  unreadable?: (group: string) => void;
  /** Told of each consumer the watchdog made afresh after the broker left it stuck. */
  recreated?: (group: string) => void;
}

/**
 * The same bus contract on NATS JetStream. Outbox first, always: the producer's transaction writes its
 * messages and, for each, the groups it goes to (`messaging_outbound`); the relay (nats-relay.ts) publishes
 * them; durable consumers per (group, partition) hand them to whichever worker pulls (nats-consumers.ts).
 * Effects are exactly once through the inbox in PostgreSQL, as embedded; failures, dead letters and
 * redrives live in PostgreSQL too. The broker can be down: orders are accepted, and wait in the outbox.
 */
export function createNatsTransport(database: Database, logger: Logger, options: NatsTransportOptions): Transport {
  if (database.connectionUrl === null) throw new Error('the NATS transport needs PostgreSQL');
  const url = database.connectionUrl;
  const db = asSchema<MessagingTables>(database.db);
  const nats = connectNats(options.servers, 'orderly', logger);
  let topologyUp = false;
  const relay = createNatsRelay({ database, link: () => (topologyUp ? nats.current() : null), topology: options, logger });
  let relayLoop: WorkLoop | null = null;
  const watchdog = createConsumerWatchdog({ topology: options, logger, recreated: (group) => options.recreated?.(group) });
  let watchdogLoop: WorkLoop | null = null;
  let consumers: ReturnType<typeof createNatsConsumers> | null = null;
  let listener: Listener | null = null;
  const wake = () => relayLoop?.wake();
  const store = createDeliveryStore(database, logger, wake);
  let counted: { at: number; byGroup: Map<string, number> } | null = null;

  /** What the broker holds for each group: waiting, and handed out but not acknowledged. */
  async function brokerPending(): Promise<Map<string, number>> {
    if (counted && Date.now() - counted.at < COUNTS_FRESH_MS) return counted.byGroup;
    const link = nats.current() ?? (await nats.ready(5_000));
    const byGroup = new Map<string, number>();
    for await (const c of link.jsm.consumers.list(options.stream)) {
      const group = c.config.filter_subject?.split('.')[1] ?? c.name;
      byGroup.set(group, (byGroup.get(group) ?? 0) + c.num_pending + c.num_ack_pending);
    }
    counted = { at: Date.now(), byGroup };
    return byGroup;
  }

  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

  return {
    // Deliveries are only ever handed out by this process's consumers, once they exist.
    settle: async (tx, deliveries) => consumers?.settle(tx, deliveries),

    async enqueue(tx, messages, groupsFor) {
      const now = new Date().toISOString();
      const rows = messages
        .map(({ envelope, seq, root }) => ({
          message_seq: seq,
          root_seq: root,
          groups: JSON.stringify(groupsFor(envelope.type)),
          redrive: 0,
          created_at: now,
        }))
        .filter((r) => r.groups !== '[]');
      if (rows.length === 0) return;
      await asSchema<MessagingTables>(tx).insertInto('messaging_outbound').values(rows).execute();
      await notifyOnCommit(tx, OUTBOUND_CHANNEL);
    },

    start(handle, policyFor, groups) {
      if (relayLoop) return;
      // The stream and its consumers are set up on every (re)connection; consumers start pulling once they exist.
      let setUp: Promise<NatsLink> | null = null;
      const ready = (): Promise<NatsLink> =>
        (setUp ??= nats.ready(60_000).then(async (link) => {
          await ensureTopology(link.jsm, options, groups);
          topologyUp = true;
          relayLoop?.wake();
          return link;
        })).catch((error: unknown) => {
          setUp = null;
          logger.error({ err: error, stream: options.stream }, 'could not set up the NATS stream and consumers');
          throw error;
        });
      void ready().catch(() => undefined);
      relayLoop = createWorkLoop({ name: 'messaging.nats-relay', idleMs: options.pollIntervalMs, logger, pass: relay.pass });
      relayLoop.start();
      // The relaying process looks after the consumers too, at an ack wait's pace: one process, not all.
      watchdogLoop = createWorkLoop({
        name: 'messaging.nats-watchdog',
        idleMs: Math.max(options.ackWaitMs, 5_000),
        idleFirst: true,
        logger,
        pass: async () => {
          const link = topologyUp ? nats.current() : null;
          if (link && relay.leading()) await watchdog.check(link, groups);
          return 'idle';
        },
      });
      watchdogLoop.start();
      listener = listen(url, OUTBOUND_CHANNEL, wake, logger);
      consumers = createNatsConsumers({
        database,
        ready,
        topology: options,
        logger,
        handle,
        policyFor,
        unreadable: (group) => options.unreadable?.(group),
      });
      consumers.start(groups);
    },

    wake,

    async stop() {
      await listener?.close();
      await consumers?.stop();
      await watchdogLoop?.stop();
      await relayLoop?.stop();
      await relay.stop();
      relayLoop = null;
      watchdogLoop = null;
    },

    async close() {
      await nats.close();
    },

    deadLetters: {
      list: store.deadLetters.list,
      count: store.deadLetters.count,
      wake,
      /** As one redrive each, in the caller's transaction: each dead letter becomes a message for its one group. */
      async redriveMatching(tx, filter, limit) {
        const ids = await deadMatching(tx, filter, limit);
        if (ids.length === 0) return 0;
        const t = asSchema<MessagingTables>(tx);
        const dead = await t
          .deleteFrom('messaging_deliveries')
          .where('id', 'in', ids)
          .where('status', '=', 'dead')
          .returning(['message_seq', 'root_seq', 'group_name'])
          .execute();
        if (dead.length === 0) return 0;
        const now = new Date().toISOString();
        await t
          .insertInto('messaging_outbound')
          .values(
            dead.map((d) => ({
              message_seq: d.message_seq,
              root_seq: d.root_seq,
              groups: JSON.stringify([d.group_name]),
              redrive: 1,
              created_at: now,
            })),
          )
          .execute();
        await notifyOnCommit(tx, OUTBOUND_CHANNEL);
        return dead.length;
      },
      /** Back through the relay, outbox first: the dead letter becomes a message for its one group again. */
      async redrive(id, within) {
        if (!/^\d{1,15}$/.test(id)) return false;
        return database.db.transaction().execute(async (tx) => {
          const t = asSchema<MessagingTables>(tx);
          const dead = await t
            .deleteFrom('messaging_deliveries')
            .where('id', '=', Number(id))
            .where('status', '=', 'dead')
            .returning(['message_seq', 'root_seq', 'group_name'])
            .executeTakeFirst();
          if (!dead) return false;
          await t
            .insertInto('messaging_outbound')
            .values({
              message_seq: dead.message_seq,
              root_seq: dead.root_seq,
              groups: JSON.stringify([dead.group_name]),
              redrive: 1,
              created_at: new Date().toISOString(),
            })
            .execute();
          await notifyOnCommit(tx, OUTBOUND_CHANNEL);
          await within?.(tx);
          return true;
        });
      },
    },

    async counts() {
      const [dead, unrelayed, pending] = await Promise.all([
        store.deadLetters.count(),
        relay.unrelayed(),
        brokerPending().catch(() => new Map()),
      ]);
      return { pending: unrelayed + sum(pending), dead };
    },

    async pendingByGroup() {
      return brokerPending().catch(() => new Map<string, number>());
    },

    // The broker counts what each group has yet to acknowledge, but not how long the oldest has waited.
    async lagByGroup() {
      const pending = await brokerPending().catch(() => new Map<string, number>());
      return new Map([...pending].map(([group, backlog]) => [group, { backlog, oldestAt: null }]));
    },

    async backlog(groupsFor, overdueAfterMs): Promise<DeliveryBacklog> {
      const base = await store.backlog(groupsFor, overdueAfterMs);
      const unrelayed = await relay.unrelayed();
      const onBroker = sum(await brokerPending());
      // A message on its way (unrelayed, or on the broker) is neither applied nor on record: only once nothing
      // is on its way can a message missing from the inbox be called lost.
      const lost = unrelayed + onBroker > 0 ? [] : base.lost;
      const overdueBefore = new Date(Date.now() - overdueAfterMs).toISOString();
      const stale = await db
        .selectFrom('messaging_outbound as o')
        .innerJoin('outbox as x', 'x.seq', 'o.message_seq')
        .select(['x.id', 'x.type', 'o.groups', 'o.created_at'])
        .where('o.created_at', '<', overdueBefore)
        .limit(100)
        .execute();
      const unpublished = stale.flatMap((r) =>
        (JSON.parse(r.groups) as string[]).map((group) => ({ messageId: r.id, type: r.type, group, attempts: 0, dueSince: r.created_at })),
      );
      return { ...base, pending: base.pending + unrelayed + onBroker, overdue: [...base.overdue, ...unpublished], lost };
    },

    async health() {
      if (!nats.current()) throw new Error(`NATS (${options.servers.join(', ')}) is not connected`);
      await sql`select 1`.execute(database.db);
    },
  };
}
