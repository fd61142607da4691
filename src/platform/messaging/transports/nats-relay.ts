import { sql } from 'kysely';
import { headers } from '@nats-io/transport-node';
import pg from 'pg';
import { asSchema, type Database } from '../../db/database.js';
import type { Logger } from '../../observability/logger.js';
import type { MessagingTables } from '../schema.js';
import type { NatsLink } from './nats-connection.js';
import { partitionOf, subjectOf, type NatsTopology } from './nats-topology.js';

const BATCH = 256;

type OutboundRow = {
  outbound_id: number;
  message_seq: number;
  root_seq: number;
  groups: string;
  redrive: number;
  id: string;
  type: string;
  version: number;
  key: string;
  occurred_at: string;
  traceparent: string | null;
  data: string;
};

/** The message as it travels on the broker: the envelope, and its outbox positions (its own, and its chain's). */
export function brokerPayload(row: Omit<OutboundRow, 'outbound_id' | 'groups' | 'redrive'>): string {
  const head = JSON.stringify({
    id: row.id,
    type: row.type,
    version: row.version,
    occurredAt: row.occurred_at,
    key: row.key,
    ...(row.traceparent === null ? {} : { traceparent: row.traceparent }),
    seq: row.message_seq,
    root: row.root_seq,
  });
  // The data is JSON already: spliced in rather than parsed and written again.
  return `${head.slice(0, -1)},"data":${row.data}}`;
}

/**
 * Publishes committed outbox messages to the broker, oldest first, once per group that consumes them,
 * and forgets them once the broker has acknowledged every publish. One process relays at a time: the one
 * holding a PostgreSQL advisory lock on a connection of its own, which the server releases when that
 * process dies, so another takes over. A crash between publish and forget publishes again under the same
 * Nats-Msg-Id, which the stream's duplicate window drops (and the consumers' inbox absorbs after it).
 */
export function createNatsRelay(deps: {
  database: Database;
  /** The broker's link once the stream exists, else null. */
  link: () => NatsLink | null;
  topology: NatsTopology;
  logger: Logger;
}) {
  const { database, topology, logger } = deps;
  const db = asSchema<MessagingTables>(database.db);
  const lockKey = `orderly-relay:${topology.stream}`;
  let lock: pg.Client | null = null;

  async function lead(): Promise<boolean> {
    if (lock) return true;
    const client = new pg.Client({ connectionString: database.connectionUrl! });
    client.on('error', (error) => {
      logger.warn({ err: error }, 'relay lock connection lost; another process may take over');
      if (lock === client) lock = null;
    });
    try {
      await client.connect();
      const { rows } = await client.query<{ held: boolean }>('select pg_try_advisory_lock(hashtext($1)) as held', [lockKey]);
      if (rows[0]?.held) {
        lock = client;
        logger.info({ stream: topology.stream }, 'relaying the outbox to NATS');
        return true;
      }
    } catch (error) {
      logger.warn({ err: error }, 'could not ask for the relay lock');
    }
    await client.end().catch(() => undefined);
    return false;
  }

  /** One batch; 'busy' when a full one went out (there may be more). */
  async function pass(): Promise<'busy' | 'idle'> {
    const link = deps.link();
    if (!link || !(await lead())) return 'idle';
    const rows = (
      await sql<OutboundRow>`
      select o.id as outbound_id, o.message_seq, o.root_seq, o.groups, o.redrive,
             x.id, x.type, x.version, x.key, x.occurred_at, x.traceparent, x.data
      from messaging_outbound o join outbox x on x.seq = o.message_seq
      order by o.id limit ${BATCH}`.execute(database.db)
    ).rows;
    if (rows.length === 0) return 'idle';
    // Sent one after another on one connection, the publishes reach the stream in this order: per key, the outbox's.
    const acks: Promise<unknown>[] = [];
    for (const row of rows) {
      const payload = brokerPayload(row);
      const partition = partitionOf(row.key, topology.partitions);
      // The trace travels in the payload's envelope; in a header too, for tools that read the stream.
      const traced = row.traceparent === null ? undefined : headers();
      traced?.set('traceparent', row.traceparent!);
      for (const group of JSON.parse(row.groups) as string[]) {
        const msgID = row.redrive ? `${row.id}:${group}:redrive-${row.outbound_id}` : `${row.id}:${group}`;
        acks.push(
          link.js.publish(subjectOf(topology, group, partition), payload, {
            msgID,
            timeout: 10_000,
            ...(traced ? { headers: traced } : {}),
          }),
        );
      }
    }
    await Promise.all(acks);
    await db
      .deleteFrom('messaging_outbound')
      .where(
        'id',
        'in',
        rows.map((r) => r.outbound_id),
      )
      .execute();
    return rows.length === BATCH ? 'busy' : 'idle';
  }

  return {
    pass,
    /** Whether this process relays (and so also looks after the consumers). */
    leading: () => lock !== null,
    /** Messages committed and not yet on the broker. */
    async unrelayed(): Promise<number> {
      const row = await db.selectFrom('messaging_outbound').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async stop(): Promise<void> {
      const client = lock;
      lock = null;
      await client?.end().catch(() => undefined);
    },
  };
}
