import { AsyncResource } from 'node:async_hooks';
import { CompiledQuery } from 'kysely';
import type { Database, Executor } from '../db/database.js';
import { isContention } from '../db/errors.js';
import type { NewEvent } from './envelope.js';
import { outgoing, type Outgoing } from './publishing.js';
import { DeferDelivery } from './retry.js';
import type { Delivery } from './transport.js';

/** Appends events to the outbox of the transaction it was handed. */
export type Publish = (events: NewEvent[]) => Promise<void>;

/** A handler's effect: what `HandlerContext.apply` runs exactly once. */
export type Effect = (tx: Executor, publish: Publish) => Promise<void>;

/** What a batch writes for all its members at once, each one statement however many members. */
export interface BatchWrites {
  /** Records the deliveries' messages as applied by their groups; the `group\0messageId` of those no one had applied. */
  recordApplied(tx: Executor, deliveries: readonly Delivery[]): Promise<Set<string>>;
  /** Takes back `recordApplied`'s records of members whose effect failed. */
  forget(tx: Executor, deliveries: readonly Delivery[]): Promise<void>;
  /** Marks the deliveries handled (the transport's part). */
  settle(tx: Executor, deliveries: readonly Delivery[]): Promise<void>;
  /** Stores what the members published, in the order they published it. */
  publish(tx: Executor, messages: Outgoing[]): Promise<void>;
  /** A batch that published something committed: its consumers may look for work now. */
  published(): void;
}

interface Member {
  delivery: Delivery;
  /** null: the handler had nothing to write, but the message is still to be marked applied. */
  effect: Effect | null;
  /** Runs in the caller's async context (its consumer span), whichever batch takes the member. */
  scope: AsyncResource;
  resolve(applied: boolean): void;
  reject(error: unknown): void;
}

const savepoint = CompiledQuery.raw('savepoint batch_member');
const release = CompiledQuery.raw('release batch_member');
const rollbackTo = CompiledQuery.raw('rollback to batch_member');
// How long a member of a batch waits for a row another transaction holds before it gives way (PostgreSQL).
const LOCK_WAIT_MS = 200;
const lockTimeout = CompiledQuery.raw(`set local lock_timeout = '${LOCK_WAIT_MS}ms'`);

/**
 * A batch holds the rows of all its members' effects until it commits, taken in the order of its members,
 * so two batches, or a batch and a request, can each hold what the other waits for. Its members never wait
 * long (`lock_timeout`, well under the server's one-second deadlock check): a member that would gives way
 * and comes back shortly, without spending an attempt, rather than a request being chosen to break a
 * deadlock. A batch that loses a deadlock or a serialization check itself comes back the same way.
 */
function giveWay(error: unknown): unknown {
  return isContention(error)
    ? new DeferDelivery(LOCK_WAIT_MS + Math.round(Math.random() * LOCK_WAIT_MS), 'waited on rows other transactions hold')
    : error;
}

/** A (group, message) pair as one string: what the inbox records once. */
export const pairKey = (group: string, messageId: string) => `${group}\u0000${messageId}`;
export const pairOf = (d: Delivery) => pairKey(d.group, d.envelope.id);

/** The deliveries' message ids by consumer group: for statements that take one group and many messages. */
export function idsByGroup(deliveries: readonly Delivery[]): Map<string, string[]> {
  const byGroup = new Map<string, string[]>();
  for (const d of deliveries) {
    const ids = byGroup.get(d.group);
    if (ids) ids.push(d.envelope.id);
    else byGroup.set(d.group, [d.envelope.id]);
  }
  return byGroup;
}

/**
 * Set-based handling: the effects that a consumer group's handlers ask to apply while one of its batches
 * runs are taken together, up to `members`, into the next: one transaction, one statement per kind for
 * the inbox records, the settlements and the outbox rows, whatever the batch's size. Nothing waits to form
 * a batch (a lone effect runs at once); under load they form by themselves, and one commit and a handful
 * of statements serve many messages. A member whose effect throws is rolled back to its savepoint and
 * fails alone; the others commit. Members resolve only once the batch committed.
 */
export function createApplyBatches(
  database: Database,
  writes: BatchWrites,
  limits: { members: number },
  sized: (group: string, n: number) => void,
) {
  const queues = new Map<string, Member[]>();
  const running = new Set<string>();

  /** Runs the members' effects in `tx`: the members whose effect threw, with their errors, and whether the rest published anything. */
  async function applyAll(
    tx: Executor,
    members: Member[],
    outcomes: Map<Member, boolean>,
  ): Promise<{ failed: Map<Member, unknown>; published: boolean }> {
    const failed = new Map<Member, unknown>();
    const fresh = await writes.recordApplied(
      tx,
      members.map((m) => m.delivery),
    );
    const published: Outgoing[] = [];
    // A lone member needs no savepoint: if it fails, so does the transaction, and nothing else was in it.
    const isolate = members.length > 1;
    if (isolate && database.dialect === 'postgres') await tx.executeQuery(lockTimeout);
    for (const member of members) {
      const pair = pairOf(member.delivery);
      // A message handed out twice (duplicate delivery) applies once, for the first of its members.
      const applies = fresh.delete(pair);
      outcomes.set(member, applies);
      if (!applies || member.effect === null) continue;
      const effect = member.effect;
      const mine: Outgoing[] = [];
      const publish: Publish = async (events) => {
        mine.push(...outgoing(events, member.delivery.root));
      };
      if (isolate) await tx.executeQuery(savepoint);
      try {
        await member.scope.runInAsyncScope(effect, null, tx, publish);
      } catch (error) {
        if (!isolate) throw error;
        await tx.executeQuery(rollbackTo);
        failed.set(member, giveWay(error));
      }
      if (isolate) await tx.executeQuery(release);
      if (!failed.has(member)) published.push(...mine);
    }
    if (failed.size > 0) {
      await writes.forget(
        tx,
        [...failed.keys()].map((m) => m.delivery),
      );
    }
    await writes.settle(
      tx,
      members.filter((m) => !failed.has(m)).map((m) => m.delivery),
    );
    await writes.publish(tx, published);
    return { failed, published: published.length > 0 };
  }

  async function runBatch(group: string, members: Member[]): Promise<void> {
    sized(group, members.length);
    const outcomes = new Map<Member, boolean>();
    let failed = new Map<Member, unknown>();
    try {
      const done = await database.transaction((tx) => applyAll(tx, members, outcomes));
      failed = done.failed;
      if (done.published) writes.published();
    } catch (error) {
      // The transaction itself failed (a lone member's effect, a lock, the commit): nothing of it was written.
      for (const member of members) member.reject(giveWay(error));
      return;
    }
    for (const member of members) {
      if (failed.has(member)) member.reject(failed.get(member));
      else member.resolve(outcomes.get(member) ?? false);
    }
  }

  async function drain(group: string): Promise<void> {
    running.add(group);
    const queue = queues.get(group)!;
    try {
      while (queue.length > 0) await runBatch(group, queue.splice(0, limits.members));
    } finally {
      running.delete(group);
    }
  }

  return {
    /** Applies `effect` for `delivery` in the group's next batch; false when the group had applied the message before. */
    apply(delivery: Delivery, effect: Effect | null): Promise<boolean> {
      return new Promise<boolean>((resolve, reject) => {
        const member = { delivery, effect, scope: new AsyncResource('orderly.apply-batch'), resolve, reject };
        // Batches of one: each effect in its own transaction, at once, concurrently with the others.
        if (limits.members === 1) return void runBatch(delivery.group, [member]);
        let queue = queues.get(delivery.group);
        if (!queue) queues.set(delivery.group, (queue = []));
        queue.push(member);
        if (!running.has(delivery.group)) void drain(delivery.group);
      });
    },
  };
}
