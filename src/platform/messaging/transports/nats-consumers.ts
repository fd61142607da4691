import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { asSchema, type Database, type Executor } from '../../db/database.js';
import type { Logger } from '../../observability/logger.js';
import { idsByGroup } from '../apply-batches.js';
import { MalformedMessage } from '../contract.js';
import type { EventEnvelope } from '../envelope.js';
import { DeferDelivery, retryDelayMs, type RetryPolicy } from '../retry.js';
import type { MessagingTables } from '../schema.js';
import type { Delivery } from '../transport.js';
import type { NatsLink } from './nats-connection.js';
import { consumerName, type NatsTopology } from './nats-topology.js';

type Carried = EventEnvelope & { seq: number; root: number };

/**
 * Consumes every (group, partition) of the stream: each delivery goes to `handle`, then is acknowledged
 * (after its transaction committed), or, if it failed, handed back with the group's backoff. Failures are
 * counted in PostgreSQL (a broker's delivery count also counts deferrals and crashes), in the same rows the
 * embedded queue keeps, so that after the last attempt the message is dead-lettered there and listed,
 * redriven and verified as it is embedded.
 */
export function createNatsConsumers(deps: {
  database: Database;
  /** The broker, once the stream and its consumers are set up. */
  ready: () => Promise<NatsLink>;
  topology: NatsTopology;
  logger: Logger;
  handle: (delivery: Delivery) => Promise<void>;
  policyFor: (group: string) => RetryPolicy;
  /** Counts a message on the stream that is not one of Orderly's. */
  unreadable: (group: string) => void;
}) {
  const { database, topology, logger } = deps;
  const db = asSchema<MessagingTables>(database.db);
  const running = new Set<ConsumerMessages>();
  const loops: Promise<void>[] = [];
  let stopping = false;
  // Deliveries that may have a failure on record (in messaging_deliveries), cleared when they are applied.
  const withRecord = new WeakSet<Delivery>();

  async function failuresOf(group: string, messageId: string): Promise<number> {
    const row = await db
      .selectFrom('messaging_deliveries')
      .select('attempts')
      .where('message_id', '=', messageId)
      .where('group_name', '=', group)
      .executeTakeFirst();
    return row?.attempts ?? 0;
  }

  /** Counts a failed attempt; true when that was the last (the message is dead-lettered). */
  async function recordFailure(group: string, message: Carried, attempts: number, error: unknown): Promise<boolean> {
    const policy = deps.policyFor(group);
    const dead = attempts >= policy.maxAttempts || error instanceof MalformedMessage;
    const now = new Date();
    const text = (error instanceof Error ? error.message : String(error)).slice(0, 2000);
    const row = {
      message_id: message.id,
      message_seq: message.seq,
      root_seq: message.root,
      group_name: group,
      key: message.key,
      status: dead ? ('dead' as const) : ('waiting' as const),
      attempts,
      next_attempt_at: new Date(now.getTime() + (dead ? 0 : retryDelayMs(policy, attempts))).toISOString(),
      lease_owner: null,
      lease_until: null,
      last_error: text,
      created_at: message.occurredAt,
      dead_at: dead ? now.toISOString() : null,
    };
    await db
      .insertInto('messaging_deliveries')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['message_id', 'group_name']).doUpdateSet({
          status: row.status,
          attempts,
          next_attempt_at: row.next_attempt_at,
          last_error: text,
          dead_at: row.dead_at,
        }),
      )
      .execute();
    const log = { group, messageId: message.id, type: message.type, key: message.key, attempts, err: error };
    if (dead) logger.error(log, 'message dead-lettered');
    else logger.warn(log, 'message handling failed; will retry');
    return dead;
  }

  /** What Orderly's relay publishes; anything else on the stream (a stray publish) is not. */
  function read(m: JsMsg): Carried | null {
    try {
      const value = JSON.parse(m.string()) as Partial<Carried>;
      const fine =
        typeof value.id === 'string' && typeof value.type === 'string' && typeof value.key === 'string' && Number.isInteger(value.seq);
      return fine ? (value as Carried) : null;
    } catch {
      return null;
    }
  }

  async function deliver(group: string, m: JsMsg): Promise<void> {
    const message = read(m);
    if (message === null) {
      // Not from the outbox: nothing to hand to a handler, and retrying cannot change that. Dropped, loudly.
      logger.error({ group, subject: m.subject, streamSeq: m.seq, bytes: m.data.length }, 'unreadable message on the stream dropped');
      deps.unreadable(group);
      m.term();
      return;
    }
    const redelivered = m.info.deliveryCount > 1;
    const failures = redelivered ? await failuresOf(group, message.id) : 0;
    const { seq: _seq, root, ...envelope } = message;
    const delivery: Delivery = { group, envelope, attempt: failures + 1, root };
    // A first delivery has no failures on record to clear.
    if (failures > 0 || redelivered) withRecord.add(delivery);
    // A handler that takes its time (a provider call) keeps its claim on the message.
    const working = setInterval(() => m.working(), Math.max(1_000, Math.floor(topology.ackWaitMs / 3)));
    try {
      await deps.handle(delivery);
      m.ack();
    } catch (error) {
      if (error instanceof DeferDelivery) {
        m.nak(error.delayMs);
        return;
      }
      const attempts = failures + 1;
      const dead = await recordFailure(group, message, attempts, error).catch((e: unknown) => {
        logger.error({ err: e }, 'could not record a failed delivery');
        return false;
      });
      if (dead) m.ack();
      else m.nak(retryDelayMs(deps.policyFor(group), attempts));
    } finally {
      clearInterval(working);
    }
  }

  /** A consumer deleted under us (the watchdog makes a stuck one afresh) is taken up again, not waited on. */
  async function endWhenGone(messages: ConsumerMessages): Promise<void> {
    for await (const status of messages.status()) {
      if (status.type === 'consumer_deleted' || status.type === 'consumer_not_found') {
        messages.stop();
        return;
      }
    }
  }

  async function consume(group: string, partition: number): Promise<void> {
    const name = consumerName(group, partition);
    while (!stopping) {
      try {
        const link = await deps.ready();
        const consumer = await link.js.consumers.get(topology.stream, name);
        const messages = await consumer.consume({ max_messages: 1 });
        running.add(messages);
        void endWhenGone(messages);
        try {
          for await (const m of messages) {
            if (stopping) {
              // Taken but not started: straight back to the broker, for another worker.
              m.nak();
              continue;
            }
            await deliver(group, m).catch((error: unknown) => {
              logger.error({ err: error, group }, 'delivery failed outside its handler');
              m.nak(1_000);
            });
          }
        } finally {
          running.delete(messages);
        }
      } catch (error) {
        if (stopping) break;
        logger.warn({ err: error, group, partition }, 'NATS consumer interrupted; resuming');
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  }

  return {
    /** Clears the failures on record of deliveries applied in `tx`: one statement per group that has any. */
    async settle(tx: Executor, deliveries: readonly Delivery[]): Promise<void> {
      for (const [group, ids] of idsByGroup(deliveries.filter((d) => withRecord.has(d)))) {
        await asSchema<MessagingTables>(tx)
          .deleteFrom('messaging_deliveries')
          .where('group_name', '=', group)
          .where('message_id', 'in', ids)
          .execute();
      }
    },
    start(groups: readonly string[]): void {
      for (const group of groups) for (let p = 0; p < topology.partitions; p += 1) loops.push(consume(group, p));
    },
    /** Stops taking messages; resolves once those in hand are handled and acknowledged (or handed back). */
    async stop(): Promise<void> {
      stopping = true;
      for (const messages of running) messages.stop();
      await Promise.all(loops);
    },
  };
}
