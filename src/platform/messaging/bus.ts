import { asSchema, type Database, type Executor } from '../db/database.js';
import { nowIso } from '../db/ids.js';
import type { Registry } from 'prom-client';
import { createBusMetrics } from './bus-metrics.js';
import type { Logger } from '../observability/logger.js';
import { SpanKind, contextFrom, inSpan } from '../observability/tracing.js';
import { MalformedMessage, malformation, type MessageContract, type MessageOf } from './contract.js';
import { createApplyBatches, idsByGroup, pairKey, pairOf, type Effect, type Publish } from './apply-batches.js';
import { outgoing, store } from './publishing.js';
import { DeferDelivery, type RetryPolicy } from './retry.js';
import type { MessagingTables } from './schema.js';
import { messagingStatements } from './statements.js';
import type { DeadLetterStore, Delivery, DeliveryBacklog, GroupLag, Transport } from './transport.js';

export type { Publish };

export interface HandlerContext {
  /** 1 on the first delivery of this message to this group. */
  attempt: number;
  maxAttempts: number;
  /**
   * Applies the handler's effect exactly once: it runs in a transaction together with the inbox record and
   * the delivery's settlement (with those of other deliveries of the group: see apply-batches.ts), and is
   * skipped (returning false) when the group applied the message before.
   */
  apply(effect: Effect): Promise<boolean>;
}

/**
 * A consumer group: the contracts of the messages it handles, and how. Throwing schedules a retry; a
 * message that does not match its contract never reaches `handle` and is dead-lettered at once.
 */
export interface Subscription<C extends MessageContract = MessageContract> {
  group: string;
  messages: readonly C[];
  retry?: Partial<RetryPolicy>;
  handle(message: MessageOf<C>, context: HandlerContext): Promise<void>;
  /**
   * Asked in the publisher's transaction: which types the group would act on as things stand. A message
   * it would do nothing with (webhooks, with no endpoint subscribed to its type) is recorded as applied
   * there and then, rather than queued, claimed and handled to no effect.
   */
  interest?(tx: Executor): Promise<(type: string) => boolean>;
}

export interface MessageBus {
  subscribe<C extends MessageContract>(subscription: Subscription<C>): void;
  /** Runs `fn` in a transaction; what it publishes commits with it, and consumers are woken after the commit. */
  transaction<T>(fn: (tx: Executor, publish: Publish) => Promise<T>): Promise<T>;
  /** Starts consuming (roles that run workers). */
  start(): void;
  stop(): Promise<void>;
  /** Whether messages can be carried now (the broker answers); for /readyz. */
  health(): Promise<void>;
  /** Lets go of the transport's connections (after stop, or in a process that never started). */
  close(): Promise<void>;
  deadLetters: DeadLetterStore;
  backlog(overdueAfterMs: number): Promise<DeliveryBacklog>;
  /** Every subscribed consumer group, by name, with what waits for it and since when. */
  lag(): Promise<({ group: string } & GroupLag)[]>;
  /** Forgets handled messages and inbox records older than `before`; what is pending or dead stays. */
  prune(before: Date): Promise<number>;
  /** The consumer groups subscribed in this process (every role subscribes them all). */
  groups(): string[];
}

export interface MessageBusOptions {
  retry: RetryPolicy;
  /** Test mode: hand every delivery to its handler twice, concurrently, to prove handlers are idempotent. */
  duplicateDelivery: boolean;
  /** The most effects of one consumer group applied in one transaction. */
  batchSize: number;
}

export function createMessageBus(
  database: Database,
  transport: Transport,
  logger: Logger,
  registry: Registry,
  options: MessageBusOptions,
): MessageBus {
  const subscriptions = new Map<string, Subscription>();
  const contracts = new Map<string, ReadonlyMap<string, MessageContract>>();
  const { handled, handling, lag, batchSize } = createBusMetrics(registry, transport, () => subscriptions.keys());
  const groupsByType = new Map<string, string[]>();
  const statements = messagingStatements(database.db);

  function groupsFor(type: string): string[] {
    let groups = groupsByType.get(type);
    if (!groups) {
      groups = [...subscriptions.values()].filter((s) => s.messages.some((m) => m.type === type)).map((s) => s.group);
      groupsByType.set(type, groups);
    }
    return groups;
  }

  function policyFor(group: string): RetryPolicy {
    return { ...options.retry, ...subscriptions.get(group)?.retry };
  }

  /** Per type: the groups that get a delivery, and those that said in `interest` they have nothing to do with it. */
  async function route(tx: Executor, types: Iterable<string>): Promise<Map<string, { queue: string[]; skip: string[] }>> {
    const interests = new Map<string, (type: string) => boolean>();
    const routes = new Map<string, { queue: string[]; skip: string[] }>();
    for (const type of types) {
      if (routes.has(type)) continue;
      const queue: string[] = [];
      const skip: string[] = [];
      for (const group of groupsFor(type)) {
        const interest = subscriptions.get(group)?.interest;
        let wants = interests.get(group);
        if (interest && !wants) interests.set(group, (wants = await interest(tx)));
        (wants === undefined || wants(type) ? queue : skip).push(group);
      }
      routes.set(type, { queue, skip });
    }
    return routes;
  }

  const storing = { statements, route, transport };
  const batches = createApplyBatches(
    database,
    {
      async recordApplied(tx, deliveries) {
        const appliedAt = nowIso();
        const rows = [
          ...new Map(
            deliveries.map((d) => [pairOf(d), { group_name: d.group, message_id: d.envelope.id, applied_at: appliedAt }]),
          ).values(),
        ];
        const made = await statements.recordApplied.execute<{ group_name: string; message_id: string }>(tx, rows);
        return new Set(made.rows.map((r) => pairKey(r.group_name, r.message_id)));
      },
      async forget(tx, deliveries) {
        const inbox = asSchema<MessagingTables>(tx);
        for (const [group, ids] of idsByGroup(deliveries)) {
          await inbox.deleteFrom('messaging_inbox').where('group_name', '=', group).where('message_id', 'in', ids).execute();
        }
      },
      settle: (tx, deliveries) => transport.settle(tx, deliveries),
      publish: (tx, messages) => store(tx, messages, storing),
      published: () => transport.wake(),
    },
    { members: options.batchSize },
    (group, n) => batchSize.observe({ group }, n),
  );

  async function handleOnce(delivery: Delivery): Promise<void> {
    const subscription = subscriptions.get(delivery.group);
    if (!subscription) throw new Error(`no subscription for group ${delivery.group}`);
    const { group, envelope } = delivery;
    const malformed = malformation(envelope, contracts.get(group)!);
    if (malformed !== null) throw new MalformedMessage(malformed);
    let applying = false;
    const context: HandlerContext = {
      attempt: delivery.attempt,
      maxAttempts: policyFor(group).maxAttempts,
      apply: (effect) => {
        applying = true;
        return batches.apply(delivery, effect);
      },
    };
    await subscription.handle(envelope as MessageOf<MessageContract>, context);
    // A handler with nothing to write still marks the message applied, so a redelivery is skipped.
    if (!applying) await batches.apply(delivery, null);
  }

  /** Each handling is a consumer span in the trace its message was published in. */
  function handle(delivery: Delivery): Promise<void> {
    const { group, envelope, attempt } = delivery;
    const attributes = {
      'messaging.operation.type': 'process',
      'messaging.destination.name': envelope.type,
      'messaging.consumer.group.name': group,
      'messaging.message.id': envelope.id,
      'orderly.key': envelope.key,
      'orderly.attempt': attempt,
    };
    return inSpan(
      `${group} process ${envelope.type}`,
      SpanKind.CONSUMER,
      attributes,
      () => handleTimed(delivery),
      contextFrom(envelope.traceparent),
      (error) =>
        error instanceof DeferDelivery ? { 'orderly.deferred_ms': error.delayMs, 'orderly.deferred_reason': error.message } : null,
    );
  }

  async function handleTimed(delivery: Delivery): Promise<void> {
    const end = handling.startTimer({ group: delivery.group });
    try {
      if (options.duplicateDelivery) await Promise.all([handleOnce(delivery), handleOnce(delivery)]);
      else await handleOnce(delivery);
      handled.inc({ group: delivery.group, outcome: 'applied' });
      lag.observe({ group: delivery.group }, (Date.now() - Date.parse(delivery.envelope.occurredAt)) / 1000);
    } catch (error) {
      handled.inc({ group: delivery.group, outcome: error instanceof DeferDelivery ? 'deferred' : 'failed' });
      throw error;
    } finally {
      end();
    }
  }

  /** Outside handlers (a request, a job): what `fn` publishes is stored as it is published, and each message starts its own chain. */
  async function transaction<T>(fn: (tx: Executor, publish: Publish) => Promise<T>): Promise<T> {
    let published = false;
    const result = await database.transaction((tx) =>
      fn(tx, async (events) => {
        published ||= events.length > 0;
        await store(tx, outgoing(events, null), storing);
      }),
    );
    if (published) transport.wake();
    return result;
  }

  const bus: MessageBus = {
    subscribe(subscription) {
      if (subscriptions.has(subscription.group)) throw new Error(`consumer group ${subscription.group} subscribed twice`);
      subscriptions.set(subscription.group, subscription as unknown as Subscription);
      contracts.set(subscription.group, new Map(subscription.messages.map((m) => [m.type, m])));
      groupsByType.clear();
    },

    transaction,

    start() {
      transport.start(handle, policyFor, [...subscriptions.keys()]);
      logger.info({ groups: [...subscriptions.keys()] }, 'message consumers started');
    },

    stop: () => transport.stop(),
    groups: () => [...subscriptions.keys()],
    health: () => transport.health(),
    close: () => transport.close(),
    deadLetters: transport.deadLetters,
    backlog: (overdueAfterMs) => transport.backlog(groupsFor, overdueAfterMs),

    async lag() {
      const byGroup = await transport.lagByGroup();
      const groups = new Set([...subscriptions.keys(), ...byGroup.keys()]);
      return [...groups].sort().map((group) => ({ group, ...(byGroup.get(group) ?? { backlog: 0, oldestAt: null }) }));
    },

    async prune(before) {
      const cutoff = before.toISOString();
      const db = asSchema<MessagingTables>(database.db);
      const inbox = await db.deleteFrom('messaging_inbox').where('applied_at', '<', cutoff).executeTakeFirst();
      const outbox = await db
        .deleteFrom('outbox')
        .where('occurred_at', '<', cutoff)
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('messaging_deliveries as d').select('d.id').whereRef('d.message_id', '=', 'outbox.id'))),
        )
        .executeTakeFirst();
      return Number(inbox.numDeletedRows) + Number(outbox.numDeletedRows);
    },
  };
  return bus;
}
